"""The tiling flags kerastransfer-stylize and kerastransfer-upscale share."""
from absl import flags

from kerastransfer.artifact import TILE_SIZE
from kerastransfer.cli.common import check

flags.DEFINE_integer("tile_size", TILE_SIZE, "Above --tile_above_pixels, run the network on tiles "
                     "of this many output pixels a side (>= 64; memory grows with its "
                     "square), with the whole image's instance-norm statistics and blended "
                     "overlaps, so the result matches an untiled run. 0 = never tile.")
flags.DEFINE_integer("tile_above_pixels", None, "Output size in pixels above which images "
                     "are tiled, >= 0. Default: 1536x1536 for style models, 1024x1024 for "
                     "super-resolution, where one untiled pass peaks at about 1.8 and 1.4 "
                     "GiB; tiled, a 4096x4096 photo stays under 2 GiB but takes ~5x longer.")
FLAGS = flags.FLAGS


def validate():
    check(FLAGS.tile_size == 0 or FLAGS.tile_size >= 64, "--tile_size must be 0 or >= 64")
    check(FLAGS.tile_above_pixels is None or FLAGS.tile_above_pixels >= 0,
          "--tile_above_pixels must be >= 0")


def options():
    """Keyword arguments for `stylize` / `upscale`."""
    return {"tile_size": FLAGS.tile_size, "tile_above_pixels": FLAGS.tile_above_pixels}
