"""Stylising and super-resolving images too large for one forward pass, in bounded memory.

The image is cut into a grid of tiles: a core of about `tile_size` output pixels plus
`margin` input pixels of context on every side, which the network needs because each
output pixel sees a neighbourhood of the input (TransformerNet about ±57 px, the SR
network about ±14 low-resolution px). Neighbouring tiles' outputs are cross-faded with
linear ramps over `blend` pixels either side of each core edge and finished row band by
row band into the uint8 result, so memory grows with the tile size and the image width,
not with the image area.

Instance norm makes every output pixel depend on statistics of the whole image, so tiles
are normalised with the whole image's moments (`norm_statistics`), found one layer at a
time by tiled passes that run the network only up to that layer (`image_statistics`).
With them and a margin of 64 px the tiled udnie output equals the untiled one
(tools/measure_tiling.py). Batch-norm networks (super-resolution) need no statistics.

Example:
    >>> tiled = TiledNetwork(TransformerNet(width=0.125), tile_size=128)
    >>> tiled(np.zeros((300, 200, 3), np.uint8)).shape
    (300, 200, 3)
"""
import functools
import math

import numpy as np
import tensorflow as tf

from kerastransfer.artifact import MIN_SIDE, TILE_SIZE
from kerastransfer.models import inference_graph
from kerastransfer.models.norm_statistics import StatisticsComplete, StatisticsScope

# Output sizes above which stylize/upscale tile by default: one untiled pass peaks at
# 1.8 GiB for udnie at 1536² and 1.4 GiB for the 64-filter ×4 SR network at 1024² output
# (2.4 and 2.5 GiB at the next step up, 2048² and 1536²); tiled, 4096² stays under 2 GiB.
STYLE_TILE_ABOVE_PIXELS = 1536 * 1536
SR_TILE_ABOVE_PIXELS = 1024 * 1024
STYLE_MARGIN = 64               # input px; udnie: MAD 0.01/255 at 32, exact from 48
SR_MARGIN = 16                  # low-resolution px; the receptive field is about ±14
ALIGN = 4                       # TransformerNet downsamples by 4: tiles start on its grid
MIN_TILE = MIN_SIDE


