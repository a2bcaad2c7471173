"""How many Gatys L-BFGS iterations it takes to match a trained network (paper Figure 5).

    python tools/compare_network_with_optimisation.py --model=udnie|all|a,b \
        [--photos=held_out|held_in|a.png,b.jpg] [--sizes=256,512] [--iterations=300] \
        [--init=noise,content] [--plot=figure5.png] [--json=out.json]

For each photo and size, the network's output is scored with the model's own objective
(loss layers and weights from its kerastransfer.json, the same VGG-16 weights, checked by
SHA-256); then the image is optimised with L-BFGS on that objective, and the first
iteration whose objective is at or below the network's is reported. Prints a Markdown
table; `--plot` draws the objective per iteration against the network's level, one panel
per start and size (needs matplotlib: `pip install -e ".[tools]"`). Without `--plot` a run
stops where it reaches the network. Curves are kept in --cache_dir (tools/lbfgs_curves,
shared with tools/evaluate_style.py), so a later model of the same style reuses them.

`held_out` (default): photos that are not in the training folder (BSD100, Set14).
`held_in`: the three sample photos in shared/data/content, as in the paper's Figure 5.
"""
import os
import time

from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")
PHOTO_SETS = {
    "held_out": [os.path.join(SHARED, "sr_benchmarks", p) for p in
                 ("BSD100/img_001.png", "BSD100/img_012.png", "Set14/lenna.png",
                  "Set14/pepper.png")],
    "held_in": [os.path.join(SHARED, "content", p) for p in
                ("chicago.jpg", "hoovertowernight.jpg", "stata.jpg")],
}

flags.DEFINE_list("model", ["udnie"], "Shipped style model names or SavedModel paths; "
                  "several give one table each and a summary (all: every shipped style).")
flags.DEFINE_list("photos", ["held_out"], "held_out, held_in, or a list of photo paths.")
flags.DEFINE_list("sizes", ["256"], "Photos are resized and centre-cropped to size×size.")
flags.DEFINE_integer("iterations", 300, "L-BFGS iterations per photo and size.")
flags.DEFINE_list("init", ["noise", "content"], "Where optimisation starts: noise (i.i.d. "
                  "uniform [0, 255], seed 0: the paper's Figure 5) and/or content (the photo).")
flags.register_validator("init", lambda inits: set(inits) <= {"noise", "content"},
                         "--init takes noise and/or content")
flags.DEFINE_string("cache_dir", os.path.join(REPO, "tools", "lbfgs_curves"),
                    "Where L-BFGS curves are kept, per objective and photo.")
flags.DEFINE_string("styles_dir", os.path.join(SHARED, "styles"), "Folder of style images.")
flags.DEFINE_string("plot", None, "Write the objective-per-iteration figure here (PNG).")
flags.DEFINE_string("json", None, "Also write the results here.")
FLAGS = flags.FLAGS


def photo_paths(names):
    if len(names) == 1 and names[0] in PHOTO_SETS:
        return PHOTO_SETS[names[0]]
    return names


def compare_one(model, objective, cache_key, path, size, iterations, init):
    """Scores the network's output on one photo and optimises the same photo."""
    import tensorflow as tf
    from kerastransfer.training import data
    from kerastransfer.perceptual import gatys
    from kerastransfer.evaluation.style_evaluation import lbfgs_history
    content = data.resize_and_crop(data.decode_rgb(tf.io.read_file(path)), size, random=False)
    content = tf.cast(tf.round(content), tf.uint8).numpy()
    model(content[tf.newaxis])  # warm-up: the first call traces
    start = time.perf_counter()
    styled = model(content[tf.newaxis])
    network_seconds = time.perf_counter() - start
    network = {k: float(v) for k, v in objective.terms(
        tf.cast(styled, tf.float32), tf.cast(content, tf.float32)[tf.newaxis]).items()}
    history = lbfgs_history(objective, content, iterations, init, FLAGS.cache_dir, cache_key,
                            target=None if FLAGS.plot else network["total"])
    return {"photo": os.path.relpath(path, SHARED), "size": size, "init": init,
            "network_objective": network, "network_seconds": network_seconds,
            "lbfgs_iterations_run": len(history), "lbfgs_final": history[-1],
            "lbfgs_history": history,
            "iterations_to_match": gatys.first_iteration_reaching(history, network["total"])}


