"""kerastransfer-train-sr: train a super-resolution network (ℓfeat or ℓpixel) and export it.

Run again with the same --output_dir to resume after an interruption.
"""
from kerastransfer.cli import common  # noqa: F401  (sets TF log level first)

from absl import flags

from kerastransfer.cli.common import (check, check_training_flags, define_distribute_flag,
                                      main_wrapper, report_training, run_app,
                                      training_strategy)

flags.DEFINE_enum("scale", "4", ["2", "4", "8"], "Upscaling factor.")
flags.DEFINE_enum("loss", "feature", ["feature", "pixel"], "ℓfeat (relu2_2) or ℓpixel.")
flags.DEFINE_string("train_dir", None, "Folder of training photos (.jpg/.jpeg/.png).")
flags.DEFINE_string("tfds", None, "Train on a TensorFlow Datasets set instead, e.g. coco/2017.")
flags.DEFINE_string("output_dir", None, "Run folder: checkpoints, logs, samples, export/.")
flags.DEFINE_string("export_dir", None, "Where to write the SavedModel (default "
                    "OUTPUT_DIR/export), e.g. saved_models/sr_x4/1.")
flags.DEFINE_string("name", None, "Model name (default sr_xSCALE, plus _pixel for ℓpixel).")
flags.DEFINE_integer("steps", 200000, "Total optimisation steps (across resumes), >= 1.")
flags.DEFINE_integer("batch_size", 4, "Patches per step per replica (the global batch is "
                     "this × replicas), >= 1.")
flags.DEFINE_integer("patch_size", 288, "High-resolution patch size, a multiple of --scale.")
flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate, > 0.")
flags.DEFINE_float("tv_weight", 0.0, "Total variation weight, >= 0.")
flags.DEFINE_integer("filters", 64, "Channels of the network, >= 1.")
flags.DEFINE_enum("normalization", "batch", ["batch", "instance", "none"], "Normalisation.")
flags.DEFINE_enum("upsampling", "nearest", ["nearest", "transpose"], "Upsampling layers.")
flags.DEFINE_bool("residual", False, "Learn a correction to the bicubic upscale (departs from "
                  "the paper; usable after far fewer steps).")
flags.DEFINE_enum("mixed_precision", "mixed", ["float32", "mixed", "mixed_float16",
                                               "mixed_bfloat16"],
                  "mixed = float16 on GPU, bfloat16 on CPU.")
flags.DEFINE_bool("jit_compile", False, "Compile the train step with XLA.")
flags.DEFINE_integer("checkpoint_every", 100, "Steps between checkpoints, >= 1.")
flags.DEFINE_integer("sample_every", 100, "Steps between sample images, >= 1.")
flags.DEFINE_string("sample_image", None, "High-resolution photo for the sample images.")
flags.DEFINE_string("vgg_weights", "torchvision", "torchvision, imagenet, random or a path.")
flags.DEFINE_integer("seed", None, "Random seed.")
define_distribute_flag()
FLAGS = flags.FLAGS


@main_wrapper
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    scale = int(FLAGS.scale)
    check(FLAGS.patch_size >= 8 * scale and FLAGS.patch_size % scale == 0,
          f"--patch_size must be a multiple of --scale and >= {8 * scale}")
    check(FLAGS.tv_weight >= 0, "--tv_weight must be >= 0")
    check(FLAGS.filters >= 1, "--filters must be >= 1")
    check_training_flags(FLAGS)
    strategy = training_strategy(FLAGS.distribute)  # first: before TensorFlow runs anything
    import keras
    from kerastransfer.training.sr_recipe import train_sr_network
    if FLAGS.seed is not None:
        keras.utils.set_random_seed(FLAGS.seed)
    path, record = train_sr_network(
        scale, FLAGS.loss, FLAGS.output_dir, FLAGS.steps, train_dir=FLAGS.train_dir,
        tfds_name=FLAGS.tfds, export_dir=FLAGS.export_dir, name=FLAGS.name,
        tv_weight=FLAGS.tv_weight, patch_size=FLAGS.patch_size, batch_size=FLAGS.batch_size,
        learning_rate=FLAGS.learning_rate, filters=FLAGS.filters,
        normalization=None if FLAGS.normalization == "none" else FLAGS.normalization,
        upsampling=FLAGS.upsampling, residual=FLAGS.residual, precision=FLAGS.mixed_precision,
        jit_compile=FLAGS.jit_compile, checkpoint_every=FLAGS.checkpoint_every,
        sample_every=FLAGS.sample_every, sample_image=FLAGS.sample_image,
        vgg_weights=FLAGS.vgg_weights, seed=FLAGS.seed, strategy=strategy)
    report_training(path, record)


def run():
    run_app(main)


if __name__ == "__main__":
    run()
