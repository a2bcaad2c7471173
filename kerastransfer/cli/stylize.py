"""kerastransfer-stylize: stylise a photo or a folder of photos with a trained model.

  kerastransfer-stylize --model=udnie --input=photo.jpg --output=styled.png
  kerastransfer-stylize --model=udnie --input=photos/ --output=styled/
  kerastransfer-stylize --model=udnie --input=photo.jpg --output=big.png --style_scale=2

Style models only: super-resolution models go to kerastransfer-upscale. The list of
shipped models: kerastransfer-models.
"""
import os

from absl import flags

from kerastransfer.cli import tiling_flags
from kerastransfer.cli.common import (check, check_input_file, check_model_task,
                                      load_exported_model, main_wrapper, run_app)
from kerastransfer.cli.image_files import check_image_size, transform_path

flags.DEFINE_string("model", None, "Shipped model name (e.g. udnie) or SavedModel path.")
flags.DEFINE_string("input", None, "A photo (JPEG, PNG, GIF first frame, BMP, WebP), or a "
                    "folder of them.")
flags.DEFINE_string("output", None, "Output image file (.png/.jpg/.jpeg/.webp/.bmp), or folder "
                    "for a folder input (created if missing; names kept, GIF → .png).")
flags.DEFINE_bool("preserve_colors", False, "Keep the photo's colours: transfer luminance only.")
flags.DEFINE_float("strength", 1.0, "Style strength in [0, 1]; 0 returns the photo.")
flags.DEFINE_integer("max_size", 0, "Cap on the longer side in pixels before stylising "
                     "(0 = no cap, else >= 32).")
flags.DEFINE_integer("max_pixels", 4096 * 4096, "Refuse images with more pixels than this "
                     "after --max_size (memory grows with pixels), >= 1024.")
flags.DEFINE_float("style_scale", 1.0, "Size of the brush strokes, in [0.25, 4]: the "
                   "network runs on the photo shrunk by this factor and the result is "
                   "resized back to the photo's size (2 = strokes twice as large, 0.5 = "
                   "half as large and slower).")
flags.DEFINE_bool("overwrite", False, "Replace output files that already exist.")
flags.DEFINE_enum("precision", "float32", ["float32", "bfloat16", "auto"], "Network "
                  "arithmetic: bfloat16 is faster on CPUs with AVX512-BF16/AMX (about 0.2 "
                  "levels off on average); auto picks it where the CPU has it.")
FLAGS = flags.FLAGS


def validate():
    check(FLAGS.model, "--model is required (a shipped name such as udnie, or a path)")
    check(FLAGS.input, "--input is required")
    check(FLAGS.output, "--output is required")
    check(0.0 <= FLAGS.strength <= 1.0, f"--strength must be in [0, 1], got {FLAGS.strength}")
    check(FLAGS.max_size == 0 or FLAGS.max_size >= 32, "--max_size must be 0 or >= 32")
    check(FLAGS.max_pixels >= 1024, "--max_pixels must be >= 1024")
    check(0.25 <= FLAGS.style_scale <= 4, f"--style_scale must be in [0.25, 4], got "
          f"{FLAGS.style_scale:g}")
    tiling_flags.validate()
    check(os.path.exists(FLAGS.input), f"{FLAGS.input}: no such file or folder")
    check_model_task(FLAGS.model, "style")
    check_input_file(FLAGS.input)


@main_wrapper(before_tensorflow=validate)
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    from kerastransfer.inference.stylize import limit_size, stylize
    model = load_exported_model(FLAGS.model, task="style", precision=FLAGS.precision)

    def transform(image):
        image = limit_size(image, FLAGS.max_size)
        check_image_size(image, 32, FLAGS.max_pixels,
                         " (--max_pixels); downscale with --max_size")
        return stylize(model, image, strength=FLAGS.strength, keep_colors=FLAGS.preserve_colors,
                       style_scale=FLAGS.style_scale, **tiling_flags.options())

    transform_path(transform, FLAGS.input, FLAGS.output, FLAGS.overwrite, "stylised")


def run():
    run_app(main)


if __name__ == "__main__":
    run()
