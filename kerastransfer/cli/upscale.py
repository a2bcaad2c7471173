"""kerastransfer-upscale: super-resolve a photo or a folder with an SR model.

  kerastransfer-upscale --model=sr_x4 --input=small.png --output=large.png
"""
import os

from absl import flags

from kerastransfer.cli import tiling_flags
from kerastransfer.cli.common import (check, check_input_file, check_model_task,
                                      load_exported_model, main_wrapper, run_app)
from kerastransfer.cli.image_files import check_image_size, transform_path

flags.DEFINE_string("model", None, "Shipped SR model (sr_x4, sr_x8, sr_x4_pixel) or a path.")
flags.DEFINE_string("input", None, "A low-resolution image (JPEG, PNG, GIF first frame, BMP, "
                    "WebP), or a folder of them.")
flags.DEFINE_string("output", None, "Output image file, or folder for a folder input.")
flags.DEFINE_bool("histogram_match", False, "Match the output's colour histogram to the "
                  "bicubic upscale of the input, as the paper did for ℓfeat results.")
flags.DEFINE_integer("max_pixels", 4_000_000, "Refuse inputs with more pixels than this "
                     "(the output has scale² times as many), >= 1024.")
flags.DEFINE_bool("overwrite", False, "Replace output files that already exist.")
flags.DEFINE_enum("precision", "float32", ["float32", "bfloat16", "auto"], "Network "
                  "arithmetic: bfloat16 is faster on CPUs with AVX512-BF16/AMX (about 0.2 "
                  "levels off on average); auto picks it where the CPU has it.")
FLAGS = flags.FLAGS


def validate():
    check(FLAGS.model, "--model is required (e.g. sr_x4)")
    check(FLAGS.input, "--input is required")
    check(FLAGS.output, "--output is required")
    check(FLAGS.max_pixels >= 1024, "--max_pixels must be >= 1024")
    tiling_flags.validate()
    check(os.path.exists(FLAGS.input), f"{FLAGS.input}: no such file or folder")
    check_model_task(FLAGS.model, "super_resolution")
    check_input_file(FLAGS.input)


@main_wrapper(before_tensorflow=validate)
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    from kerastransfer.inference.upscale import upscale
    model = load_exported_model(FLAGS.model, task="super_resolution", precision=FLAGS.precision)
    scale = model.record.scale

    def transform(image):
        check_image_size(image, 4, FLAGS.max_pixels, " (--max_pixels)")
        return upscale(model, image, scale, histogram_match=FLAGS.histogram_match,
                       **tiling_flags.options())

    transform_path(transform, FLAGS.input, FLAGS.output, FLAGS.overwrite, "upscaled")


def run():
    run_app(main)


if __name__ == "__main__":
    run()
