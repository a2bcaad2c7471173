"""Super-resolution with an exported model: the network's output, tiled when large,
optionally histogram-matched to the bicubic upscale (the paper's fix for ℓfeat's small
colour shifts)."""
import numpy as np
import tensorflow as tf

from kerastransfer.artifact import TILE_SIZE
from kerastransfer.inference import tiling
from kerastransfer.models import degradation


def match_histograms(image, reference):
    """Per-channel histogram matching of uint8 `image` to `reference` (the paper applies
    it to ℓfeat outputs to undo small colour shifts). Returns uint8 like `image`."""
    out = np.empty_like(image)
    for c in range(image.shape[-1]):
        source = image[..., c].ravel()
        values, inverse, counts = np.unique(source, return_inverse=True, return_counts=True)
        ref_values, ref_counts = np.unique(reference[..., c].ravel(), return_counts=True)
        source_cdf = np.cumsum(counts) / source.size
        ref_cdf = np.cumsum(ref_counts) / reference[..., c].size
        mapped = np.interp(source_cdf, ref_cdf, ref_values)
        out[..., c] = np.clip(np.round(mapped[inverse]), 0, 255).reshape(image.shape[:-1])
    return out


def upscale(model, image, scale, histogram_match=False, tile_size=TILE_SIZE,
            tile_above_pixels=None):
    """uint8 LR [H, W, 3] → uint8 [scale·H, scale·W, 3] with `model` (uint8 batch → batch),
    optionally histogram-matched to the bicubic upscale of the input. Outputs over
    `tile_above_pixels` (None: `tiling.SR_TILE_ABOVE_PIXELS`) are made in tiles of
    `tile_size` output pixels (0 = never)."""
    out = tiling.transform(model, image, tile_size, tile_above_pixels)
    if histogram_match:
        out = match_histograms(out, bicubic(image, scale))
    return out


def to_uint8(images):
    return tf.cast(tf.clip_by_value(tf.round(images), 0, 255), tf.uint8).numpy()


def bicubic(lr, scale):
    """uint8 LR [H, W, 3] → uint8 bicubic upscale, the baseline every table compares to."""
    return to_uint8(degradation.bicubic_upscale(lr[np.newaxis].astype(np.float32), scale))[0]
