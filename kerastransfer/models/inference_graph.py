"""A faster inference pass for the trained style and super-resolution networks: the
same function as `network(images, training=False)`, rewritten into operations that run
faster on a CPU.

The exported serving signatures use it; training and tiling keep the Keras layers. Each
rewrite is exact in real arithmetic, so outputs differ from the Keras pass only by
floating-point rounding (tests/test_inference_graph.py checks both agree). Measured at
1024² on this project's 2-core CPU (tools/benchmark.py gives the whole-model figure):

- **Instance norm** by `FusedBatchNormV3` in training mode over one image: the batch
  statistics of a batch of one are that image's statistics, and the fused kernel is about
  2.5× faster than mean, variance and normalise as separate ops. Its sums are naive, so
  each conv gets a bias that centres its output on an estimate of its mean, from every
  8th input pixel (normalisation ignores the shift); without it a nearly flat image lost
  whole levels. The conv bias before it
  is dropped, since normalisation subtracts it again. Batches run image by image.
  Batch norm (SR) is the same op in inference mode, the conv bias folded into its mean.
- **Nearest ×2 upsampling, mirror pad, 3×3 conv** as four 2×2 convolutions at the low
  resolution, one per output phase, interleaved by `depth_to_space` (sub-pixel form):
  2.25× fewer FLOPs, and the 4× larger upsampled map is never made. Mirroring the
  upsampled map by one pixel is the same as repeating the low-resolution edge.
- **The 9×9 output conv to 3 channels** on 2×2 blocks (`space_to_depth`): a 5×5 conv from
  4C to 12 channels. The same products plus 23% that multiply zeros, but oneDNN runs a
  3-channel output at a fifth of its speed on 12, so it takes under half the time.

The TF.js converter cannot take the fused training-mode normalisation, so the browser
gets `serving_portable`, the plain Keras pass (see export.py).
"""
import tensorflow as tf

import keras

from kerastransfer.models.degradation import bicubic_upscale
from kerastransfer.models.layers import InstanceNormalization
from kerastransfer.models.sr_net import SuperResolutionNet
from kerastransfer.models.transformer_net import TransformerNet


def supports(network):
    """True if `forward` can take this network: a TransformerNet in its default layout
    (mirror padding, instance norm, nearest upsampling), or a SuperResolutionNet with
    nearest upsampling and batch norm or none."""
    if isinstance(network, TransformerNet):
        return (network.padding == "reflect" and network.normalization == "instance"
                and network.decoder_normalization in (None, "instance")
                and network.upsampling == "nearest")
    if isinstance(network, SuperResolutionNet):
        return network.upsampling == "nearest" and network.normalization in ("batch", None)
    return False


def forward(network, images):
    """`network(images, training=False)` for float images in [0, 255], [B, H, W, 3],
    through the faster operations; networks `supports` refuses run as they are. Computes
    in the network's current compute dtype (bfloat16 inside `export.computing_in`)."""
    if not supports(network):
        return network(images, training=False)
    dtype = tf.as_dtype(network.compute_dtype)

    one_batch = _style_one if isinstance(network, TransformerNet) else _super_resolution_one

    def one(image):
        return one_batch(network, image[tf.newaxis], dtype)[0]

    return tf.map_fn(one, tf.cast(images, tf.float32),
                     fn_output_signature=tf.TensorSpec([None, None, 3], tf.float32))


def _style_one(net, images, dtype):
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    x = tf.cast(images, dtype) / 127.5 - 1.0
    full = tf.shape(x)[1:3]
    x = _conv_norm(net.conv1, x)
    x = _conv_norm(net.conv2, x)
    half = tf.shape(x)[1:3]
    x = _conv_norm(net.conv3, x)
    for block in net.residuals:
        x = x + _conv_norm(block.conv2, _conv_norm(block.conv1, x))
    x = _upsample_conv_norm(net.up1.conv, x, half)
    x = _upsample_conv_norm(net.up2.conv, x, full)
    x = _output_conv(net.conv_out, x)[:, :height, :width, :]
    return net.to_pixels(x, training=False)


def _super_resolution_one(net, images, dtype):
    x = tf.cast(images, dtype) / 127.5 - 1.0
    x = _conv_norm(net.conv_in, x)
    for block in net.residuals:
        x = x + _conv_norm(block.conv2, _conv_norm(block.conv1, x))
    for up in net.ups:
        x = _upsample_conv_norm(up.conv, x, None)
    if net.residual:  # the correction conv zero-pads ("same"); float32 out, as in the net
        correction = _conv_on_blocks(net.correction, x, "CONSTANT")
        return bicubic_upscale(images, net.scale) + tf.cast(correction, tf.float32) * 127.5
    x = tf.cast(_output_conv(net.conv_out, x), tf.float32)
    return 127.5 * (tf.tanh(x) + 1.0)


def _normalize(layer, x, activation):
    """The layer's conv bias, normalisation and optional ReLU after a bias-free conv:
    instance norm of a batch of one (the bias cancels), batch norm from its moving
    statistics (the bias folded into the mean), or the bias alone."""
    norm = layer.norm
    if isinstance(norm, InstanceNormalization):
        # `x` comes centred from the conv (`_centring_bias`).
        x, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x, tf.cast(norm.gamma, tf.float32), tf.cast(norm.beta, tf.float32),
            epsilon=norm.epsilon, is_training=True)
    elif isinstance(norm, keras.layers.BatchNormalization):
        channels = x.shape[-1]
        bias = tf.cast(layer.conv.bias, tf.float32)
        ones, zeros = tf.ones([channels]), tf.zeros([channels])
        x, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x, tf.cast(norm.gamma, tf.float32) if norm.scale else ones,
            tf.cast(norm.beta, tf.float32) if norm.center else zeros,
            mean=tf.cast(norm.moving_mean, tf.float32) - bias,
            variance=tf.cast(norm.moving_variance, tf.float32),
            epsilon=norm.epsilon, is_training=False)
    elif norm is None:
        x = tf.nn.bias_add(x, tf.cast(layer.conv.bias, x.dtype))
    else:
        raise ValueError(f"{layer.name}: no fast form for {type(norm).__name__}")
    return tf.nn.relu(x) if activation else x


