"""kerastransfer-optimize: the Gatys et al. baseline — optimise one image for the same
perceptual objective the networks are trained on.

  kerastransfer-optimize --content=photo.jpg --style=udnie.jpg --output=out.png \
      --iterations=500 --log=objective.csv
  kerastransfer-optimize --content=photo.jpg --like_model=udnie --output=out.png
"""
import os

from absl import flags

from kerastransfer.cli.common import UsageError, check, main_wrapper, run_app

flags.DEFINE_string("content", None, "Content photo.")
flags.DEFINE_string("style", None, "Style image (default with --like_model: the painting "
                    "the model carries in its assets/).")
flags.DEFINE_string("like_model", None, "Take the loss layers, weights, style size and "
                    "painting of this model (a shipped name such as udnie, or a path).")
flags.DEFINE_string("styles_dir", None, "Where --like_model looks for the painting its "
                    "record names when the model does not carry it (older exports).")
flags.DEFINE_string("output", None, "Output image (.png, .jpg, ...).")
flags.DEFINE_integer("iterations", 500, "L-BFGS iterations or Adam steps, >= 1.")
flags.DEFINE_enum("method", "lbfgs", ["lbfgs", "lbfgs_fixed_step", "adam"],
                  "Optimiser: lbfgs is SciPy's L-BFGS-B with a line search; lbfgs_fixed_step "
                  "is Torch's optim.lbfgs as the paper ran it (no line search).")
flags.DEFINE_enum("init", "content", ["content", "noise", "grey_noise"],
                  "Starting image: the photo, uniform [0, 255] noise, or the ImageNet mean "
                  "colour plus N(0, 1) noise (the paper's released Torch baseline).")
flags.DEFINE_float("learning_rate", 10.0, "Adam step size in pixel units, > 0.")
flags.DEFINE_integer("image_size", 256, "Shorter side of the content image in pixels, >= 32.")
flags.DEFINE_integer("style_size", 256, "Longer side of the style image in pixels, >= 32.")
flags.DEFINE_list("content_layers", ["relu2_2"], "VGG-16 layers of the feature loss.")
flags.DEFINE_list("style_layers", ["relu1_2", "relu2_2", "relu3_3", "relu4_3"],
                  "VGG-16 layers of the style loss.")
flags.DEFINE_float("content_weight", 1.0, "Feature reconstruction weight, >= 0.")
flags.DEFINE_float("style_weight", 2.0, "Style reconstruction weight, >= 0.")
flags.DEFINE_float("tv_weight", 2e-7, "Total variation weight, >= 0.")
flags.DEFINE_string("log", None, "CSV file for the objective after each iteration.")
flags.DEFINE_string("vgg_weights", "torchvision", "torchvision, imagenet, random or a path.")
flags.DEFINE_bool("overwrite", False, "Replace an existing output file.")
FLAGS = flags.FLAGS


def like_model_settings():
    """(record, style image path) of --like_model: the painting it carries in assets/,
    else the one its record names in --styles_dir; --style wins. No TensorFlow."""
    from kerastransfer import artifact
    try:
        path = artifact.resolve(FLAGS.like_model)
    except ValueError as e:
        raise UsageError(str(e))
    record = artifact.read_record(path)
    check(record.loss, f"{FLAGS.like_model}: its record has no loss settings")
    style = FLAGS.style or artifact.style_image_path(path, record, [FLAGS.styles_dir or "."])
    check(style, f"{FLAGS.like_model}: carries no style image in its assets/ and "
          f"{record.style_image or 'its painting'} is not in "
          f"{FLAGS.styles_dir or 'this folder'}; give --style or --styles_dir")
    return record, style


def objective_settings():
    """(LossWeights, style image path, style size) from the flags or --like_model."""
    from kerastransfer.perceptual.objective import LossWeights
    if FLAGS.like_model:
        record, style = like_model_settings()
        return LossWeights.from_json(record.loss), style, record.style_size or FLAGS.style_size
    try:
        weights = LossWeights(content_layers=tuple(FLAGS.content_layers),
                              style_layers=tuple(FLAGS.style_layers),
                              content_weight=FLAGS.content_weight,
                              style_weight=FLAGS.style_weight, tv_weight=FLAGS.tv_weight)
    except ValueError as e:
        raise UsageError(str(e))
    return weights, FLAGS.style, FLAGS.style_size


def validate():
    """Flags, output and the two images' headers, before TensorFlow loads."""
    from kerastransfer import image_io
    check(FLAGS.content, "--content is required")
    check(FLAGS.output, "--output is required")
    check(FLAGS.style or FLAGS.like_model, "--style or --like_model is required")
    check(FLAGS.iterations >= 1, "--iterations must be >= 1")
    check(FLAGS.image_size >= 32 and FLAGS.style_size >= 32,
          "--image_size and --style_size must be >= 32")
    check(FLAGS.learning_rate > 0, "--learning_rate must be > 0")
    image_io.image_format(FLAGS.output)
    if os.path.exists(FLAGS.output) and not FLAGS.overwrite:
        raise image_io.ImageError(f"{FLAGS.output}: already exists (use --overwrite to replace it)")
    image_io.probe_image(FLAGS.content)
    image_io.probe_image(like_model_settings()[1] if FLAGS.like_model else FLAGS.style)


@main_wrapper(before_tensorflow=validate)
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    import numpy as np
    import tensorflow as tf
    from kerastransfer.perceptual import gatys
    from kerastransfer import image_io
    from kerastransfer.perceptual.objective import PerceptualObjective
    from kerastransfer.progress import Progress
    weights, style_path, style_size = objective_settings()
    content = image_io.read_image(FLAGS.content)
    style = image_io.read_image(style_path)
    scale = FLAGS.image_size / min(content.shape[:2])
    content_hw = [max(32, round(d * scale)) for d in content.shape[:2]]
    content = tf.image.resize(tf.cast(content, tf.float32), content_hw, antialias=True)
    style_scale = style_size / max(style.shape[:2])
    style = tf.image.resize(tf.cast(style, tf.float32),
                            [max(1, round(d * style_scale)) for d in style.shape[:2]],
                            antialias=True)
    objective = PerceptualObjective.build(weights, tf.clip_by_value(style, 0, 255)[tf.newaxis],
                                          vgg_weights=FLAGS.vgg_weights)
    content = tf.round(tf.clip_by_value(content, 0, 255))[tf.newaxis]
    progress = Progress(FLAGS.iterations, "iteration", label="optimising")
    image, history = gatys.optimize_image(
        objective, content, FLAGS.iterations, method=FLAGS.method, init=FLAGS.init,
        learning_rate=FLAGS.learning_rate,
        on_iteration=lambda i, value: progress.update(i, [("objective", value)]))
    image_io.write_image(FLAGS.output, np.clip(np.round(image[0]), 0, 255).astype(np.uint8),
                         overwrite=FLAGS.overwrite)
    if FLAGS.log:
        lines = "iteration,objective\n" + "".join(f"{i + 1},{v}\n" for i, v in enumerate(history))
        image_io.write_text(FLAGS.log, lines)
    print(f"wrote {FLAGS.output}: objective {history[0]:.4g} -> {history[-1]:.4g} "
          f"in {len(history)} iterations")


def run():
    run_app(main)


if __name__ == "__main__":
    run()
