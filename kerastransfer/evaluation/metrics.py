"""Super-resolution quality metrics as the SR literature reports them.

PSNR and SSIM on the luma channel Y (ITU-R BT.601, MATLAB's rgb2ycbcr: Y in [16, 235])
with a border of `scale` pixels shaved, via `tf.image.psnr` / `tf.image.ssim`; LPIPS
(Zhang et al. 2018, VGG variant) with the released linear heads; and `period_ratio`, the
energy of a periodic grid relative to the ground truth's.
"""
import numpy as np
import tensorflow as tf

from kerastransfer.perceptual import vgg_weights
from kerastransfer.perceptual.loss_network import LossNetwork

LPIPS_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")


def rgb_to_y(images):
    """float RGB [.., 3] in [0, 255] → Y [.., 1] in [16, 235] (BT.601)."""
    images = tf.cast(images, tf.float32)
    weights = tf.constant([65.481, 128.553, 24.966]) / 255.0
    return 16.0 + tf.reduce_sum(images * weights, axis=-1, keepdims=True)


def shave(images, border):
    """Drops `border` pixels on every side of [.., H, W, C]."""
    if border <= 0:
        return images
    return images[..., border:-border, border:-border, :]


def psnr_y(images, references, border=0):
    """PSNR in dB of Y, per image ([B] or scalar like the inputs)."""
    return tf.image.psnr(shave(rgb_to_y(images), border), shave(rgb_to_y(references), border),
                         max_val=255.0)


def ssim_y(images, references, border=0):
    """SSIM of Y (Gaussian 11×11, σ 1.5, the standard constants), per image."""
    return tf.image.ssim(shave(rgb_to_y(images), border), shave(rgb_to_y(references), border),
                         max_val=255.0)


class LPIPS:
    """Learned perceptual image patch similarity, VGG-16 variant; lower is more similar.

    LPIPS normalises its [-1, 1] input with shift/scale constants that equal torchvision's
    ImageNet normalisation, so the converted loss network (which takes [0, 255] images)
    computes exactly LPIPS's features.

    Args:
        weights: VGG-16 weights ("torchvision" for the real metric, "random" for tests).
        heads: five [C] non-negative vectors; default the released heads.
    """

    def __init__(self, weights="torchvision", heads=None):
        self.network = LossNetwork(LPIPS_LAYERS, weights=weights)
        if heads is None:
            heads = vgg_weights.lpips_heads()
        self.heads = [tf.constant(np.asarray(h, np.float32).reshape(-1)) for h in heads]

    def __call__(self, images, references):
        """float [B, H, W, 3] in [0, 255] each → [B] distances."""
        a = self.network(tf.cast(images, tf.float32))
        b = self.network(tf.cast(references, tf.float32))
        total = 0.0
        for name, head in zip(LPIPS_LAYERS, self.heads):
            diff = tf.square(_unit_normalise(a[name]) - _unit_normalise(b[name]))
            total += tf.reduce_mean(tf.reduce_sum(diff * head, axis=-1), axis=[1, 2])
        return total


def _unit_normalise(features, eps=1e-10):
    norm = tf.sqrt(tf.reduce_sum(tf.square(features), axis=-1, keepdims=True))
    return features / (norm + eps)


PERIOD_BAND = 1 / 64  # cycles per pixel either side of a grid's frequencies (`period_ratio`)


def periodic_energy(images, period, border=0):
    """Mean-square amplitude (levels² of Y) of the pattern of `images` [.., H, W, 3] that
    repeats every `period` pixels: the power of the Hann-windowed luma at the frequencies
    (fy, fx) whose components are multiples of 1/`period` cycles per pixel, at least one
    an odd multiple ((½, 0), (0, ½), (½, ½) for period 2; the twelve with a ±¼ for
    period 4), each in a band ±`PERIOD_BAND` (at least ±2 bins) wide, so that a grid
    whose strength changes across the image counts too. Returns [..] floats (numpy)."""
    y = np.asarray(shave(rgb_to_y(images), border), np.float64)[..., 0]
    height, width = y.shape[-2:]
    y = y - y.mean(axis=(-2, -1), keepdims=True)
    window = np.outer(np.hanning(height), np.hanning(width))
    power = np.abs(np.fft.fft2(y * window)) ** 2 / (height * width) ** 2 / np.mean(window ** 2)
    mask = np.zeros((height, width), bool)
    steps = np.arange(period) / period
    for fy in steps:
        for fx in steps:
            if round(fy * period) % 2 or round(fx * period) % 2:
                mask |= (_near(np.fft.fftfreq(height), fy)[:, None]
                         & _near(np.fft.fftfreq(width), fx)[None, :])
    return power[..., mask].sum(axis=-1)


def period_ratio(images, references, period, border=0, floor=1e-6):
    """`periodic_energy` of `images` over that of `references` (the ground truth), per
    image: about 1 for a faithful image, below 1 for a bicubic upscale (which cannot
    restore the finest detail), above 1 for one with a grid. `floor` (levels²) is added
    to both, so a flat reference does not divide by zero.

    Why a measure of its own: a network that upsamples by 2 in its last stages can lay a
    fixed pattern over its output that repeats every 2 pixels (every 4 from the stage
    before). PSNR averages it in with every other error, and ℓfeat at relu2_2 hardly
    sees it: relu2_2 comes after VGG's first 2×2 max-pooling, which keeps one value per
    2×2 window, so a period-2 pattern reaches it as a near-constant offset."""
    return ((periodic_energy(images, period, border) + floor)
            / (periodic_energy(references, period, border) + floor))


def _near(frequencies, target):
    """True where `frequencies` (cycles per pixel, from `np.fft.fftfreq`) lie within the
    band around `target`, on the circle (½ is −½)."""
    band = max(PERIOD_BAND, 2 / len(frequencies))
    return np.abs((frequencies - target + 0.5) % 1.0 - 0.5) <= band
