"""Building blocks of the image transformation networks (Johnson et al. 2016, supp. §1).

Every layer implements `get_config`, so networks built from them serialise with Keras.
Where a layer departs from the paper, its docstring says so and why. The layers the
serving graph speeds up also carry a fused form, `fused_call`: the same function at
inference for one image, in the faster operations of `fast_ops` (see `inference_graph`).
"""
import keras
import tensorflow as tf
from keras import layers, ops

from kerastransfer.models import fast_ops, norm_statistics

PADDINGS = ("reflect", "paper")
NORMALIZATIONS = ("instance", "batch", "centred", "demodulated")
OUTPUT_HEADS = ("tanh", "clip", "linear")
UPSAMPLINGS = ("nearest", "transpose")
DEMODULATED_RESIDUAL_SCALE = 0.5 ** 0.5


@keras.saving.register_keras_serializable(package="kerastransfer")
class InstanceNormalization(layers.Layer):
    """Per-image, per-channel normalisation with a learned scale and offset.

    Departs from the paper (batch norm): Ulyanov et al. (2016) showed instance norm gives
    markedly better stylisation. Written here rather than taken from
    `GroupNormalization(groups=-1)` so the statistics are computed in float32 under mixed
    precision and so the statistics can come from outside the input: inside a
    `norm_statistics.StatisticsScope` every tile of a huge image is normalised with the
    whole image's moments, so the tiles agree with one another.

    `divide_by_std=False` subtracts the mean but keeps the contrast ("centred"): the
    StyleGAN2 analysis (Karras et al. 2020) traces droplet artefacts to generators that
    spike one location to dominate a normaliser's variance, and a mean-only normaliser
    gives them nothing to gain from it.
    """

    def __init__(self, epsilon=1e-5, divide_by_std=True, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.divide_by_std = divide_by_std

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        scope = norm_statistics.active_scope()
        if scope is None:
            mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
        else:
            mean, variance = scope.normalization_moments(x)
        x = x - mean
        if self.divide_by_std:
            x = x * ops.rsqrt(variance + self.epsilon)
        x = x * ops.cast(self.gamma, "float32") + ops.cast(self.beta, "float32")
        return ops.cast(x, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon,
                "divide_by_std": self.divide_by_std}


@keras.saving.register_keras_serializable(package="kerastransfer")
class WeightDemodulation(layers.Layer):
    """Scales each output channel of a convolution by the inverse norm of its kernel,
    then a learned scale and offset: a normaliser that reads the weights, not the image
    (StyleGAN2's demodulation, Karras et al. 2020).

    Its output's scale depends on no statistic of the image, so a generator gains nothing
    from spiking one location to shrink everything else, the mechanism StyleGAN2 traced
    its droplet artefacts to; the instance norms of the encoder still normalise the
    photo's contrast.
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs, kernel):
        """`kernel`: the convolution's kernel [kh, kw, in, out] whose output `inputs` is."""
        kernel = ops.cast(kernel, "float32")
        inverse_norm = ops.rsqrt(ops.sum(ops.square(kernel), axis=(0, 1, 2)) + self.epsilon)
        x = ops.cast(inputs, "float32") * (inverse_norm * ops.cast(self.gamma, "float32"))
        return ops.cast(x + ops.cast(self.beta, "float32"), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def _normalization(kind, name):
    if kind == "demodulated":
        return WeightDemodulation(name=name)
    if kind == "instance":
        return InstanceNormalization(name=name)
    if kind == "centred":
        return InstanceNormalization(divide_by_std=False, name=name)
    if kind == "batch":
        return layers.BatchNormalization(epsilon=1e-5, name=name)
    raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {kind!r}")


@keras.saving.register_keras_serializable(package="kerastransfer")
class ReflectionPadding2D(layers.Layer):
    """Mirror-pads height and width; avoids the dark borders zero padding leaves."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, inputs):
        p = self.padding
        return ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="kerastransfer")
class ConvLayer(layers.Layer):
    """Convolution → normalisation → ReLU, the paper's basic unit.

    `padding="reflect"` mirror-pads by kernel//2 before a valid convolution (departs from
    the paper's zero padding, as the PyTorch and later Johnson models do, to avoid border
    artefacts); `padding="same"` is zero padding; `padding="valid"` none at all.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="reflect",
                 normalization="instance", activation=True, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.normalization = normalization
        self.activation = activation
        self.pad = ReflectionPadding2D(kernel_size // 2) if padding == "reflect" else None
        self.conv = layers.Conv2D(filters, kernel_size, strides=strides,
                                  padding="valid" if padding in ("reflect", "valid") else "same",
                                  name="conv")
        self.norm = _normalization(normalization, "norm") if normalization else None

    def call(self, inputs, training=None):
        x = self.pad(inputs) if self.pad is not None else inputs
        x = self.conv(x)
        if isinstance(self.norm, WeightDemodulation):
            x = self.norm(x, self.conv.kernel)
        elif self.norm is not None:
            x = self.norm(x, training=training)
        return ops.relu(x) if self.activation else x

    def fused_call(self, x):
        """`self(x, training=False)` for one image with mirror padding: a bias-free
        convolution and `fused_normalize`, or, for an output convolution (no
        normalisation, under 4 channels), the convolution on 2×2 blocks."""
        if self.norm is None and self.filters < 4:
            x = fast_ops.conv_on_blocks(self.conv, x, "REFLECT")
            return tf.nn.relu(x) if self.activation else x
        p = self.kernel_size // 2
        x = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")
        kernel = tf.cast(self.conv.kernel, x.dtype)
        y = tf.nn.conv2d(x, kernel, self.strides, "VALID")
        if isinstance(self.norm, InstanceNormalization):
            y = tf.nn.bias_add(y, fast_ops.centring_bias(x, kernel))
        return self.fused_normalize(y)

    def fused_normalize(self, x):
        """The conv bias, normalisation and optional ReLU after a bias-free convolution:
        instance norm of a batch of one (the bias cancels), batch norm from its moving
        statistics (the bias folded into the mean), or the bias alone."""
        if isinstance(self.norm, InstanceNormalization):
            x = fast_ops.instance_norm(x, self.norm.gamma, self.norm.beta, self.norm.epsilon)
        elif isinstance(self.norm, layers.BatchNormalization):
            x = fast_ops.batch_norm(x, self.norm, self.conv.bias)
        elif self.norm is None:
            x = tf.nn.bias_add(x, tf.cast(self.conv.bias, x.dtype))
        else:
            raise ValueError(f"{self.name}: no fused form for {type(self.norm).__name__}")
        return tf.nn.relu(x) if self.activation else x

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "normalization": self.normalization,
                "activation": self.activation}


@keras.saving.register_keras_serializable(package="kerastransfer")
class ResidualBlock(layers.Layer):
    """Two 3×3 ConvLayers with an identity shortcut (Gross & Wilber's design, paper §3).

    With `padding="valid"` (the paper's layout) each convolution shrinks the map by two
    pixels a side, so the shortcut is centre-cropped to match.
    """

    def __init__(self, filters, padding="reflect", normalization="instance", **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.padding = padding
        self.normalization = normalization
        self.conv1 = ConvLayer(filters, 3, padding=padding, normalization=normalization,
                               name="conv1")
        self.conv2 = ConvLayer(filters, 3, padding=padding, normalization=normalization,
                               activation=False, name="conv2")

    def call(self, inputs, training=None):
        x = self.conv2(self.conv1(inputs, training=training), training=training)
        shortcut = inputs[:, 2:-2, 2:-2, :] if self.padding == "valid" else inputs
        if self.normalization == "demodulated":
            # no normaliser resets the scale, so keep the sum's variance that of its
            # parts; unscaled, five blocks saturate the tanh head at initialisation
            return (shortcut + x) * DEMODULATED_RESIDUAL_SCALE
        return shortcut + x

    def fused_call(self, x):
        """`self(x, training=False)` for one image with mirror padding."""
        return x + self.conv2.fused_call(self.conv1.fused_call(x))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "padding": self.padding,
                "normalization": self.normalization}


@keras.saving.register_keras_serializable(package="kerastransfer")
class UpsampleConvLayer(layers.Layer):
    """×2 upsampling followed by a ConvLayer, cropped to a given target size.

    `upsampling="nearest"` (default) resizes by nearest neighbour and then convolves,
    departing from the paper's fractionally strided convolution because that one leaves
    checkerboard artefacts (Odena et al. 2016). `"transpose"` is the paper's layer.
    The output is cropped to `target_hw` so odd input sizes come back exactly.
    """

    def __init__(self, filters, kernel_size=3, upsampling="nearest", padding="reflect",
                 normalization="instance", **kwargs):
        super().__init__(**kwargs)
        if upsampling not in UPSAMPLINGS:
            raise ValueError(f"upsampling must be one of {UPSAMPLINGS}, got {upsampling!r}")
        if upsampling == "transpose" and normalization == "demodulated":
            raise ValueError("demodulated normalisation needs upsampling='nearest'")
        self.filters = filters
        self.kernel_size = kernel_size
        self.upsampling = upsampling
        self.padding = padding
        self.normalization = normalization
        if upsampling == "nearest":
            self.up = layers.UpSampling2D(2, interpolation="nearest", name="upsample")
            self.conv = ConvLayer(filters, kernel_size, padding=padding,
                                  normalization=normalization, name="conv")
        else:
            self.up = None
            self.conv = layers.Conv2DTranspose(filters, kernel_size, strides=2,
                                               padding="same", name="conv_transpose")
            self.norm = _normalization(normalization, "norm") if normalization else None

    def call(self, inputs, target_hw=None, training=None):
        if self.up is not None:
            x = self.conv(self.up(inputs), training=training)
        else:
            x = self.conv(inputs)
            x = ops.relu(self.norm(x, training=training) if self.norm is not None else x)
        if target_hw is not None:
            x = x[:, : target_hw[0], : target_hw[1], :]
        return x

    def fused_call(self, x, target_hw=None):
        """`self(x, target_hw)` at inference for one image with nearest upsampling and
        mirror padding: the upsampling and the 3×3 conv in sub-pixel form
        (`fast_ops.upsample_conv`), then the ConvLayer's normalisation and ReLU."""
        centre = isinstance(self.conv.norm, InstanceNormalization)
        x = self.conv.fused_normalize(fast_ops.upsample_conv(x, self.conv.conv.kernel, centre))
        return x if target_hw is None else x[:, :target_hw[0], :target_hw[1], :]

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "upsampling": self.upsampling,
                "padding": self.padding, "normalization": self.normalization}


