"""kerastransfer-train-style: train a style transfer network and export it.

Run again with the same --output_dir to resume after an interruption.
"""
from kerastransfer.cli import common  # noqa: F401  (sets TF log level first)

import os

from absl import flags

from kerastransfer.cli.common import (UsageError, check, check_training_flags,
                                      define_distribute_flag, main_wrapper, report_training,
                                      run_app, training_strategy)

flags.DEFINE_string("style_image", None, "Style image (JPEG or PNG).")
flags.DEFINE_string("train_dir", None, "Folder of training photos (.jpg/.jpeg/.png).")
flags.DEFINE_string("tfds", None, "Train on a TensorFlow Datasets set instead, e.g. coco/2017.")
flags.DEFINE_string("output_dir", None, "Run folder: checkpoints, logs, samples, export/.")
flags.DEFINE_string("export_dir", None, "Where to write the SavedModel "
                    "(default OUTPUT_DIR/export), e.g. saved_models/udnie/1.")
flags.DEFINE_string("name", None, "Model name for its record (default: style file stem).")
flags.DEFINE_integer("steps", 40000, "Total optimisation steps (across resumes), >= 1.")
flags.DEFINE_integer("batch_size", 4, "Images per step per replica (the global batch is "
                     "this × replicas), >= 1.")
flags.DEFINE_integer("image_size", 256, "Training crop size in pixels, >= 32.")
flags.DEFINE_integer("style_size", 256, "Longer side of the style image in pixels, >= 32.")
flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate, > 0.")
flags.DEFINE_list("content_layers", ["relu2_2"], "VGG-16 layers of the feature loss.")
flags.DEFINE_list("style_layers", ["relu1_2", "relu2_2", "relu3_3", "relu4_3"],
                  "VGG-16 layers of the style loss.")
flags.DEFINE_float("content_weight", 1.0, "Weight of the feature reconstruction loss, >= 0.")
flags.DEFINE_float("style_weight", 2.0, "Weight of the style reconstruction loss, >= 0.")
flags.DEFINE_float("tv_weight", 2e-7, "Weight of the total variation loss, >= 0.")
flags.DEFINE_float("pixel_weight", 0.0, "Weight of the pixel loss, >= 0.")
flags.DEFINE_float("width", 0.5, "Channel width multiplier of the network, in (0, 4].")
flags.DEFINE_enum("normalization", "instance", ["instance", "batch"], "Normalisation layers.")
flags.DEFINE_enum("padding", "reflect", ["reflect", "paper"], "Padding scheme.")
flags.DEFINE_enum("upsampling", "nearest", ["nearest", "transpose"], "Upsampling layers.")
flags.DEFINE_enum("mixed_precision", "mixed", ["float32", "mixed", "mixed_float16",
                                               "mixed_bfloat16"],
                  "mixed = float16 on GPU, bfloat16 on CPU.")
flags.DEFINE_bool("jit_compile", False, "Compile the train step with XLA.")
flags.DEFINE_integer("checkpoint_every", 100, "Steps between checkpoints, >= 1.")
flags.DEFINE_integer("sample_every", 100, "Steps between sample images, >= 1.")
flags.DEFINE_string("sample_image", None, "Photo to stylise for the sample images.")
flags.DEFINE_string("vgg_weights", "torchvision", "torchvision (offline), imagenet "
                    "(Keras download), random (tests) or a .weights.h5 path.")
flags.DEFINE_integer("seed", None, "Random seed for the data pipeline and initialisation.")
define_distribute_flag()
FLAGS = flags.FLAGS


def validate():
    check(FLAGS.style_image, "--style_image is required")
    check(os.path.isfile(FLAGS.style_image), f"{FLAGS.style_image}: no such file")
    check(FLAGS.image_size >= 32, "--image_size must be >= 32")
    check(FLAGS.style_size >= 32, "--style_size must be >= 32")
    check(0 < FLAGS.width <= 4, "--width must be in (0, 4]")
    for name in ("content_weight", "style_weight", "tv_weight", "pixel_weight"):
        check(getattr(FLAGS, name) >= 0, f"--{name} must be >= 0")
    check_training_flags(FLAGS)


@main_wrapper
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    validate()
    strategy = training_strategy(FLAGS.distribute)  # first: before TensorFlow runs anything
    import keras
    from kerastransfer.objective import LossWeights
    from kerastransfer.style_training import train_style_network
    try:
        weights = LossWeights(content_layers=tuple(FLAGS.content_layers),
                              style_layers=tuple(FLAGS.style_layers),
                              content_weight=FLAGS.content_weight,
                              style_weight=FLAGS.style_weight, tv_weight=FLAGS.tv_weight,
                              pixel_weight=FLAGS.pixel_weight)
    except ValueError as e:
        raise UsageError(str(e))
    if FLAGS.seed is not None:
        keras.utils.set_random_seed(FLAGS.seed)
    path, record = train_style_network(
        FLAGS.style_image, FLAGS.output_dir, FLAGS.steps, train_dir=FLAGS.train_dir,
        tfds_name=FLAGS.tfds, export_dir=FLAGS.export_dir, name=FLAGS.name, weights=weights,
        style_size=FLAGS.style_size, image_size=FLAGS.image_size,
        batch_size=FLAGS.batch_size, learning_rate=FLAGS.learning_rate, width=FLAGS.width,
        normalization=FLAGS.normalization, padding=FLAGS.padding,
        upsampling=FLAGS.upsampling, precision=FLAGS.mixed_precision,
        jit_compile=FLAGS.jit_compile, checkpoint_every=FLAGS.checkpoint_every,
        sample_every=FLAGS.sample_every, sample_image=FLAGS.sample_image,
        vgg_weights=FLAGS.vgg_weights, seed=FLAGS.seed, strategy=strategy)
    report_training(path, record)


def run():
    run_app(main)


if __name__ == "__main__":
    run()
