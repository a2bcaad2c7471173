"""The paper's low-resolution inputs: Gaussian blur (σ = 1.0) then bicubic downsampling
by the scale factor (§4.2). The blur does the anti-aliasing, so the bicubic resize
itself is plain (no antialias)."""
import math

import tensorflow as tf

BLUR_SIGMA = 1.0


def gaussian_kernel_1d(sigma=BLUR_SIGMA, truncate=3.0):
    """Normalised 1-D Gaussian taps out to `truncate` σ (scipy.ndimage's convention)."""
    radius = int(math.ceil(truncate * sigma))
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    taps = tf.exp(-0.5 * tf.square(x / sigma))
    return taps / tf.reduce_sum(taps)


def gaussian_blur(images, sigma=BLUR_SIGMA):
    """Separable blur of float [B, H, W, C], edges mirrored with the edge pixel repeated
    (scipy.ndimage mode="reflect")."""
    taps = gaussian_kernel_1d(sigma)
    radius = (taps.shape[0] - 1) // 2
    channels = images.shape[-1]
    x = tf.pad(images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="SYMMETRIC")
    kernel_h = tf.tile(tf.reshape(taps, [-1, 1, 1, 1]), [1, 1, channels, 1])
    kernel_w = tf.tile(tf.reshape(taps, [1, -1, 1, 1]), [1, 1, channels, 1])
    x = tf.nn.depthwise_conv2d(x, kernel_h, [1, 1, 1, 1], "VALID")
    return tf.nn.depthwise_conv2d(x, kernel_w, [1, 1, 1, 1], "VALID")


def crop_to_multiple(images, scale):
    """Crops [.., H, W, C] so H and W are multiples of `scale` (bottom/right rows go)."""
    shape = tf.shape(images)
    h, w = shape[-3] // scale * scale, shape[-2] // scale * scale
    return images[..., :h, :w, :]


def degrade(hr_images, scale):
    """High-resolution float [B, H, W, 3] in [0, 255] (H, W multiples of `scale`) →
    low-resolution [B, H/scale, W/scale, 3]: blur σ=1, then bicubic downsampling."""
    hr_images = tf.cast(hr_images, tf.float32)
    shape = tf.shape(hr_images)
    blurred = gaussian_blur(hr_images)
    low = tf.image.resize(blurred, [shape[1] // scale, shape[2] // scale], method="bicubic",
                          antialias=False)
    return tf.clip_by_value(low, 0.0, 255.0)


def bicubic_upscale(lr_images, scale):
    """The baseline: plain bicubic upsampling by `scale`, clipped to [0, 255]."""
    shape = tf.shape(lr_images)
    up = tf.image.resize(tf.cast(lr_images, tf.float32), [shape[1] * scale, shape[2] * scale],
                         method="bicubic")
    return tf.clip_by_value(up, 0.0, 255.0)
