"""kerastransfer-evaluate-sr: PSNR-Y, SSIM-Y, LPIPS and the grid energy ratios (period 2
and 4 px, relative to the ground truth's) of an SR model against bicubic.

  kerastransfer-evaluate-sr --model=sr_x4 --hr_dir=../shared/data/sr_benchmarks/Set5 \
      [--hr_dir=...Set14 ...] [--json=results.json] [--update_record]
"""
import json
import os

from absl import flags

from kerastransfer.cli.common import UsageError, check, load_exported_model, main_wrapper, run_app

flags.DEFINE_string("model", None, "SR model name or SavedModel path.")
flags.DEFINE_multi_string("hr_dir", None, "Folder of high-resolution ground truth; repeat "
                          "for several sets (named after the folder).")
flags.DEFINE_bool("lpips", True, "Also compute LPIPS (VGG), which needs the VGG-16 weights.")
flags.DEFINE_bool("histogram_match", False, "Histogram-match the model output first.")
flags.DEFINE_integer("limit", None, "Evaluate at most this many images per set.")
flags.DEFINE_string("json", None, "Write per-image and per-set results here.")
flags.DEFINE_bool("update_record", False, "Store the per-set means in the model's "
                  "kerastransfer.json under metrics.")
FLAGS = flags.FLAGS


@main_wrapper
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    check(FLAGS.model, "--model is required")
    check(FLAGS.hr_dir, "--hr_dir is required")
    for directory in FLAGS.hr_dir:
        check(os.path.isdir(directory), f"{directory}: no such folder")
    check(FLAGS.limit is None or FLAGS.limit >= 1, "--limit must be >= 1")
    from kerastransfer import image_io, artifact
    from kerastransfer.evaluation import sr_evaluation
    from kerastransfer.evaluation.metrics import LPIPS
    model = load_exported_model(FLAGS.model, task="super_resolution")
    scale = model.record.scale
    lpips = LPIPS() if FLAGS.lpips else None
    results = {}
    for directory in FLAGS.hr_dir:
        name = os.path.basename(os.path.normpath(directory))
        try:
            results[name] = sr_evaluation.evaluate_folder(model, directory, scale, lpips,
                                                          FLAGS.histogram_match, FLAGS.limit)
        except ValueError as e:
            raise UsageError(str(e))
    print(f"{model.name} (×{scale}), PSNR/SSIM on Y with {scale} px shaved; period-N ratio: "
          "energy of the N-px periodic pattern over the ground truth's (above 1: a grid)\n")
    print(sr_evaluation.markdown_table(results))
    if FLAGS.json:
        image_io.write_text(FLAGS.json, json.dumps(results, indent=2) + "\n")
    if FLAGS.update_record:
        record = artifact.read_record(model.path)
        record.metrics.update({n: r["mean"] for n, r in results.items()})
        image_io.write_json(os.path.join(model.path, artifact.RECORD_PATH), record.to_json())


def run():
    run_app(main)


if __name__ == "__main__":
    run()
