"""How good a style network is, on photos it never trained on (one command per model).

    python tools/evaluate_style.py --model=udnie[,runs/x/export,...] [--sizes=256,512,1024]
        [--lbfgs_iterations=300] [--lbfgs_init=noise,content] [--lbfgs_photos=12]
        [--lbfgs_milestones=50,100] [--lbfgs_method=lbfgs_fixed_step] [--json=out.json]
        [--samples=DIR]

For each model, on the 12 validation photos of `kerastransfer.evaluation.style_evaluation` (Set14 and
BSD100; none is in the training folder), resized so the longer side is each size:

- the model's own objective (loss layers, weights and style image from its record, the
  VGG-16 weights checked by SHA-256) at 512 px: its mean, and relative to the untouched
  photo's objective;
- how many Gatys L-BFGS iterations reach the network's objective, from white noise (the
  paper's protocol for its Figure 5: i.i.d. uniform [0, 255] noise per pixel and channel,
  seed 0) and from the photo. Each run stops where it reaches the network. A curve
  depends only on the objective and the photo, so it is kept in --cache_dir (committed:
  tools/lbfgs_curves) for every later model of the same objective. With
  --lbfgs_milestones each curve runs to --lbfgs_iterations instead, and the objective it
  has after each milestone is reported as a multiple of the network's: how much lower the
  network's objective would have to be to be worth that many iterations. The optimiser
  is SciPy's L-BFGS-B, whose every iteration searches along the line; with
  --lbfgs_method=lbfgs_fixed_step it is Torch's optim.lbfgs as the paper's Torch baseline
  ran it (a step of 1, no line search: one evaluation an iteration);
- the blob score at every size (`style_evaluation.blob_score`): mean and largest.

Prints a Markdown table, one row per model; --json keeps every photo's numbers.
"""
import os

from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")

flags.DEFINE_list("model", ["udnie"], "Shipped style model names or SavedModel paths.")
flags.DEFINE_string("data_dir", SHARED, "Folder holding sr_benchmarks/ (the photos).")
flags.DEFINE_string("styles_dir", os.path.join(SHARED, "styles"),
                    "Where to find a style image the model does not carry as an asset.")
flags.DEFINE_list("sizes", ["256", "512", "1024"], "Longer sides for the blob score.")
flags.DEFINE_integer("objective_size", 512, "Longer side for the objective and L-BFGS.")
flags.DEFINE_integer("lbfgs_iterations", 300, "L-BFGS iterations per photo (0: skip).")
flags.DEFINE_list("lbfgs_init", ["noise", "content"],
                  "L-BFGS starting points: noise (uniform [0, 255]), content (the photo), "
                  "grey_noise (the ImageNet mean plus N(0, 1), as the paper's released Torch "
                  "baseline starts).")
flags.DEFINE_integer("lbfgs_photos", 12, "Run L-BFGS on the first N validation photos.")
flags.DEFINE_list("lbfgs_milestones", [],
                  "Also run each curve to --lbfgs_iterations instead of stopping where it "
                  "reaches the network, and report its objective after each of these "
                  "iterations against the network's (e.g. 50,100: the paper's range).")
flags.DEFINE_enum("lbfgs_method", "lbfgs", ["lbfgs", "lbfgs_fixed_step"],
                  "lbfgs: SciPy's L-BFGS-B with a line search; lbfgs_fixed_step: Torch's "
                  "optim.lbfgs defaults, which the paper's baseline ran.")
flags.DEFINE_string("cache_dir", os.path.join(REPO, "tools", "lbfgs_curves"),
                    "Cache of L-BFGS curves.")
flags.DEFINE_string("json", None, "Also write every photo's numbers here.")
flags.DEFINE_string("samples", None, "Write each model's outputs at 512 px here (PNG).")
FLAGS = flags.FLAGS


def evaluate(name):
    """Every number of one model; returns {"model", "photos": [...], "summary": {...}}."""
    import numpy as np
    from kerastransfer.evaluation import style_evaluation as se
    from kerastransfer.inference.exported_model import ExportedModel

    model = ExportedModel(name)
    record = model.record
    try:
        objective, cache_key = se.model_objective(model, [FLAGS.styles_dir])
    except ValueError as error:
        raise SystemExit(f"error: {error}")
    photos = []
    for index, relative in enumerate(se.VALIDATION_PHOTOS):
        path = os.path.join(FLAGS.data_dir, "sr_benchmarks", relative)
        row = {"photo": relative, "blob_score": {}}
        for size in sorted({*map(int, FLAGS.sizes), FLAGS.objective_size}):
            photo = se.load_photo(path, size)
            styled = model(photo[np.newaxis])[0]
            if str(size) in FLAGS.sizes:
                row["blob_score"][size] = se.blob_score(styled, photo)
            if size != FLAGS.objective_size:
                continue
            row["network"] = se.objective_terms(objective, styled, photo)
            row["photo_objective"] = se.objective_terms(objective, photo, photo)["total"]
            if FLAGS.samples:
                from kerastransfer.image_io import write_image
                stem = os.path.splitext(os.path.basename(relative))[0]
                os.makedirs(FLAGS.samples, exist_ok=True)
                write_image(os.path.join(FLAGS.samples, f"{record.name}_{stem}.png"),
                            styled, overwrite=True)
            if FLAGS.lbfgs_iterations and index < FLAGS.lbfgs_photos:
                from kerastransfer.perceptual.gatys import first_iteration_reaching
                milestones = milestone_iterations()
                for init in FLAGS.lbfgs_init:
                    history = se.lbfgs_history(
                        objective, photo, FLAGS.lbfgs_iterations, init, FLAGS.cache_dir,
                        cache_key, target=None if milestones else row["network"]["total"],
                        method=FLAGS.lbfgs_method)
                    row[f"iterations_from_{init}"] = first_iteration_reaching(
                        history, row["network"]["total"])
                    if milestones:
                        row[f"lbfgs_from_{init}"] = {
                            m: history[m - 1] for m in milestones if m <= len(history)}
        photos.append(row)
        beyond = f"> {FLAGS.lbfgs_iterations}"
        print(f"{record.name} {relative}: objective {row['network']['total']:.3f} "
              f"(photo {row['photo_objective']:.3f}), blob score "
              + " / ".join(f"{row['blob_score'][s]:.2f}" for s in sorted(row["blob_score"]))
              + "".join(f", from {i}: {row[f'iterations_from_{i}'] or beyond}"
                        for i in FLAGS.lbfgs_init if f"iterations_from_{i}" in row), flush=True)
    return {"model": name, "name": record.name, "photos": photos,
            "summary": summarise(photos)}


