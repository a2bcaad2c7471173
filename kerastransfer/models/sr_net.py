"""The super-resolution network (Johnson et al. 2016, supplementary Table 2).

9×9 conv 64 → four residual blocks of 64 → log2(scale) ×2 upsampling stages of 64 →
9×9 conv 3 → scaled tanh to [0, 255]. Fully convolutional: any input size, output
exactly `scale ×` the input's height and width.

`residual=True` departs from the paper: the network adds a learned correction to the
bicubic upscale of its input (global residual learning, as in VDSR), the correction's
last convolution starting at zero. It starts as good as bicubic instead of from a grey
image, which is what makes a model trained for a few hundred steps on a CPU usable.

`output_kernel` (9 in the paper) sets the last convolution's kernel. That layer runs at
the output's full size with 3 output channels, a shape oneDNN computes poorly: 3×3 costs
a ninth of 9×9's arithmetic and leaves the receptive field almost as it was (the four
residual blocks and the upsampling convolutions before it see far wider).
"""
import math

import keras
import tensorflow as tf
from keras import layers, ops

from kerastransfer.models import fast_ops
from kerastransfer.models.degradation import bicubic_upscale
from kerastransfer.models.layers import ConvLayer, ResidualBlock, ScaledTanh, UpsampleConvLayer

SCALES = (2, 4, 8)
SR_NORMALIZATIONS = ("batch", "instance", None)


@keras.saving.register_keras_serializable(package="kerastransfer")
class SuperResolutionNet(keras.Model):
    """Args:
        scale: upscaling factor, 2, 4 or 8.
        filters: channels throughout (64 in the paper).
        residual_blocks: 4 in the paper.
        normalization: "batch" (default, the paper's), "instance", or None. Instance norm
            is not the default here: it discards each image's brightness and contrast,
            which a super-resolution network must keep.
        upsampling: "nearest" (resize + conv, default) or "transpose" (stride-½ conv).
        residual: output = bicubic upscale + learned correction (see the module docstring).
        output_kernel: kernel size of the last convolution, odd (9 in the paper).

    Example:
        >>> SuperResolutionNet(scale=4, filters=8)(keras.ops.zeros((1, 9, 11, 3))).shape
        TensorShape([1, 36, 44, 3])
    """

    def __init__(self, scale=4, filters=64, residual_blocks=4, normalization="batch",
                 upsampling="nearest", residual=False, output_kernel=9, **kwargs):
        super().__init__(**kwargs)
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale}")
        if normalization not in SR_NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {SR_NORMALIZATIONS}, got {normalization!r}")
        if output_kernel < 1 or output_kernel % 2 == 0:
            raise ValueError(f"output_kernel must be odd and >= 1, got {output_kernel}")
        self.scale = scale
        self.filters = filters
        self.residual_blocks = residual_blocks
        self.normalization = normalization
        self.upsampling = upsampling
        self.residual = residual
        self.output_kernel = output_kernel
        self.conv_in = ConvLayer(filters, 9, normalization=normalization, name="conv_in")
        self.residuals = [ResidualBlock(filters, normalization=normalization, name=f"res{i + 1}")
                          for i in range(residual_blocks)]
        self.ups = [UpsampleConvLayer(filters, 3, upsampling=upsampling,
                                      normalization=normalization, name=f"up{i + 1}")
                    for i in range(int(math.log2(scale)))]
        if residual:
            self.correction = layers.Conv2D(3, output_kernel, padding="same",
                                            kernel_initializer="zeros", name="correction")
        else:
            self.conv_out = ConvLayer(3, output_kernel, normalization=None, activation=False,
                                      name="conv_out")
            self.to_pixels = ScaledTanh(name="to_pixels")

    def call(self, images, training=None):
        x = ops.cast(images, self.compute_dtype) / 127.5 - 1.0
        x = self.conv_in(x, training=training)
        for block in self.residuals:
            x = block(x, training=training)
        for up in self.ups:
            x = up(x, training=training)
        if self.residual:  # float32 out: bfloat16 cannot hold pixel values to one level
            correction = ops.cast(self.correction(x), "float32") * 127.5
            return bicubic_upscale(images, self.scale) + correction
        return self.to_pixels(self.conv_out(x, training=training))

    @property
    def has_fused_form(self):
        """`fused_call` covers nearest upsampling with batch norm or none."""
        return self.upsampling == "nearest" and self.normalization in ("batch", None)

    def fused_call(self, images):
        """`self(images, training=False)` for one image [1, H, W, 3], each layer in its
        fused form (`inference_graph`); needs `has_fused_form`."""
        x = tf.cast(images, self.compute_dtype) / 127.5 - 1.0
        x = self.conv_in.fused_call(x)
        for block in self.residuals:
            x = block.fused_call(x)
        for up in self.ups:
            x = up.fused_call(x)
        if self.residual:  # the correction conv zero-pads ("same"); float32 out, as in call
            correction = fast_ops.conv_on_blocks(self.correction, x, "CONSTANT")
            return bicubic_upscale(images, self.scale) + tf.cast(correction, tf.float32) * 127.5
        x = tf.cast(self.conv_out.fused_call(x), tf.float32)
        return 127.5 * (tf.tanh(x) + 1.0)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "filters": self.filters,
                "residual_blocks": self.residual_blocks, "normalization": self.normalization,
                "upsampling": self.upsampling, "residual": self.residual,
                "output_kernel": self.output_kernel}
