"""Converts every shipped style model to TensorFlow.js for the page in web/.

    python tools/export_tfjs.py [--web_dir=web] [--float16=true] [--check_image=...]

Each `saved_models/NAME/<newest version>` whose record says `"task": "style"` becomes
`web/models/NAME/` (a graph model of the `serving_default` signature: uint8 in, uint8
out), listed in `web/models/models.json` with its title, size, training steps and the
measured difference between the converted model (run by TensorFlow, weights as the
browser loads them) and the SavedModel. Re-run it whenever a model is added or retrained.

Needs the pinned converter, installed without its declared dependencies (they would
downgrade TensorFlow to 2.19):

    .venv/bin/pip install --no-deps --require-hashes -r tools/requirements-tfjs.txt
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from kerastransfer.cli import common  # noqa: E402  (sets TF_CPP_MIN_LOG_LEVEL first)

from absl import flags  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")

flags.DEFINE_string("web_dir", os.path.join(REPO, "web"), "The web app folder; models go "
                    "to WEB_DIR/models/.")
flags.DEFINE_boolean("float16", True, "Store weights as float16 (half the download); the "
                     "index records what it costs in output levels.")
flags.DEFINE_string("check_image", os.path.join(SHARED, "content", "chicago.jpg"),
                    "Photo each converted model is checked on against its SavedModel "
                    "('' to skip).")
flags.DEFINE_integer("check_size", 512, "Longer side of the check photo in pixels, 32..4096.")
FLAGS = flags.FLAGS


@common.main_wrapper
def main(argv):
    common.check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    common.check(32 <= FLAGS.check_size <= 4096,
                 f"--check_size must be in 32..4096, got {FLAGS.check_size}")
    from kerastransfer import image_io
    from kerastransfer.inference import stylize
    from kerastransfer.export import tfjs
    try:
        tfjs.load_converter()
    except tfjs.ConverterMissing as e:
        raise common.UsageError(str(e)) from None
    check_image = None
    if FLAGS.check_image:
        check_image = stylize.limit_size(image_io.read_image(FLAGS.check_image),
                                         FLAGS.check_size)
    try:
        entries = tfjs.export_all(FLAGS.web_dir, FLAGS.float16, check_image)
    except (ValueError, OSError) as e:
        raise common.UsageError(str(e)) from None
    for entry in entries:
        error = entry.get("conversion_error")
        checked = (f"; vs SavedModel on {error['image']}: mean |diff| {error['mean_abs']}, "
                   f"max {error['max_abs']} levels" if error else "")
        print(f"{entry['name']}: {entry['bytes'] / 1e6:.2f} MB{checked}")
    print(f"wrote {os.path.join(FLAGS.web_dir, 'models', tfjs.INDEX_FILE)}")


if __name__ == "__main__":
    common.run_app(main)