def tile_spans(length, core, margin, align=ALIGN):
    """Splits [0, length) into near-equal cores of about `core` (edges on multiples of
    `align`, none shorter than MIN_TILE) and widens each by `margin`. Returns
    [(core_start, core_end, input_start, input_end)]."""
    count = max(1, min(math.ceil(length / core), length // (MIN_TILE + align)))
    cuts = [0] + [round(i * length / count) // align * align for i in range(1, count)] + [length]
    return [(a, b, max(0, a - margin), min(length, b + margin)) for a, b in zip(cuts, cuts[1:])]


def ramp(core_start, core_end, length, blend):
    """1-D weights over [max(0, core_start - blend), min(length, core_end + blend)):
    1 inside the core, linear over 2·blend around each interior core edge, so the
    weights of neighbouring tiles sum to exactly 1."""
    start, end = max(0, core_start - blend), min(length, core_end + blend)
    position = np.arange(start, end) + 0.5
    weight = np.ones(end - start, np.float32)
    if blend and core_start > 0:
        weight = np.minimum(weight, (position - (core_start - blend)) / (2 * blend))
    if blend and core_end < length:
        weight = np.minimum(weight, ((core_end + blend) - position) / (2 * blend))
    return start, end, weight.astype(np.float32)


class MomentSum:
    """Combines per-tile (mean, variance, count) into the whole image's, in float64
    (Chan et al.'s pairwise update). Means and variances are [batch, channels]."""

    def __init__(self):
        self.count, self.mean, self.m2 = 0.0, 0.0, 0.0

    def add(self, mean, variance, count):
        mean, variance = np.asarray(mean, np.float64), np.asarray(variance, np.float64)
        total = self.count + count
        delta = mean - self.mean
        self.mean = self.mean + delta * count / total
        self.m2 = self.m2 + variance * count + delta ** 2 * self.count * count / total
        self.count = total

    def result(self):
        return tf.constant(self.mean, tf.float32), tf.constant(self.m2 / self.count, tf.float32)


def count_norm_layers(network):
    """How many InstanceNormalization layers a forward pass goes through."""
    with StatisticsScope() as scope:
        network(tf.zeros([1, MIN_TILE, MIN_TILE, 3]), training=False)
    return len(scope.measured)


TILE_SPEC = tf.TensorSpec([1, None, None, 3], tf.float32)
MOMENT_SPEC = (tf.TensorSpec([1, None], tf.float32),) * 2  # (mean, variance) of one layer


def _layer_moments(network, layer, tile, known, core):
    """Layer `layer`'s input moments over a tile's core, layers before it normalised
    with `known`; the network stops right after it."""
    scope = StatisticsScope(known, core=tf.unstack(core), input_hw=tf.shape(tile)[1:3],
                            stop_after=layer)
    try:
        with scope:
            network(tile, training=False)
    except StatisticsComplete:
        pass
    return scope.measured[layer]


def _run_tile(network, tile, moments):
    if not moments and inference_graph.supports(network):
        return inference_graph.forward(network, tile)  # no statistics to share (SR): fast pass
    with StatisticsScope(moments):
        return network(tile, training=False)


class TiledNetwork:
    """Runs `network` (float images in [0, 255] → [0, 255], e.g. TransformerNet or
    SuperResolutionNet) on uint8 images of any size, tile by tile.

    Args:
        network: a built Keras image network; `network.scale` if it upsamples.
        tile_size: core of a tile in output pixels (>= 64; memory grows with its square).
        margin: context around each core in input pixels (default: STYLE_MARGIN, or
            SR_MARGIN for a super-resolution network).
        blend: cross-fade half-width in input pixels (default margin // 4).
    """

    def __init__(self, network, tile_size=TILE_SIZE, margin=None, blend=None):
        self.network = network
        self.scale = int(getattr(network, "scale", 1))
        default_margin = SR_MARGIN if self.scale > 1 else STYLE_MARGIN
        self.margin = -(-(default_margin if margin is None else margin) // ALIGN) * ALIGN
        self.core = max(MIN_TILE, tile_size // self.scale // ALIGN * ALIGN)
        self.blend = min(self.margin // 4 if blend is None else blend, self.margin, self.core // 4)
        if tile_size < 64 or self.margin < 0:
            raise ValueError(f"tile_size must be >= 64 and margin >= 0, got {tile_size}, {margin}")
        self.norm_layers = count_norm_layers(network)

        known = [MOMENT_SPEC] * self.norm_layers
        # One function per layer, as each traces a different prefix of the network
        # (partials, so TensorFlow does not count them as one function retraced).
        self._layer_moments = [
            tf.function(functools.partial(_layer_moments, network, layer),
                        input_signature=[TILE_SPEC, known[:layer], tf.TensorSpec([4], tf.int32)])
            for layer in range(self.norm_layers)]
        self._run_tile = tf.function(functools.partial(_run_tile, network),
                                     input_signature=[TILE_SPEC, known])

    def __call__(self, image):
        """uint8 [H, W, 3] → uint8 [scale·H, scale·W, 3]."""
        image = np.asarray(image, np.uint8)
        moments = self.image_statistics(image)
        return self._blended(image, moments)

    def _spans(self, image):
        height, width = image.shape[:2]
        return (tile_spans(height, self.core, self.margin),
                tile_spans(width, self.core, self.margin))

    @staticmethod
    def _cut(image, rows, cols):
        """The float32 tile [1, h, w, 3] and its core box (top, left, bottom, right)."""
        tile = image[rows[2]:rows[3], cols[2]:cols[3]].astype(np.float32)[np.newaxis]
        core = (rows[0] - rows[2], cols[0] - cols[2], rows[1] - rows[2], cols[1] - cols[2])
        return tf.constant(tile), tf.constant(core, tf.int32)

    def image_statistics(self, image):
        """The whole image's instance-norm moments [(mean, variance), ...] per layer, by
        one tiled pass per layer (exact: layers before it are normalised as the untiled
        network would)."""
        row_spans, col_spans = self._spans(image)
        known = []
        for layer in range(self.norm_layers):
            total = MomentSum()
            for rows in row_spans:
                for cols in col_spans:
                    tile, core = self._cut(image, rows, cols)
                    mean, variance, count = self._layer_moments[layer](tile, known, core)
                    total.add(mean.numpy(), variance.numpy(), float(count))
            known.append(total.result())
        return known

    def _blended(self, image, moments):
        """Runs every tile with `moments` and cross-fades them into a uint8 image, one
        band of tile rows at a time."""
        height, width = image.shape[:2]
        s, b = self.scale, self.blend
        out = np.empty((height * s, width * s, 3), np.uint8)
        row_spans, col_spans = self._spans(image)
        carry = None  # the weighted rows this band shares with the next
        for index, rows in enumerate(row_spans):
            top, bottom, row_weight = ramp(rows[0] * s, rows[1] * s, height * s, b * s)
            band = np.zeros((bottom - top, width * s, 3), np.float32)
            for cols in col_spans:
                tile, _ = self._cut(image, rows, cols)
                result = self._run_tile(tile, moments)[0].numpy()
                left, right, col_weight = ramp(cols[0] * s, cols[1] * s, width * s, b * s)
                piece = result[top - rows[2] * s:bottom - rows[2] * s,
                               left - cols[2] * s:right - cols[2] * s]
                band[:, left:right] += piece * row_weight[:, None, None] * col_weight[None, :, None]
            if carry is not None:
                band[:len(carry)] += carry
            last = index + 1 == len(row_spans)
            done = bottom if last else max(0, row_spans[index + 1][0] - b) * s
            out[top:done] = np.clip(np.round(band[:done - top]), 0, 255).astype(np.uint8)
            carry = band[done - top:]
        return out


@functools.lru_cache(maxsize=4)
def _tiled(network, tile_size):
    """One TiledNetwork per network and tile size, so a folder traces the network once."""
    return TiledNetwork(network, tile_size=tile_size)


def transform(model, image, tile_size=TILE_SIZE, tile_above_pixels=None):
    """`model` on one uint8 image [H, W, 3]: one pass through the SavedModel's signature
    when the output has at most `tile_above_pixels` pixels (None: STYLE_ or
    SR_TILE_ABOVE_PIXELS) or `tile_size` is 0, else tiled with `TiledNetwork` on the
    Keras network rebuilt from the SavedModel (`model.keras_network()`)."""
    scale = int(getattr(model, "scale", 1))
    if tile_above_pixels is None:
        tile_above_pixels = SR_TILE_ABOVE_PIXELS if scale > 1 else STYLE_TILE_ABOVE_PIXELS
    pixels = image.shape[0] * image.shape[1] * scale * scale
    if not tile_size or pixels <= tile_above_pixels or not hasattr(model, "keras_network"):
        return model(image[np.newaxis])[0]
    return _tiled(model.keras_network(), tile_size)(image)
