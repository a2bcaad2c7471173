"""Super-resolution quality metrics as the SR literature reports them.

PSNR and SSIM on the luma channel Y (ITU-R BT.601, MATLAB's rgb2ycbcr: Y in [16, 235])
with a border of `scale` pixels shaved, via `tf.image.psnr` / `tf.image.ssim`; and LPIPS
(Zhang et al. 2018, VGG variant) with the released linear heads.
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
