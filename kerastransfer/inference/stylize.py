"""Stylising images with an exported model (`exported_model.ExportedModel`), the path
every user takes.

The SavedModel's `serving_default` signature does the network; `strength` and
`preserve_colors` are applied here with TensorFlow ops, so the CLI, the client and any
Python caller get the same result.
"""
import numpy as np
import tensorflow as tf

from kerastransfer.artifact import MIN_SIDE, TILE_SIZE
from kerastransfer.inference import tiling


FINISH_ROWS = 512  # strength and colour preservation are applied this many rows at a time


def preserve_colors(styled, content):
    """Luminance-only transfer (Gatys et al. 2016, "Preserving color..."): the styled
    image's Y with the content's chroma (YUV). Float [.., 3] in [0, 255]."""
    styled_yuv = tf.image.rgb_to_yuv(styled / 255.0)
    content_yuv = tf.image.rgb_to_yuv(content / 255.0)
    mixed = tf.concat([styled_yuv[..., :1], content_yuv[..., 1:]], axis=-1)
    return tf.clip_by_value(tf.image.yuv_to_rgb(mixed) * 255.0, 0.0, 255.0)


def blend(styled, content, strength):
    """strength 1 → the styled image, 0 → the content, linear in between."""
    return strength * styled + (1.0 - strength) * content


def limit_size(image, max_size):
    """Downscales uint8 [H, W, 3] so its longer side is at most `max_size` (0 = no cap)."""
    h, w = image.shape[:2]
    if not max_size or max(h, w) <= max_size:
        return image
    scale = max_size / max(h, w)
    new_hw = (max(1, round(h * scale)), max(1, round(w * scale)))
    resized = tf.image.resize(image, new_hw, method="area")
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8).numpy()


def resize_uint8(image, height_width):
    """uint8 [H, W, 3] resized to `height_width` (bilinear, antialiased when shrinking)."""
    resized = tf.image.resize(image, height_width, method="bilinear", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8).numpy()


STYLE_SCALE_RANGE = (0.25, 4.0)


def network_size(height, width, style_scale):
    """(height, width) the network runs at for `style_scale`: the image shrunk by it, so
    at 2 each brush stroke covers twice as many of the photo's pixels."""
    return max(1, round(height / style_scale)), max(1, round(width / style_scale))


def stylize(model, image, strength=1.0, keep_colors=False, max_size=0,
            tile_size=TILE_SIZE, tile_above_pixels=None, style_scale=1.0):
    """Stylises one uint8 RGB image [H, W, 3]; returns uint8 [H', W', 3].

    Args:
        model: an `ExportedModel` (or any callable uint8 batch → uint8 batch).
        strength: in [0, 1]; blends the result with the photo.
        keep_colors: keep the photo's colours, transfer only luminance.
        max_size: cap on the longer side in pixels before stylising (0 = none).
        tile_size, tile_above_pixels: images of more pixels than `tile_above_pixels`
            (None: `tiling.STYLE_TILE_ABOVE_PIXELS`) are stylised in tiles of
            `tile_size`, in bounded memory and with the same result (`tiling`); 0 = never.
        style_scale: size of the style's brush strokes, in `STYLE_SCALE_RANGE`: the
            network runs on the image resized by 1 / style_scale and its result is
            resized back, so 2 gives strokes twice as large, 0.5 half as large. The
            output keeps the input's size whatever the scale.
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    low, high = STYLE_SCALE_RANGE
    if not low <= style_scale <= high:
        raise ValueError(f"style_scale must be in [{low:g}, {high:g}], got {style_scale:g}")
    image = limit_size(np.asarray(image, np.uint8), max_size)
    if image.shape[0] < MIN_SIDE or image.shape[1] < MIN_SIDE:
        raise ValueError(f"image is {image.shape[1]}x{image.shape[0]}; at least 32x32 is needed")
    scaled_hw = network_size(*image.shape[:2], style_scale)
    if min(scaled_hw) < MIN_SIDE:
        raise ValueError(f"image is {image.shape[1]}x{image.shape[0]}; at style scale "
                         f"{style_scale:g} the network would see {scaled_hw[1]}x{scaled_hw[0]}, "
                         "under its 32x32 minimum")
    if scaled_hw == image.shape[:2]:
        styled = tiling.transform(model, image, tile_size, tile_above_pixels)
    else:
        styled = tiling.transform(model, resize_uint8(image, scaled_hw), tile_size,
                                  tile_above_pixels)
        styled = resize_uint8(styled, image.shape[:2])
    if strength == 1.0 and not keep_colors:
        return styled
    styled = np.require(styled, requirements="W")
    for top in range(0, image.shape[0], FINISH_ROWS):  # in bands: no float copy of a huge image
        rows = slice(top, top + FINISH_ROWS)
        band, content = tf.cast(styled[rows], tf.float32), tf.cast(image[rows], tf.float32)
        if keep_colors:
            band = preserve_colors(band, content)
        band = blend(band, content, strength)
        styled[rows] = tf.cast(tf.clip_by_value(tf.round(band), 0, 255), tf.uint8).numpy()
    return styled
