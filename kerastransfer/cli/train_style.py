"""kerastransfer-train-style: train a style transfer network and export it.

Run again with the same --output_dir to resume after an interruption.
"""
import os

from absl import flags

from kerastransfer.cli.common import (UsageError, check, check_training_flags,
                                      define_distribute_flag, main_wrapper, report_training,
                                      run_app, training_strategy)
from kerastransfer.training import config

flags.DEFINE_string("style_image", None, "Style image (JPEG or PNG).")
flags.DEFINE_string("train_dir", None, "Folder of training photos (.jpg/.jpeg/.png).")
flags.DEFINE_string("tfds", None, "Train on a TensorFlow Datasets set instead, e.g. coco/2017.")
flags.DEFINE_string("output_dir", None, "Run folder: checkpoints, logs, samples, export/.")
flags.DEFINE_string("export_dir", None, "Where to write the SavedModel "
                    "(default OUTPUT_DIR/export), e.g. saved_models/udnie/1.")
flags.DEFINE_bool("overwrite", False, "Replace an existing --export_dir (a shipped model "
                  "is never replaced without it).")
flags.DEFINE_string("name", None, "Model name for its record (default: style file stem).")
flags.DEFINE_string("sample_image", None, "Photo to stylise for the sample images.")
flags.DEFINE_string("init_from", "content_only", "Warm start: a shipped model name or "
                    "SavedModel path whose weights a new run starts from (a resumed run "
                    "keeps the one it started from); content_only: the content-only "
                    "network shipped for the default network (a run of another network "
                    "starts from scratch); none: from scratch.")
config.define_flags(config.StyleConfig)  # the recipe's settings, with their defaults
define_distribute_flag()
FLAGS = flags.FLAGS


def validate():
    """The recipe's settings (`StyleConfig`), after the flags' own checks."""
    check(FLAGS.style_image, "--style_image is required")
    check(os.path.isfile(FLAGS.style_image), f"{FLAGS.style_image}: no such file")
    check(not FLAGS.export_dir or FLAGS.overwrite or not os.path.exists(FLAGS.export_dir),
          f"{FLAGS.export_dir}: already exists; give --overwrite to replace it, or "
          "another --export_dir")
    settings = config.from_flags(config.StyleConfig)
    check_training_flags(FLAGS, settings)
    return settings


def init_from():
    """--init_from, with none (any case) or an empty value as None."""
    value = FLAGS.init_from
    return None if not value or value.lower() == "none" else value


def report_start(step, source, settings):
    """Says whether this run starts, resumes or extends a finished run."""
    if step >= FLAGS.steps:
        print(f"{FLAGS.output_dir} already holds {step} steps (--steps={FLAGS.steps}); "
              "exporting it", flush=True)
    elif step:
        export_dir = FLAGS.export_dir or os.path.join(FLAGS.output_dir, "export")
        what = "continuing the finished run" if os.path.isdir(export_dir) else "resuming"
        print(f"{what} {FLAGS.output_dir} from step {step} to {FLAGS.steps}", flush=True)
    else:
        from kerastransfer.training.style_recipe import describe_warm_start
        begins = describe_warm_start(source, settings.network_config(), init_from())
        print(f"starting from {begins}, {FLAGS.steps} steps", flush=True)


@main_wrapper
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    settings = validate()
    strategy = training_strategy(FLAGS.distribute)  # first: before TensorFlow runs anything
    from kerastransfer.training.style_recipe import train_style_network
    try:
        path, record = train_style_network(
            FLAGS.style_image, FLAGS.output_dir, settings, train_dir=FLAGS.train_dir,
            tfds_name=FLAGS.tfds, export_dir=FLAGS.export_dir, name=FLAGS.name,
            sample_image=FLAGS.sample_image, init_from=init_from(), strategy=strategy,
            on_start=lambda step, source: report_start(step, source, settings))
    except ValueError as e:  # a bad loss layer or schedule, a run folder of another
        raise UsageError(str(e))  # network or style, a bad --init_from
    report_training(path, record)


def run():
    run_app(main)


if __name__ == "__main__":
    run()
