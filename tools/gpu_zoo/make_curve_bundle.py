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
import hashlib
import json
import os

import numpy as np
from absl import app, flags

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


def cache_file_and_key(cache_key, init, photo, seed=0):
    """`style_evaluation.lbfgs_history`'s cache file name and key (method "lbfgs")."""
    key = json.dumps({**cache_key, "init": init, "seed": seed,
                      "photo_sha256": hashlib.sha256(photo.tobytes()).hexdigest(),
                      "shape": list(photo.shape)}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:24] + ".json", json.loads(key)


def main(argv):
    del argv
    from kerastransfer.evaluation import style_evaluation as se
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.perceptual.loss_network import load_vgg16
    os.makedirs(FLAGS.out, exist_ok=True)
    vgg = load_vgg16("torchvision")
    np.savez(os.path.join(FLAGS.out, "vgg16.npz"),
             **{f"{layer.name}/{part}": w for layer in vgg.layers
                if layer.name.startswith(("block1_conv", "block2_conv", "block3_conv",
                                          "block4_conv"))
                for part, w in zip(("kernel", "bias"), layer.get_weights())})
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
                file, key = cache_file_and_key(cache_key, init, photos[index])
                cached = os.path.join(FLAGS.cache_dir, file)
                history = []
                if os.path.exists(cached):
                    with open(cached) as f:
                        history = json.load(f)["history"]
                if history and min(history) <= row["network"]["total"]:
                    continue  # the cached curve already reaches this network
                jobs.append({"file": file, "key": key, "objective": name, "photo": index,
                             "init": init, "target": row["network"]["total"],
                             "iterations": FLAGS.iterations, "cached": history})
    with open(os.path.join(FLAGS.out, "jobs.json"), "w") as f:
        json.dump(jobs, f)
    print(f"{len(jobs)} curves for {len(FLAGS.evaluations)} models")


if __name__ == "__main__":
    app.run(main)
