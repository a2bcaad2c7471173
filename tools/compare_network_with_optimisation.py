"""How many Gatys L-BFGS iterations it takes to match a trained network (paper Figure 5).

    python tools/compare_network_with_optimisation.py --model=udnie|all|a,b \
        [--photos=held_out|held_in|a.png,b.jpg] [--sizes=256,512] [--iterations=300] \
        [--init=content|noise] [--plot=figure5.png] [--json=out.json]

For each photo and size, the network's output is scored with the model's own objective
(loss layers and weights from its kerastransfer.json, the same VGG-16 weights, checked by
SHA-256); then the image is optimised with L-BFGS on that objective, and the first
iteration whose objective is at or below the network's is reported. Prints a Markdown
table; `--plot` draws the objective per iteration against the network's level, one panel
per size (needs matplotlib: `pip install -e ".[tools]"`).

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
flags.DEFINE_enum("init", "content", ["content", "noise"], "Where optimisation starts.")
flags.DEFINE_string("styles_dir", os.path.join(SHARED, "styles"), "Folder of style images.")
flags.DEFINE_string("plot", None, "Write the objective-per-iteration figure here (PNG).")
flags.DEFINE_string("json", None, "Also write the results here.")
FLAGS = flags.FLAGS


def photo_paths(names):
    if len(names) == 1 and names[0] in PHOTO_SETS:
        return PHOTO_SETS[names[0]]
    return names


def compare_one(model, objective, path, size, iterations, init):
    """Scores the network's output on one photo and optimises the same photo."""
    import tensorflow as tf
    from kerastransfer.training import data
    from kerastransfer.perceptual import gatys
    content = data.resize_and_crop(data.decode_rgb(tf.io.read_file(path)), size, random=False)
    content = tf.round(content)[tf.newaxis]
    model(tf.cast(content, tf.uint8).numpy())  # warm-up: the first call traces
    start = time.perf_counter()
    styled = model(tf.cast(content, tf.uint8).numpy())
    network_seconds = time.perf_counter() - start
    network = {k: float(v) for k, v in
               objective.terms(tf.cast(styled, tf.float32), content).items()}
    start = time.perf_counter()
    _, history = gatys.optimize_image(objective, content, iterations, init=init)
    seconds = time.perf_counter() - start
    return {"photo": os.path.relpath(path, SHARED), "size": size, "init": init,
            "network_objective": network, "network_seconds": network_seconds,
            "lbfgs_iterations_run": len(history), "lbfgs_final": history[-1],
            "lbfgs_history": history, "lbfgs_seconds": seconds,
            "iterations_to_match": gatys.first_iteration_reaching(history, network["total"])}


def print_table(rows, model_name):
    import numpy as np
    print(f"\nmodel {model_name}, up to {FLAGS.iterations} L-BFGS iterations from the "
          f"{FLAGS.init} image\n")
    print("| photo | size | network objective (content + style + tv) | L-BFGS @100 "
          "| L-BFGS final | iterations to match |\n|---|---|---|---|---|---|")
    for r in rows:
        n, history = r["network_objective"], r["lbfgs_history"]
        at100 = f"{history[99]:.3f}" if len(history) >= 100 else "-"
        match = r["iterations_to_match"] or f"> {r['lbfgs_iterations_run']}"
        print(f"| {r['photo']} | {r['size']} | {n['total']:.3f} ({n['content']:.3f} + "
              f"{n['style']:.3f} + {n['tv']:.3f}) | {at100} | {r['lbfgs_final']:.3f} | {match} |")
    for size in sorted({r["size"] for r in rows}):
        matches = [r["iterations_to_match"] or np.inf for r in rows if r["size"] == size]
        print(f"\nmedian iterations to match at {size} px: {np.median(matches)}")


def plot(rows, model_name, path):
    """One panel per size: L-BFGS objective per iteration (solid) and the network's (dashed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sizes = sorted({r["size"] for r in rows})
    figure, axes = plt.subplots(1, len(sizes), figsize=(5.5 * len(sizes), 4), squeeze=False)
    for axis, size in zip(axes[0], sizes):
        for i, r in enumerate(r for r in rows if r["size"] == size):
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
        axis.set_title(f"{model_name}, {size}×{size}, from the {FLAGS.init} image")
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def compare_model(name):
    """Every photo and size for one model; returns its rows."""
    from kerastransfer.training import data
    from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
    from kerastransfer.inference.exported_model import ExportedModel

    model = ExportedModel(name)
    record = model.record
    style = data.load_style_image(os.path.join(FLAGS.styles_dir, record.style_image),
                                  record.style_size)
    objective = PerceptualObjective.build(LossWeights.from_json(record.loss), style)
    if objective.loss_network.fingerprint != record.vgg16_weights_sha256:
        raise SystemExit("error: VGG-16 weights differ from the ones the model was trained with")
    rows = []
    for size in map(int, FLAGS.sizes):
        for path in photo_paths(FLAGS.photos):
            r = compare_one(model, objective, path, size, FLAGS.iterations, FLAGS.init)
            r["model"] = record.name
            rows.append(r)
            match = r["iterations_to_match"] or f"> {r['lbfgs_iterations_run']}"
            print(f"{r['model']}: {path} @ {size}: network {r['network_objective']['total']:.3f}, "
                  f"L-BFGS reaches it at {match}", flush=True)
    print_table(rows, record.name)
    return rows


def print_summary(rows):
    """One line per model: iterations to match per photo and size, and the median."""
    import numpy as np
    photos = list(dict.fromkeys((r["photo"], r["size"]) for r in rows))
    print("\n| model | " + " | ".join(f"{os.path.basename(p)} @ {s}" for p, s in photos)
          + " | median |\n|---|" + "---|" * (len(photos) + 1))
    for model in dict.fromkeys(r["model"] for r in rows):
        found = {(r["photo"], r["size"]): r for r in rows if r["model"] == model}
        cells = [found[k]["iterations_to_match"] or f"> {found[k]['lbfgs_iterations_run']}"
                 for k in photos]
        median = np.median([found[k]["iterations_to_match"] or np.inf for k in photos])
        print(f"| {model} | " + " | ".join(map(str, cells)) + f" | {median:g} |")


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
