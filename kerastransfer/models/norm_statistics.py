"""Instance-norm statistics taken from outside the tile being normalised.

Why: a huge image is stylised in tiles, and instance norm normalises each image by its
own mean and variance. Tiles normalised by their own statistics come out with different
contrast and colour (visible seams), so every tile must use the whole image's.

Inside `StatisticsScope(moments)` every `InstanceNormalization` layer normalises with the
moments given (one (mean, variance) pair per layer, in call order) instead of its
input's own, and measures its input's moments over `core` (a box in network-input pixels:
the tile without its overlap). Without `moments` the layers normalise as usual and the
scope only records.

Layer k's statistics depend on every earlier layer's, so the whole image's are found one
layer at a time (`tiling.image_statistics`): a tiled pass with layers 0..k-1 given exactly
measures layer k exactly, and `stop_after=k` ends the forward pass right there (the
network raises `StatisticsComplete`), so the pass costs only the network up to layer k.
A downscaled copy of the image is no shortcut: activations depend on scale, and its
statistics change the stylised image by 13/255 on average (measured on udnie at 1/2).

    scope = StatisticsScope(known, core=(64, 64, 576, 576), input_hw=(640, 640),
                            stop_after=len(known))
    try:
        with scope:
            model(tile)
    except StatisticsComplete:
        mean, variance, count = scope.measured[-1]
"""
import threading

import tensorflow as tf

_active = threading.local()


class StatisticsComplete(Exception):
    """Raised inside the network once the layer a scope stops after has been measured."""


def active_scope():
    """The innermost StatisticsScope, or None."""
    stack = getattr(_active, "stack", None)
    return stack[-1] if stack else None


class StatisticsScope:
    """Records (no `moments`) or supplies (`moments`) instance-norm statistics.

    Args:
        moments: [(mean, variance), ...] per InstanceNormalization layer in call order,
            each [batch, channels] or [batch, 1, 1, channels]; None to record only.
        core: (top, left, bottom, right) in network-input pixels: the part of the input
            whose moments are measured (the rest is overlap, counted by a neighbour);
            None for the whole input. Each layer maps it to its own resolution.
        input_hw: the network input's (height, width); needed with `core`.
        stop_after: index of the layer after whose measurement the forward pass stops
            (raises StatisticsComplete); None runs the whole network.
    """

    def __init__(self, moments=None, core=None, input_hw=None, stop_after=None):
        if core is not None and input_hw is None:
            raise ValueError("a core box needs input_hw, the network input's size")
        self.given = list(moments) if moments is not None else None
        self.core = core
        self.input_hw = input_hw
        self.stop_after = stop_after
        self.measured = []  # [(mean, variance, count)], each [batch, channels] and a scalar

    def __enter__(self):
        _active.__dict__.setdefault("stack", []).append(self)
        return self

    def __exit__(self, *exc):
        _active.stack.pop()

    def normalization_moments(self, x):
        """The (mean, variance) a layer with float32 input `x` [B, H, W, C] normalises by,
        each [B, 1, 1, C]; records the input's own moments over the core."""
        region = self._core_of(x)
        mean, variance = tf.nn.moments(region, axes=[1, 2], keepdims=True)
        count = tf.cast(tf.shape(region)[1] * tf.shape(region)[2], tf.float32)
        self.measured.append((mean[:, 0, 0, :], variance[:, 0, 0, :], count))
        index = len(self.measured) - 1
        if index == self.stop_after:
            raise StatisticsComplete()
        if self.given is None:
            return mean, variance
        if index >= len(self.given):
            raise ValueError(f"moments given for {len(self.given)} instance-norm layers; "
                             "the network has more")
        given_mean, given_variance = self.given[index]
        shape = tf.stack([-1, 1, 1, tf.shape(x)[-1]])
        return tf.reshape(given_mean, shape), tf.reshape(given_variance, shape)

    def _core_of(self, x):
        if self.core is None:
            return x
        # This layer's grid against the input's: downsampled by 2 or 4 (an odd input gives
        # ceil(H / 2) rows, hence the rounding) or upsampled (super-resolution). Interior
        # core edges are multiples of 4, so they fall on every grid exactly. A core that
        # reaches the input's edge keeps the map's last rows and columns, as the untiled
        # network does: upsampled maps of odd inputs carry one extra row, cropped later.
        size = tf.shape(x)[1:3]
        input_h = tf.cast(self.input_hw[0], tf.float32)
        height = tf.cast(size[0], tf.float32)
        up = tf.cast(tf.maximum(1.0, tf.round(height / input_h)), tf.int32)
        down = tf.cast(tf.maximum(1.0, tf.round(input_h / height)), tf.int32)
        top, left, bottom, right = (tf.cast(v, tf.int32) for v in self.core)
        ends = []
        for end, input_end, map_end in ((bottom, self.input_hw[0], size[0]),
                                        (right, self.input_hw[1], size[1])):
            ends.append(tf.where(end >= input_end, map_end,
                                 tf.minimum(-(-end * up // down), map_end)))
        return x[:, top * up // down:ends[0], left * up // down:ends[1], :]

    def moments(self):
        """The measured (mean, variance) pairs, to pass to another scope."""
        return [(mean, variance) for mean, variance, _ in self.measured]
