"""A faster inference pass for the trained style and super-resolution networks: the
same function as `network(images, training=False)`, rewritten into operations that run
faster on a CPU.

The exported serving signatures use it; training and tiling keep the Keras layers. The
rewrites are the layers' own fused forms (`ConvLayer.fused_call` and the rest, over the
operations in `fast_ops`), chained by each network's `fused_call` as its `call` chains
the layers, so this module only maps them over a batch. Each rewrite is exact in real
arithmetic, so outputs differ from the Keras pass only by floating-point rounding
(tests/test_inference_graph.py checks both agree). Measured at
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
gets `serving_portable`, the plain Keras pass (see `export.saved_model`).
"""
import tensorflow as tf


def supports(network):
    """True if `forward` can take this network: one with a fused form for its layout
    (`has_fused_form`: a TransformerNet with mirror padding, instance norm and nearest
    upsampling, or a SuperResolutionNet with nearest upsampling and batch norm or none)."""
    return getattr(network, "has_fused_form", False)


def forward(network, images):
    """`network(images, training=False)` for float images in [0, 255], [B, H, W, 3],
    through the faster operations, image by image; networks `supports` refuses run as
    they are. Computes in the network's current compute dtype (bfloat16 inside
    `saved_model.computing_in`)."""
    if not supports(network):
        return network(images, training=False)

    def one(image):
        return network.fused_call(image[tf.newaxis])[0]

    return tf.map_fn(one, tf.cast(images, tf.float32),
                     fn_output_signature=tf.TensorSpec([None, None, 3], tf.float32))
