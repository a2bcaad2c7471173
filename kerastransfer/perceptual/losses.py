"""Perceptual loss functions with the paper's definitions and normalisations (§3.1–3.3).

All take batched tensors and return one float32 scalar: the mean over the batch of the
per-image loss. Activations are cast to float32 first, so the losses stay exact under
mixed precision.
"""
import tensorflow as tf
from keras import ops


def _f32(x):
    return ops.cast(x, "float32")


def feature_reconstruction_loss(features, target_features):
    """ℓ_feat = ‖φ_j(ŷ) − φ_j(y)‖²₂ / (C_j H_j W_j), for one layer j."""
    diff = _f32(features) - _f32(target_features)
    return ops.mean(ops.mean(ops.square(diff), axis=[1, 2, 3]))


def gram_matrix(features):
    """G_j(x) = ψψᵀ / (C_j H_j W_j), ψ the activations reshaped to C_j × H_j W_j.

    Returns [batch, C, C]."""
    x = _f32(features)
    shape = ops.shape(x)
    h, w, c = shape[1], shape[2], shape[3]
    psi = ops.reshape(x, (shape[0], h * w, c))
    norm = ops.cast(h * w * c, "float32")
    return ops.matmul(ops.transpose(psi, (0, 2, 1)), psi) / norm


def style_reconstruction_loss(features_by_layer, target_grams_by_layer):
    """ℓ_style = Σ_j ‖G_j(ŷ) − G_j(y_s)‖²_F, summed over the style layers.

    `target_grams_by_layer`: {layer: [C, C] or [batch, C, C]} Gram matrices of the style
    image, broadcast over the batch.
    """
    total = 0.0
    for name, target in target_grams_by_layer.items():
        diff = gram_matrix(features_by_layer[name]) - _f32(target)
        total = total + ops.mean(ops.sum(ops.square(diff), axis=[1, 2]))
    return total


def total_variation_loss(images):
    """ℓ_TV: sum of absolute differences between neighbouring pixels, per image.

    The paper cites Mahendran & Vedaldi's regulariser without fixing the exponent; this is
    the anisotropic ℓ1 form of `tf.image.total_variation`, on pixel values in [0, 255].
    """
    return ops.mean(tf.image.total_variation(_f32(images)))


def pixel_loss(images, target_images):
    """ℓ_pixel = ‖ŷ − y‖²₂ / (C H W), on pixel values scaled to [0, 1]."""
    diff = (_f32(images) - _f32(target_images)) / 255.0
    return ops.mean(ops.mean(ops.square(diff), axis=[1, 2, 3]))


def absolute_pixel_loss(images, target_images):
    """ℓpixel's ℓ1 form, ‖ŷ − y‖₁ / (C H W), on pixel values scaled to [0, 1]. Not in the
    paper (ℓ2 there); the SR literature since EDSR (Lim et al. 2017) trains with it."""
    diff = (_f32(images) - _f32(target_images)) / 255.0
    return ops.mean(ops.mean(ops.abs(diff), axis=[1, 2, 3]))


PIXEL_LOSSES = {"l2": pixel_loss, "l1": absolute_pixel_loss}


def range_penalty(images):
    """Mean squared distance (in levels) of each pixel from [0, 255], per image.

    Not in the paper: a linear output head is unbounded while training, and this keeps it
    in the range the image will be clipped to."""
    x = _f32(images)
    excess = ops.relu(-x) + ops.relu(x - 255.0)
    return ops.mean(ops.mean(ops.square(excess), axis=[1, 2, 3]))
