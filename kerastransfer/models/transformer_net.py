"""The image transformation network for style transfer (Johnson et al. 2016, Table 1 of
the supplementary material), as a Keras subclassed model.

Input and output are float RGB images in [0, 255], shape [batch, height, width, 3];
the output has the input's height and width for every size from 32 up, odd sizes
included.
"""
import keras
import tensorflow as tf
from keras import ops

from kerastransfer.models.layers import (NORMALIZATIONS, PADDINGS, ConvLayer, PixelHead,
                                  ReflectionPadding2D, ResidualBlock, UpsampleConvLayer)

# The paper reflection-pads the input by 40 px; done as two 20-px pads so that inputs of
# 32-40 px (smaller than one 40-px mirror) still work.
PAPER_INPUT_PADDING = (20, 20)


@keras.saving.register_keras_serializable(package="kerastransfer")
class TransformerNet(keras.Model):
    """9×9 conv 32 → stride-2 convs 64, 128 → 5 residual blocks → 2 ×2 upsamplings 64, 32
    → 9×9 conv 3 → pixel head (the paper's scaled tanh by default).

    Args:
        width: channel multiplier; Johnson's released instance-norm models use 0.5.
        normalization: "instance" (default, Ulyanov et al.) or "batch" (the paper).
        padding: "reflect" (default): mirror padding at every convolution;
            "paper": one 40-px reflection pad on the input, zero-padded ordinary convs and
            unpadded residual convs, as in the paper.
        upsampling: "nearest" (default, nearest upsample + conv, no checkerboard) or
            "transpose" (the paper's fractionally strided convolution).
        residual_blocks: number of residual blocks (5 in the paper).
        decoder_normalization: normalisation of the residual blocks and the upsampling
            layers, when it should differ from the encoder's (None: `normalization`);
            "centred" subtracts the instance mean without dividing by the deviation;
            "demodulated" scales by the kernels' norms, no image statistics
            (`layers.WeightDemodulation`).
        output_head: "tanh" (the paper), "clip" or "linear"; see `layers.PixelHead`.

    Example:
        >>> net = TransformerNet(width=0.25)
        >>> net(keras.ops.zeros((1, 33, 47, 3))).shape
        TensorShape([1, 33, 47, 3])
    """

    def __init__(self, width=1.0, normalization="instance", padding="reflect",
                 upsampling="nearest", residual_blocks=5, decoder_normalization=None,
                 output_head="tanh", **kwargs):
        super().__init__(**kwargs)
        if padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
        for value in (normalization, decoder_normalization or normalization):
            if value not in NORMALIZATIONS:
                raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {value!r}")
        if not 0 < width <= 4:
            raise ValueError(f"width must be in (0, 4], got {width}")
        self.width = width
        self.normalization = normalization
        self.padding = padding
        self.upsampling = upsampling
        self.residual_blocks = residual_blocks
        self.decoder_normalization = decoder_normalization
        self.output_head = output_head
        c32, c64, c128 = (max(1, int(round(c * width))) for c in (32, 64, 128))
        conv_padding = "reflect" if padding == "reflect" else "same"
        residual_padding = "reflect" if padding == "reflect" else "valid"
        common = dict(normalization=normalization)
        decoder = dict(normalization=decoder_normalization or normalization)
        self.input_pads = [ReflectionPadding2D(p, name=f"input_pad{i}")
                           for i, p in enumerate(PAPER_INPUT_PADDING)] if padding == "paper" else []
        self.conv1 = ConvLayer(c32, 9, padding=conv_padding, name="conv1", **common)
        self.conv2 = ConvLayer(c64, 3, strides=2, padding=conv_padding, name="conv2", **common)
        self.conv3 = ConvLayer(c128, 3, strides=2, padding=conv_padding, name="conv3", **common)
        self.residuals = [ResidualBlock(c128, padding=residual_padding, name=f"res{i + 1}",
                                        **decoder) for i in range(residual_blocks)]
        self.up1 = UpsampleConvLayer(c64, 3, upsampling=upsampling, padding=conv_padding,
                                     name="up1", **decoder)
        self.up2 = UpsampleConvLayer(c32, 3, upsampling=upsampling, padding=conv_padding,
                                     name="up2", **decoder)
        self.conv_out = ConvLayer(3, 9, padding=conv_padding, normalization=None,
                                  activation=False, name="conv_out")
        self.to_pixels = PixelHead(output_head, name="to_pixels")

    def call(self, images, training=None):
        height, width = ops.shape(images)[1], ops.shape(images)[2]
        x = ops.cast(images, self.compute_dtype) / 127.5 - 1.0
        for pad in self.input_pads:
            x = pad(x)
        full = ops.shape(x)[1:3]
        x = self.conv1(x, training=training)
        x = self.conv2(x, training=training)
        half = ops.shape(x)[1:3]
        x = self.conv3(x, training=training)
        for block in self.residuals:
            x = block(x, training=training)
        if self.padding == "paper":  # residual convs shrank the map; crop at the very end
            x = self.up2(self.up1(x, training=training), training=training)
        else:
            x = self.up1(x, target_hw=half, training=training)
            x = self.up2(x, target_hw=full, training=training)
        x = self.conv_out(x, training=training)
        return self.to_pixels(x[:, :height, :width, :], training=training)

    @property
    def has_fused_form(self):
        """`fused_call` covers the default layout: mirror padding, instance norm, nearest
        upsampling."""
        return (self.padding == "reflect" and self.normalization == "instance"
                and self.decoder_normalization in (None, "instance")
                and self.upsampling == "nearest")

    def fused_call(self, images):
        """`self(images, training=False)` for one image [1, H, W, 3], each layer in its
        fused form (`inference_graph`); needs `has_fused_form`."""
        height, width = tf.shape(images)[1], tf.shape(images)[2]
        x = tf.cast(images, self.compute_dtype) / 127.5 - 1.0
        full = tf.shape(x)[1:3]
        x = self.conv2.fused_call(self.conv1.fused_call(x))
        half = tf.shape(x)[1:3]
        x = self.conv3.fused_call(x)
        for block in self.residuals:
            x = block.fused_call(x)
        x = self.up2.fused_call(self.up1.fused_call(x, half), full)
        x = self.conv_out.fused_call(x)[:, :height, :width, :]
        return self.to_pixels(x, training=False)

    def get_config(self):
        return {**super().get_config(), "width": self.width,
                "normalization": self.normalization, "padding": self.padding,
                "upsampling": self.upsampling, "residual_blocks": self.residual_blocks,
                "decoder_normalization": self.decoder_normalization,
                "output_head": self.output_head}
