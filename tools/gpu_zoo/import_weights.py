"""Turns `train_jax.py`'s weights into SavedModels with their full record, as the Keras
recipe exports them, so every consumer (CLI, serving, TF.js, evaluation) takes them.

    python tools/gpu_zoo/import_weights.py --results=DIR [--styles=udnie,...] \
        [--out=runs/gpu_zoo]

DIR holds NAME.npz and train_jax.json from the GPU run. Each style's network is rebuilt
from the record of the model it started from (the bundle's NAME.json), given the new
weights by Keras variable path (every one must be there, with its shape), and exported
to OUT/NAME/export. The record keeps the source's objective and says how the new
weights were trained: steps, crops, schedule, the device, wall time and the last 100
steps' mean loss terms.
"""
import dataclasses
import json
import os
import sys

import numpy as np
from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_weights import set_weights_by_path, train_fields  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")

flags.DEFINE_string("results", None, "Folder with NAME.npz and train_jax.json.")
flags.DEFINE_list("styles", [], "Styles to import (default: every one in the results).")
flags.DEFINE_string("bundle", os.path.join(REPO, ".gpu", "bundle"), "make_bundle's folder.")
flags.DEFINE_string("styles_dir", os.path.join(SHARED, "styles"), "The paintings.")
flags.DEFINE_string("out", os.path.join(REPO, "runs", "gpu_zoo"), "Output folder.")
flags.mark_flag_as_required("results")
FLAGS = flags.FLAGS


def import_style(name, run, summary):
    from kerastransfer.artifact import ModelRecord
    from kerastransfer.models import deserialize_network
    from kerastransfer.training import export_run
    with open(os.path.join(FLAGS.bundle, f"{name}.json")) as f:
        source = json.load(f)
    record = ModelRecord.from_json(source["record"])
    network = deserialize_network(record.network)
    network(np.zeros((1, 32, 32, 3), np.float32))
    weights = np.load(os.path.join(FLAGS.results, f"{name}.npz"))
    set_weights_by_path(network, {k: weights[k] for k in weights.files})
    record = dataclasses.replace(
        record, train=train_fields(source, run, summary),
        metrics={"final_train_loss": {"content": run["final_train_loss"]["content"],
                                      "style": run["final_train_loss"]["style"],
                                      "tv": run["final_train_loss"]["tv"],
                                      "pixel": 0.0, "range": 0.0,
                                      "total": run["final_train_loss"]["total"]}})
    out = os.path.join(FLAGS.out, name)
    path, _ = export_run.record_and_export(
        network, record, out, os.path.join(out, "export"),
        style_image=os.path.join(FLAGS.styles_dir, record.style_image))
    return path


def main(argv):
    del argv
    with open(os.path.join(FLAGS.results, "train_jax.json")) as f:
        summary = json.load(f)
    runs = {run["name"]: run for run in summary["styles"]}
    for name in FLAGS.styles or list(runs):
        if name not in runs:
            raise app.UsageError(f"{name}: not in {FLAGS.results}/train_jax.json")
        print(f"{name}: {import_style(name, runs[name], summary)}")


if __name__ == "__main__":
    app.run(main)
