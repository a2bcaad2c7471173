"""The TensorFlow operations behind the layers' fused forms (`fused_call`): the same
function as the Keras layers at inference, rewritten into operations that run faster on a
CPU. Each rewrite is exact in real arithmetic; `inference_graph` says what each one gains.
"""
import tensorflow as tf


def instance_norm(x, gamma, beta, epsilon):
    """Instance norm of one image by `FusedBatchNormV3` in training mode: the batch
    statistics of a batch of one are that image's statistics. Its sums are naive, so `x`
    must come centred (`centring_bias`)."""
    x, _, _ = tf.compat.v1.nn.fused_batch_norm(
        x, tf.cast(gamma, tf.float32), tf.cast(beta, tf.float32), epsilon=epsilon,
        is_training=True)
    return x


def batch_norm(x, norm, bias):
    """A Keras BatchNormalization from its moving statistics, after a bias-free conv whose
    `bias` is folded into the mean."""
    channels = x.shape[-1]
    ones, zeros = tf.ones([channels]), tf.zeros([channels])
    x, _, _ = tf.compat.v1.nn.fused_batch_norm(
        x, tf.cast(norm.gamma, tf.float32) if norm.scale else ones,
        tf.cast(norm.beta, tf.float32) if norm.center else zeros,
        mean=tf.cast(norm.moving_mean, tf.float32) - tf.cast(bias, tf.float32),
        variance=tf.cast(norm.moving_variance, tf.float32),
        epsilon=norm.epsilon, is_training=False)
    return x


def centring_bias(x, kernel):
    """Minus an estimate of the mean of conv(x, kernel) per output channel, from every
    8th pixel of `x`. The fused norm sums naively in float32: on a large, nearly flat map
    its mean is off by ~1e-3, which 1/sqrt(epsilon) turns into whole levels. Normalising
    ignores a constant shift, so this bias, added inside the conv at no cost, centres its
    input closely enough."""
    sample_mean = tf.reduce_mean(tf.cast(x[:, ::8, ::8, :], tf.float32), axis=[1, 2])
    kernel_sum = tf.reduce_sum(tf.cast(kernel, tf.float32), axis=[0, 1])
    return tf.cast(-tf.linalg.matmul(sample_mean, kernel_sum)[0], x.dtype)


def phase_kernels(kernel):
    """The 2×2 kernel of each output phase of nearest ×2 upsampling + a 3×3 conv, as
    [a][b]. Along one axis, even output rows 2i see source rows i-1 (tap 0) and i
    (taps 1 + 2); odd rows 2i+1 see i (taps 0 + 1) and i+1 (tap 2)."""
    def phases(k, axis):
        t0, t1, t2 = tf.unstack(k, axis=axis)
        return [tf.stack([t0, t1 + t2], axis=axis), tf.stack([t0 + t1, t2], axis=axis)]

    return [phases(rows, 1) for rows in phases(kernel, 0)]


def upsample_conv(x, kernel, centre=False):
    """Nearest ×2 upsampling, mirror pad 1 and a bias-free 3×3 conv, in sub-pixel form:
    one 2×2 conv per output phase at the input's resolution, interleaved by
    `depth_to_space`. `centre` adds `centring_bias` (each phase kernel sums to the whole)."""
    phase_kernel = phase_kernels(tf.cast(kernel, x.dtype))
    height, width = tf.shape(x)[1], tf.shape(x)[2]
    padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC")
    phases = [tf.nn.conv2d(padded[:, a:a + height + 1, b:b + width + 1],
                           phase_kernel[a][b], 1, "VALID")
              for a in (0, 1) for b in (0, 1)]
    if centre:
        centring = centring_bias(x, tf.cast(kernel, x.dtype))
        phases = [tf.nn.bias_add(phase, centring) for phase in phases]
    filters = kernel.shape[-1]
    x = tf.reshape(tf.stack(phases, axis=3), [1, height, width, 4 * filters])
    return tf.nn.depth_to_space(x, 2)


def conv_on_blocks(conv, x, pad_mode):
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