def _conv_norm(layer, x):
    """ConvLayer (mirror pad, conv, normalisation, optional ReLU) for one image."""
    p = layer.kernel_size // 2
    x = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")
    kernel = tf.cast(layer.conv.kernel, x.dtype)
    y = tf.nn.conv2d(x, kernel, layer.strides, "VALID")
    if isinstance(layer.norm, InstanceNormalization):
        y = tf.nn.bias_add(y, _centring_bias(x, kernel))
    return _normalize(layer, y, layer.activation)


def _centring_bias(x, kernel):
    """Minus an estimate of the mean of conv(x, kernel) per output channel, from every
    8th pixel of `x`. The fused norm sums naively in float32: on a large, nearly flat map
    its mean is off by ~1e-3, which 1/sqrt(epsilon) turns into whole levels. Normalising
    ignores a constant shift, so this bias, added inside the conv at no cost, centres its
    input closely enough."""
    sample_mean = tf.reduce_mean(tf.cast(x[:, ::8, ::8, :], tf.float32), axis=[1, 2])
    kernel_sum = tf.reduce_sum(tf.cast(kernel, tf.float32), axis=[0, 1])
    return tf.cast(-tf.linalg.matmul(sample_mean, kernel_sum)[0], x.dtype)


def _upsample_conv_norm(layer, x, target_hw):
    """UpsampleConvLayer (nearest ×2, mirror pad 1, 3×3 conv, norm, ReLU, crop) in
    sub-pixel form: one 2×2 conv per output phase at the input's resolution."""
    kernel = _phase_kernels(tf.cast(layer.conv.kernel, x.dtype))
    height, width = tf.shape(x)[1], tf.shape(x)[2]
    padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC")
    phases = [tf.nn.conv2d(padded[:, a:a + height + 1, b:b + width + 1],
                           kernel[a][b], 1, "VALID")
              for a in (0, 1) for b in (0, 1)]
    if isinstance(layer.norm, InstanceNormalization):  # each phase kernel sums to the whole
        centring = _centring_bias(x, tf.cast(layer.conv.kernel, x.dtype))
        phases = [tf.nn.bias_add(phase, centring) for phase in phases]
    filters = layer.filters
    x = tf.reshape(tf.stack(phases, axis=3), [1, height, width, 4 * filters])
    x = tf.nn.depth_to_space(x, 2)
    x = _normalize(layer, x, activation=True)
    return x if target_hw is None else x[:, :target_hw[0], :target_hw[1], :]


def _phase_kernels(kernel):
    """The 2×2 kernel of each output phase of nearest ×2 upsampling + a 3×3 conv, as
    [a][b]. Along one axis, even output rows 2i see source rows i-1 (tap 0) and i
    (taps 1 + 2); odd rows 2i+1 see i (taps 0 + 1) and i+1 (tap 2)."""
    def phases(k, axis):
        t0, t1, t2 = tf.unstack(k, axis=axis)
        return [tf.stack([t0, t1 + t2], axis=axis), tf.stack([t0 + t1, t2], axis=axis)]

    return [phases(rows, 1) for rows in phases(kernel, 0)]


def _output_conv(layer, x):
    """The last ConvLayer of the style network: mirror pad 4, 9×9 conv to 3 channels,
    bias, no norm."""
    return _conv_on_blocks(layer.conv, x, "REFLECT")


def _conv_on_blocks(conv, x, pad_mode):
    """A stride-1 odd-kernel Conv2D with few outputs (`pad_mode` "REFLECT", or "CONSTANT"
    for Keras's zero "same" padding), run on 2×2 blocks: a conv over space_to_depth(2)
    whose 4 × outputs are the 4 pixels of each block. The map is zero-padded to even
    sides; those rows only reach pixels cropped off at the end."""
    kernel_size = conv.kernel.shape[0]
    p = kernel_size // 2
    blocks = (kernel_size + 1 + 1) // 2  # kernel span plus one phase, in 2-px blocks
    span = 2 * blocks
    kernel = tf.cast(conv.kernel, tf.float32)
    cin, cout = kernel.shape[2], kernel.shape[3]
    phases = []
    for a in (0, 1):
        for b in (0, 1):
            shifted = tf.pad(kernel, [[a, span - kernel_size - a], [b, span - kernel_size - b],
                                      [0, 0], [0, 0]])
            shifted = tf.reshape(shifted, [blocks, 2, blocks, 2, cin, cout])
            shifted = tf.transpose(shifted, [0, 2, 1, 3, 4, 5])
            phases.append(tf.reshape(shifted, [blocks, blocks, 4 * cin, cout]))
    block_kernel = tf.reshape(tf.stack(phases, axis=3), [blocks, blocks, 4 * cin, 4 * cout])
    height, width = tf.shape(x)[1], tf.shape(x)[2]
    x = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode=pad_mode)
    x = tf.pad(x, [[0, 0], [0, (height + 2 * p) % 2], [0, (width + 2 * p) % 2], [0, 0]])
    y = tf.nn.conv2d(tf.nn.space_to_depth(x, 2), tf.cast(block_kernel, x.dtype), 1, "VALID")
    y = tf.nn.bias_add(y, tf.cast(tf.tile(conv.bias, [4]), y.dtype))
    return tf.nn.depth_to_space(y, 2)[:, :height, :width, :]