@keras.saving.register_keras_serializable(package="kerastransfer")
class ScaledTanh(layers.Layer):
    """Maps the last convolution to pixel values in [0, 255] (paper §3)."""

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        return 127.5 * (ops.tanh(x) + 1.0)


@keras.saving.register_keras_serializable(package="kerastransfer")
class PixelHead(layers.Layer):
    """Maps the last convolution x to pixel values 127.5 (x + 1), kept in [0, 255].

    kind "tanh": 127.5 (tanh x + 1), the paper's head. Its gradient vanishes where it
        saturates, so a patch pushed to 0 or 255 early in training gets no signal to come
        back: the saturated discs ("blobs") of short CPU runs sit at its floor.
    kind "clip": clipped to [0, 255] in the forward pass, with the identity as gradient
        (straight-through), so saturated pixels still learn.
    kind "linear": unbounded while training (the objective's range penalty keeps it in
        range, as the PyTorch example's linear head relies on the loss alone), clipped
        at inference.
    """

    def __init__(self, kind="tanh", **kwargs):
        super().__init__(**kwargs)
        if kind not in OUTPUT_HEADS:
            raise ValueError(f"output head must be one of {OUTPUT_HEADS}, got {kind!r}")
        self.kind = kind

    def call(self, inputs, training=None):
        x = ops.cast(inputs, "float32")
        if self.kind == "tanh":
            return 127.5 * (ops.tanh(x) + 1.0)
        x = 127.5 * (x + 1.0)
        clipped = ops.clip(x, 0.0, 255.0)
        if self.kind == "clip":
            return x + ops.stop_gradient(clipped - x)
        return x if training else clipped

    def get_config(self):
        return {**super().get_config(), "kind": self.kind}