def summarise(photos):
    import numpy as np
    network = [p["network"]["total"] for p in photos]
    summary = {"lbfgs_method": FLAGS.lbfgs_method, "objective": float(np.mean(network)),
               "vs_photo": float(np.mean([p["network"]["total"] / p["photo_objective"]
                                          for p in photos])),
               "worse_than_photo": sum(p["network"]["total"] >= p["photo_objective"]
                                       for p in photos)}
    for size in photos[0]["blob_score"]:
        scores = [p["blob_score"][size] for p in photos]
        summary[f"blob_{size}"] = (float(np.mean(scores)), float(np.max(scores)))
    for init in FLAGS.lbfgs_init:
        done = [p for p in photos if f"iterations_from_{init}" in p]
        if not done:
            continue
        iterations = [p[f"iterations_from_{init}"] or np.inf for p in done]
        summary[f"iterations_from_{init}"] = float(np.median(iterations))
        for milestone in milestone_iterations():
            # How far the network's objective is from what `milestone` iterations reach.
            ratios = [p[f"lbfgs_from_{init}"][milestone] / p["network"]["total"]
                      for p in done if milestone in p.get(f"lbfgs_from_{init}", {})]
            if ratios:
                summary.setdefault("lbfgs_at_milestones", {}).setdefault(init, {})[
                    milestone] = float(np.median(ratios))
    return summary


def milestone_iterations():
    return [int(milestone) for milestone in FLAGS.lbfgs_milestones]


def print_table(results):
    sizes = [key for key in results[0]["summary"] if key.startswith("blob_")]
    inits = [i for i in FLAGS.lbfgs_init if f"iterations_from_{i}" in results[0]["summary"]]
    print(f"\n{len(results[0]['photos'])} validation photos; objective at "
          f"{FLAGS.objective_size} px; L-BFGS ({FLAGS.lbfgs_method}) up to "
          f"{FLAGS.lbfgs_iterations} iterations\n")
    header = ["model", "objective", "÷ photo's", "photos not beaten"]
    header += [f"iterations from {i} (median)" for i in inits]
    header += [f"blob score {k[5:]} px (mean / max)" for k in sizes]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for r in results:
        s = r["summary"]
        cells = [r["model"], f"{s['objective']:.3f}", f"{s['vs_photo']:.3f}",
                 str(s["worse_than_photo"])]
        cells += [f"{s[f'iterations_from_{i}']:g}".replace("inf", f"> {FLAGS.lbfgs_iterations}")
                  for i in inits]
        cells += [f"{s[k][0]:.2f} / {s[k][1]:.2f}" for k in sizes]
        print("| " + " | ".join(cells) + " |")
    for r in results:
        for init, ratios in r["summary"].get("lbfgs_at_milestones", {}).items():
            for milestone, ratio in ratios.items():
                print(f"{r['model']}: L-BFGS from {init} after {milestone} iterations is at "
                      f"{ratio:.3f}× the network's objective (median over photos)")


def main(argv):
    del argv
    for init in FLAGS.lbfgs_init:
        if init not in ("noise", "content", "grey_noise"):
            raise SystemExit(f"error: --lbfgs_init: {init!r} is not noise, content or "
                             "grey_noise")
    for milestone in FLAGS.lbfgs_milestones:
        if not milestone.isdigit() or not 1 <= int(milestone) <= FLAGS.lbfgs_iterations:
            raise SystemExit(f"error: --lbfgs_milestones: {milestone!r} is not an iteration "
                             f"from 1 to --lbfgs_iterations ({FLAGS.lbfgs_iterations})")
    from kerastransfer import artifact
    for name in FLAGS.model:  # before any model's L-BFGS curves, which take minutes
        try:
            artifact.resolve(name)
        except ValueError as error:
            raise SystemExit(f"error: --model: {error}")
    results = [evaluate(name) for name in FLAGS.model]
    print_table(results)
    if FLAGS.json:
        from kerastransfer.image_io import write_json
        write_json(FLAGS.json, results)


if __name__ == "__main__":
    app.run(main)