def print_table(rows, model_name):
    import numpy as np
    print(f"\nmodel {model_name}, up to {FLAGS.iterations} L-BFGS iterations\n")
    print("| photo | size | from | network objective (content + style + tv) "
          "| L-BFGS last | iterations to match |\n|---|---|---|---|---|---|")
    for r in rows:
        n = r["network_objective"]
        match = r["iterations_to_match"] or f"> {r['lbfgs_iterations_run']}"
        print(f"| {r['photo']} | {r['size']} | {r['init']} | {n['total']:.3f} "
              f"({n['content']:.3f} + {n['style']:.3f} + {n['tv']:.3f}) "
              f"| {r['lbfgs_final']:.3f} ({r['lbfgs_iterations_run']} it.) | {match} |")
    for size, init in dict.fromkeys((r["size"], r["init"]) for r in rows):
        matches = [r["iterations_to_match"] or np.inf for r in rows
                   if (r["size"], r["init"]) == (size, init)]
        print(f"\nmedian iterations to match at {size} px from {init}: {np.median(matches)}")


def plot(rows, model_name, path):
    """One panel per start and size: L-BFGS objective per iteration (solid) and the
    network's (dashed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = list(dict.fromkeys((r["init"], r["size"]) for r in rows))
    inits = list(dict.fromkeys(init for init, _ in panels))
    sizes = list(dict.fromkeys(size for _, size in panels))
    figure, axes = plt.subplots(len(inits), len(sizes), figsize=(5.5 * len(sizes), 4 * len(inits)),
                                squeeze=False)
    for (init, size) in panels:
        axis = axes[inits.index(init)][sizes.index(size)]
        for i, r in enumerate(r for r in rows if (r["init"], r["size"]) == (init, size)):
            color = f"C{i}"
            history = r["lbfgs_history"]
            label = os.path.splitext(os.path.basename(r["photo"]))[0]
            axis.plot(range(1, len(history) + 1), history, color=color, label=f"{label}: L-BFGS")
            axis.axhline(r["network_objective"]["total"], color=color, linestyle="--",
                         label=f"{label}: network")
            if r["iterations_to_match"]:
                axis.plot(r["iterations_to_match"], history[r["iterations_to_match"] - 1],
                          "o", color=color)
        axis.set_yscale("log")
        axis.set_xlabel("L-BFGS iteration")
        axis.set_ylabel("objective (content + style + TV)")
        axis.set_title(f"{model_name}, {size}×{size}, L-BFGS from "
                       + ("white noise" if init == "noise" else "the photo"))
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def compare_model(name):
    """Every photo and size for one model; returns its rows."""
    from kerastransfer.evaluation import style_evaluation as se
    from kerastransfer.inference.exported_model import ExportedModel

    model = ExportedModel(name)
    record = model.record
    try:
        objective, cache_key = se.model_objective(model, [FLAGS.styles_dir])
    except ValueError as error:
        raise SystemExit(f"error: {error}")
    rows = []
    for init in FLAGS.init:
        for size in map(int, FLAGS.sizes):
            for path in photo_paths(FLAGS.photos):
                r = compare_one(model, objective, cache_key, path, size, FLAGS.iterations, init)
                r["model"] = record.name
                rows.append(r)
                match = r["iterations_to_match"] or f"> {r['lbfgs_iterations_run']}"
                print(f"{r['model']}: {path} @ {size} from {init}: network "
                      f"{r['network_objective']['total']:.3f}, L-BFGS reaches it at {match}",
                      flush=True)
    print_table(rows, record.name)
    return rows


def print_summary(rows):
    """One line per model: iterations to match per photo and size, and the median per start."""
    import numpy as np
    photos = list(dict.fromkeys((r["photo"], r["size"], r["init"]) for r in rows))
    inits = list(dict.fromkeys(r["init"] for r in rows))
    print("\n| model | " + " | ".join(f"{os.path.basename(p)} @ {s} from {i}"
                                      for p, s, i in photos)
          + "".join(f" | median from {i}" for i in inits)
          + " |\n|---|" + "---|" * (len(photos) + len(inits)))
    for model in dict.fromkeys(r["model"] for r in rows):
        found = {(r["photo"], r["size"], r["init"]): r for r in rows if r["model"] == model}
        cells = [found[k]["iterations_to_match"] or f"> {found[k]['lbfgs_iterations_run']}"
                 for k in photos]
        cells += [f"{np.median([found[k]['iterations_to_match'] or np.inf for k in photos if k[2] == i]):g}"
                  for i in inits]
        print(f"| {model} | " + " | ".join(map(str, cells)) + " |")


def main(argv):
    del argv
    from kerastransfer import artifact
    names = FLAGS.model
    if names == ["all"]:
        names = [n for n in artifact.available_models()
                 if artifact.read_record(artifact.resolve(n)).task == "style"]
    if FLAGS.plot and len(names) > 1:
        raise SystemExit("error: --plot draws one model; give one --model")
    rows = [r for name in names for r in compare_model(name)]
    if len(names) > 1:
        print_summary(rows)
    if FLAGS.plot:
        plot(rows, rows[0]["model"], FLAGS.plot)
        print(f"wrote {FLAGS.plot}")
    if FLAGS.json:
        from kerastransfer.image_io import write_json
        write_json(FLAGS.json, rows)


if __name__ == "__main__":
    app.run(main)
