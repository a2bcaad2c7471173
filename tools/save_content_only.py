"""Writes a content-only style network (an export of a style-weight-0 run, e.g. of
tools/train_zoo/content_only.flags) as the package's default warm start,
kerastransfer/training/content_only.keras, a `keras.saving` file (config and weights,
1.9 MB) rather than a SavedModel: it is only ever loaded into Keras to copy weights from.

    python tools/save_content_only.py --model=runs/content_only/export
"""
from absl import app, flags

flags.DEFINE_string("model", None, "Export of a content-only style run.", required=True)
FLAGS = flags.FLAGS


def main(argv):
    import keras
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.training import warm_start
    model = ExportedModel(FLAGS.model)
    if model.record.loss.get("style_weight") != 0:
        raise app.UsageError(f"{FLAGS.model}: style weight "
                             f"{model.record.loss.get('style_weight')}, not 0")
    keras.saving.save_model(model.keras_network(), warm_start.CONTENT_ONLY_FILE)
    print(f"wrote {warm_start.CONTENT_ONLY_FILE}")


if __name__ == "__main__":
    app.run(main)
