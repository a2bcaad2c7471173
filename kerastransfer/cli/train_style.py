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
flags.DEFINE_bool("overwrite", False, "Replace an existing --export_dir (a shipped model "
                  "is never replaced without it).")
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
flags.DEFINE_float("range_weight", 0.0, "Weight of the penalty on output pixels outside "
                   "[0, 255] (mean squared excess in levels), >= 0; for --output_head=linear.")
flags.DEFINE_float("width", 0.5, "Channel width multiplier of the network, in (0, 4].")
flags.DEFINE_enum("normalization", "instance", ["instance", "batch"], "Normalisation layers.")
flags.DEFINE_enum("padding", "reflect", ["reflect", "paper"], "Padding scheme.")
flags.DEFINE_enum("upsampling", "nearest", ["nearest", "transpose"], "Upsampling layers.")
flags.DEFINE_enum("decoder_normalization", "same", ["same", "instance", "centred", "batch"],
                  "Normalisation of the residual blocks and upsampling layers; centred: "
                  "instance mean subtracted, no division by the deviation.")
flags.DEFINE_enum("output_head", "tanh", ["tanh", "clip", "linear"],
                  "Last layer: tanh (the paper), clip (straight-through clip to [0, 255]) or "
                  "linear (clipped at inference; use --range_weight).")
flags.DEFINE_integer("warmup_steps", 0, "Steps of linear learning-rate warm-up from 0, >= 0.")
flags.DEFINE_enum("lr_decay", "constant", ["constant", "cosine"],
                  "Learning rate after the warm-up: constant, or cosine decay to "
                  "--final_lr_fraction of it at --steps.")
flags.DEFINE_float("final_lr_fraction", 0.0, "With --lr_decay=cosine: the last step's "
                   "learning rate as a fraction of --learning_rate, in [0, 1].")
flags.DEFINE_integer("small_crop_size", 128, "Progressive resizing: crop size (px) of the "
                     "first --small_crop_fraction of the steps, cut at --image_size's scale.")
flags.DEFINE_float("small_crop_fraction", 0.0, "Share of --steps on --small_crop_size "
                   "crops, in [0, 1).")
flags.DEFINE_integer("small_batch_size", None, "Batch size of the small-crop phase "
                     "(default --batch_size).")
flags.DEFINE_string("init_from", None, "Warm start: a shipped model name or SavedModel "
                    "path whose weights a new run starts from (ignored when --output_dir "
                    "holds a checkpoint).")
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
    for name in ("content_weight", "style_weight", "tv_weight", "pixel_weight",
                 "range_weight", "warmup_steps"):
        check(getattr(FLAGS, name) >= 0, f"--{name} must be >= 0")
    check(0 <= FLAGS.final_lr_fraction <= 1, "--final_lr_fraction must be in [0, 1]")
    check(0 <= FLAGS.small_crop_fraction < 1, "--small_crop_fraction must be in [0, 1)")
    check(FLAGS.small_crop_size >= 32, "--small_crop_size must be >= 32")
    check(FLAGS.small_batch_size is None or FLAGS.small_batch_size >= 1,
          "--small_batch_size must be >= 1")
    check(not FLAGS.export_dir or FLAGS.overwrite or not os.path.exists(FLAGS.export_dir),
          f"{FLAGS.export_dir}: already exists; give --overwrite to replace it, or "
          "another --export_dir")
    check_training_flags(FLAGS)


def report_start(step):
    """Says whether this run starts, resumes or extends a finished run."""
    if step >= FLAGS.steps:
        print(f"{FLAGS.output_dir} already holds {step} steps (--steps={FLAGS.steps}); "
              "exporting it", flush=True)
    elif step:
        print(f"resuming {FLAGS.output_dir} from step {step} to {FLAGS.steps}", flush=True)
    elif FLAGS.init_from:
        print(f"starting from {FLAGS.init_from}'s weights, {FLAGS.steps} steps", flush=True)


@main_wrapper
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    validate()
    strategy = training_strategy(FLAGS.distribute)  # first: before TensorFlow runs anything
    import keras
    from kerastransfer.perceptual.objective import LossWeights
    from kerastransfer.training.style_recipe import train_style_network
    from kerastransfer.training.loop import LearningRateSchedule
    try:
        weights = LossWeights(content_layers=tuple(FLAGS.content_layers),
                              style_layers=tuple(FLAGS.style_layers),
                              content_weight=FLAGS.content_weight,
                              style_weight=FLAGS.style_weight, tv_weight=FLAGS.tv_weight,
                              pixel_weight=FLAGS.pixel_weight,
                              range_weight=FLAGS.range_weight)
        schedule = LearningRateSchedule(FLAGS.learning_rate, FLAGS.warmup_steps,
                                        FLAGS.lr_decay, FLAGS.final_lr_fraction)
    except ValueError as e:
        raise UsageError(str(e))
    if FLAGS.seed is not None:
        keras.utils.set_random_seed(FLAGS.seed)
    try:
        path, record = train_style_network(
            FLAGS.style_image, FLAGS.output_dir, FLAGS.steps, train_dir=FLAGS.train_dir,
            tfds_name=FLAGS.tfds, export_dir=FLAGS.export_dir, name=FLAGS.name, weights=weights,
            style_size=FLAGS.style_size, image_size=FLAGS.image_size,
            batch_size=FLAGS.batch_size, learning_rate=schedule, width=FLAGS.width,
            normalization=FLAGS.normalization, padding=FLAGS.padding,
            upsampling=FLAGS.upsampling, precision=FLAGS.mixed_precision,
            jit_compile=FLAGS.jit_compile, checkpoint_every=FLAGS.checkpoint_every,
            sample_every=FLAGS.sample_every, sample_image=FLAGS.sample_image,
            vgg_weights=FLAGS.vgg_weights, seed=FLAGS.seed, strategy=strategy,
            decoder_normalization=(None if FLAGS.decoder_normalization == "same"
                                   else FLAGS.decoder_normalization),
            output_head=FLAGS.output_head, small_crop_size=FLAGS.small_crop_size,
            small_crop_fraction=FLAGS.small_crop_fraction,
            small_batch_size=FLAGS.small_batch_size, init_from=FLAGS.init_from,
            on_start=report_start)
    except ValueError as e:  # a run folder of another network or style, a bad --init_from
        raise UsageError(str(e))
    report_training(path, record)


def run():
    run_app(main)


if __name__ == "__main__":
    run()
