"""kerastransfer-train-sr: train a super-resolution network (ℓfeat or ℓpixel) and export it.

Run again with the same --output_dir to resume after an interruption.
"""
from absl import flags

from kerastransfer.cli.common import (UsageError, check, check_training_flags,
                                      define_distribute_flag, main_wrapper, report_training,
                                      run_app, training_strategy)
from kerastransfer.training import config

flags.DEFINE_string("train_dir", None, "Folder of training photos (.jpg/.jpeg/.png).")
flags.DEFINE_string("tfds", None, "Train on a TensorFlow Datasets set instead, e.g. coco/2017.")
flags.DEFINE_string("output_dir", None, "Run folder: checkpoints, logs, samples, export/.")
flags.DEFINE_string("export_dir", None, "Where to write the SavedModel (default "
                    "OUTPUT_DIR/export), e.g. saved_models/sr_x4/1.")
flags.DEFINE_string("name", None, "Model name (default sr_xSCALE, plus _pixel for ℓpixel).")
flags.DEFINE_string("sample_image", None, "High-resolution photo for the sample images.")
flags.DEFINE_string("init_from", None, "Warm start: a shipped SR model name or SavedModel "
                    "path of the same --scale and network whose weights a new run starts "
                    "from, e.g. an ℓpixel model for an ℓfeat run (ignored when --output_dir "
                    "holds a checkpoint).")
config.define_flags(config.SRConfig)  # the recipe's settings, with their defaults
define_distribute_flag()
FLAGS = flags.FLAGS


@main_wrapper
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    settings = config.from_flags(config.SRConfig)
    check_training_flags(FLAGS, settings)
    strategy = training_strategy(FLAGS.distribute)  # first: before TensorFlow runs anything
    from kerastransfer.training.sr_recipe import train_sr_network
    try:
        path, record = train_sr_network(
            FLAGS.output_dir, settings, train_dir=FLAGS.train_dir, tfds_name=FLAGS.tfds,
            export_dir=FLAGS.export_dir, name=FLAGS.name, sample_image=FLAGS.sample_image,
            init_from=FLAGS.init_from, strategy=strategy)
    except ValueError as e:  # a bad --init_from, a run folder of another schedule
        raise UsageError(str(e))
    report_training(path, record)


def run():
    run_app(main)


if __name__ == "__main__":
    run()
