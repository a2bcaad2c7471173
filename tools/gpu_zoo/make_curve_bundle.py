"""Packs the L-BFGS curves `tools/evaluate_style.py` needs for some models, for
`lbfgs_jax.py` to run on a GPU machine without TensorFlow.

    python tools/gpu_zoo/make_curve_bundle.py --evaluations=a.json,b.json \
        [--iterations=300] [--out=.gpu/curves]

Each --evaluations file is `evaluate_style.py --lbfgs_iterations=0 --json=...`'s output
for one model: its objective on each validation photo at 512 px is where a curve may
stop. Writes, all computed by the package itself:
- vgg16.npz: the loss network's convolutions up to relu4_3, float32;
- photos.npz: the validation photos as `style_evaluation.load_photo` gives them;
- NAME.npz: per objective, its float32 Gram targets and loss weights;
- jobs.json: one job per model, photo and start (noise, the photo) whose cached curve
  does not yet reach the network: the cache file in
  tools/lbfgs_curves and its key exactly as `style_evaluation.lbfgs_history` names it,
  the network's objective to stop at, and the curve already cached there, if any.
"""
import json
import os

import sys

import numpy as np
from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_weights import write_vgg16  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")

flags.DEFINE_list("evaluations", [], "evaluate_style.py --json files, one model each.")
flags.DEFINE_integer("iterations", 300, "Longest curve to run.")
flags.DEFINE_list("inits", ["noise", "content"], "Starting points.")
flags.DEFINE_integer("size", 512, "Longer side of the photos (evaluate_style's default).")
flags.DEFINE_string("data_dir", SHARED, "Folder holding sr_benchmarks/.")
flags.DEFINE_string("styles_dir", os.path.join(SHARED, "styles"), "The paintings.")
flags.DEFINE_string("cache_dir", os.path.join(REPO, "tools", "lbfgs_curves"), "Curve cache.")
flags.DEFINE_string("out", os.path.join(REPO, ".gpu", "curves"), "Output folder.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    from kerastransfer.evaluation import style_evaluation as se
    from kerastransfer.inference.exported_model import ExportedModel
    os.makedirs(FLAGS.out, exist_ok=True)
    write_vgg16(os.path.join(FLAGS.out, "vgg16.npz"), np.float32)
    photos = [se.load_photo(os.path.join(FLAGS.data_dir, "sr_benchmarks", relative),
                            FLAGS.size) for relative in se.VALIDATION_PHOTOS]
    np.savez(os.path.join(FLAGS.out, "photos.npz"), **{str(i): p for i, p in enumerate(photos)})
    jobs = []
    for path in FLAGS.evaluations:
        with open(path) as f:
            evaluation = json.load(f)[0]
        model = ExportedModel(evaluation["model"])
        objective, cache_key = se.model_objective(model, [FLAGS.styles_dir])
        name = model.record.name
        loss = model.record.loss
        np.savez(os.path.join(FLAGS.out, f"{name}.npz"),
                 weights=np.asarray([loss["content_weight"], loss["style_weight"],
                                     loss["tv_weight"]], np.float32),
                 **{f"gram/{k}": np.asarray(v, np.float32)
                    for k, v in objective.style_grams.items()})
        for index, row in enumerate(evaluation["photos"]):
            if row["photo"] != se.VALIDATION_PHOTOS[index]:
                raise app.UsageError(f"{path}: photo {index} is {row['photo']}")
            for init in FLAGS.inits:
                cached, key = se.curve_cache_entry(FLAGS.cache_dir, cache_key, photos[index],
                                                   init)
                history = []
                if os.path.exists(cached):
                    with open(cached) as f:
                        history = json.load(f)["history"]
                if history and min(history) <= row["network"]["total"]:
                    continue  # the cached curve already reaches this network
                jobs.append({"file": os.path.basename(cached), "key": json.loads(key),
                             "objective": name, "photo": index,
                             "init": init, "target": row["network"]["total"],
                             "iterations": FLAGS.iterations, "cached": history})
    with open(os.path.join(FLAGS.out, "jobs.json"), "w") as f:
        json.dump(jobs, f)
    print(f"{len(jobs)} curves for {len(FLAGS.evaluations)} models")


if __name__ == "__main__":
    app.run(main)
