"""The perceptual objective of one trained network: which VGG-16 layers, which weights,
which style. Shared by training, the Gatys optimisation baseline and evaluation, so all
three minimise and report exactly the same quantity.
"""
import dataclasses

from keras import ops

from kerastransfer.perceptual import losses
from kerastransfer.perceptual.loss_network import LossNetwork, keras_layer_name

DEFAULT_CONTENT_LAYERS = ("block2_conv2",)  # relu2_2, as in the paper
DEFAULT_STYLE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3")


@dataclasses.dataclass
class LossWeights:
    """λ's of the paper's objective; stated against the definitions in `losses`."""
    content_layers: tuple = DEFAULT_CONTENT_LAYERS
    content_weight: float = 1.0
    style_layers: tuple = DEFAULT_STYLE_LAYERS
    style_weight: float = 1.0
    tv_weight: float = 1e-6
    pixel_weight: float = 0.0
    range_weight: float = 0.0
    pixel_loss: str = "l2"  # the pixel term's form: `losses.PIXEL_LOSSES`

    def __post_init__(self):
        self.content_layers = tuple(keras_layer_name(n) for n in self.content_layers)
        self.style_layers = tuple(keras_layer_name(n) for n in self.style_layers)
        for field in ("content_weight", "style_weight", "tv_weight", "pixel_weight",
                      "range_weight"):
            if getattr(self, field) < 0:
                raise ValueError(f"{field} must be >= 0, got {getattr(self, field)}")
        if self.pixel_loss not in losses.PIXEL_LOSSES:
            raise ValueError(f"pixel_loss must be one of {tuple(losses.PIXEL_LOSSES)}, "
                             f"got {self.pixel_loss!r}")

    @classmethod
    def from_json(cls, loss):
        """The inverse of `to_json`, from a model record's "loss" (extra keys ignored)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v
                      for k, v in loss.items() if k in fields})

    def to_json(self):
        return {**dataclasses.asdict(self), "content_layers": list(self.content_layers),
                "style_layers": list(self.style_layers)}


class PerceptualObjective:
    """Computes each weighted term of the objective for a batch of outputs.

    Args:
        loss_network: a `LossNetwork` exposing at least the content and style layers.
        weights: `LossWeights`.
        style_image: float [1, H, W, 3] in [0, 255], or None for no style term.
    """

    def __init__(self, loss_network, weights, style_image=None):
        use_style = style_image is not None and bool(weights.style_layers)
        needed = set(weights.content_layers) | set(weights.style_layers if use_style else ())
        if needed and loss_network is None:
            raise ValueError(f"layers {sorted(needed)} need a loss network")
        missing = needed - set(loss_network.layer_names if loss_network else ())
        if missing:
            raise ValueError(f"loss network lacks layers {sorted(missing)}")
        self.loss_network = loss_network
        self.weights = weights
        self.style_grams = {}
        if weights.content_layers:
            loss_network.submodel(weights.content_layers)  # content targets stop early
        if use_style:
            features = loss_network(style_image)
            self.style_grams = {n: losses.gram_matrix(features[n])[0] for n in weights.style_layers}
        self._output_layers = tuple(dict.fromkeys(weights.content_layers + tuple(self.style_grams)))
        if self._output_layers:
            loss_network.submodel(self._output_layers)

    @classmethod
    def build(cls, weights, style_image=None, vgg_weights="torchvision"):
        """Builds the loss network the weights need (none for a pixel-only objective)."""
        style_layers = weights.style_layers if style_image is not None else ()
        layers = tuple(dict.fromkeys(weights.content_layers + style_layers))
        network = LossNetwork(layers, weights=vgg_weights) if layers else None
        return cls(network, weights, style_image)

    def content_targets(self, content_images):
        """φ of the content images at the content layers; reusable across iterations."""
        if not self.weights.content_layers:
            return {}
        return self.loss_network(content_images, layers=self.weights.content_layers)

    def terms(self, outputs, content_images, content_targets=None):
        """{'content', 'style', 'tv', 'pixel', 'range', 'total'}: weighted float32 scalars."""
        w = self.weights
        if content_targets is None and w.content_layers:
            content_targets = self.content_targets(content_images)
        features = (self.loss_network(outputs, layers=self._output_layers)
                    if self._output_layers else {})
        content = sum(losses.feature_reconstruction_loss(features[n], content_targets[n])
                      for n in w.content_layers) if w.content_layers else 0.0
        style = losses.style_reconstruction_loss(features, self.style_grams) if self.style_grams else 0.0
        tv = losses.total_variation_loss(outputs) if w.tv_weight else 0.0
        pixel = (losses.PIXEL_LOSSES[w.pixel_loss](outputs, content_images)
                 if w.pixel_weight else 0.0)
        out_of_range = losses.range_penalty(outputs) if w.range_weight else 0.0
        terms = {"content": w.content_weight * content, "style": w.style_weight * style,
                 "tv": w.tv_weight * tv, "pixel": w.pixel_weight * pixel,
                 "range": w.range_weight * out_of_range}
        terms = {k: ops.cast(v, "float32") for k, v in terms.items()}
        terms["total"] = sum(terms[k] for k in ("content", "style", "tv", "pixel", "range"))
        return terms
