"""The paper's Table 1 on this machine: seconds for Gatys et al. optimisation (100 / 300 /
500 L-BFGS iterations) and for the feed-forward network, per image size, with speed-ups.

    python tools/benchmark_table1.py --model=udnie [--sizes=256,512,1024] \
        [--iterations=100,300,500] [--measure_iterations=20] [--repeats=5] [--json=out.json]

The network is timed through the exported SavedModel (median of --repeats after a
warm-up), once per --network_precisions: float32 (`serving_default`) and bfloat16
(`serving_bfloat16`, native on CPUs with AVX512-BF16/AMX); optimisation runs in float32. Optimisation is timed for --measure_iterations L-BFGS iterations per size;
longer runs are extrapolated from that iterations-per-second rate and marked "(extrap.)"
in the table, since 500 iterations at 1024 px take hours on 2 cores. Set
--measure_iterations to the largest --iterations value to measure everything.
"""
import os
import time

from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")
PAPER = {"network": {256: 0.015, 512: 0.05, 1024: 0.21},
         "gatys": {(100, 256): 3.17, (300, 256): 9.52, (500, 256): 15.86,
                   (100, 512): 10.97, (300, 512): 32.91, (500, 512): 54.85,
                   (100, 1024): 42.89, (300, 1024): 128.66, (500, 1024): 214.44}}

flags.DEFINE_string("model", "udnie", "Style model name or SavedModel path.")
flags.DEFINE_list("sizes", ["256", "512", "1024"], "Square image sizes in pixels.")
flags.DEFINE_list("iterations", ["100", "300", "500"], "Gatys iteration counts to report.")
flags.DEFINE_integer("measure_iterations", 20, "L-BFGS iterations actually run per size.")
flags.DEFINE_integer("repeats", 5, "Network timing repeats (median).")
flags.DEFINE_list("network_precisions", ["float32", "bfloat16"],
                  "SavedModel signatures to time the network with.")
flags.DEFINE_string("photo", os.path.join(SHARED, "content", "chicago.jpg"), "Content photo.")
flags.DEFINE_string("styles_dir", os.path.join(SHARED, "styles"), "Style images folder.")
flags.DEFINE_string("json", None, "Also write the results here.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import tensorflow as tf
    import benchmarking
    from kerastransfer.training import data
    from kerastransfer.perceptual import gatys
    from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
    from kerastransfer.inference.exported_model import ExportedModel

    models = {p: ExportedModel(FLAGS.model, precision=p) for p in FLAGS.network_precisions}
    record = next(iter(models.values())).record
    style = data.load_style_image(os.path.join(FLAGS.styles_dir, record.style_image),
                                  record.style_size)
    objective = PerceptualObjective.build(LossWeights.from_json(record.loss), style)
    photo = data.decode_rgb(tf.io.read_file(FLAGS.photo))
    rows = []
    for size in (int(s) for s in FLAGS.sizes):
        content = tf.round(data.resize_and_crop(photo, size, random=False))[tf.newaxis]
        batch = tf.cast(content, tf.uint8).numpy()
        network = {p: benchmarking.median_seconds(lambda: m(batch), FLAGS.repeats)
                   for p, m in models.items()}
        gatys.optimize_image(objective, content, 1)  # trace once, outside the timing
        start = time.perf_counter()
        _, history = gatys.optimize_image(objective, content, FLAGS.measure_iterations)
        seconds_per_iteration = (time.perf_counter() - start) / max(1, len(history))
        for n in (int(i) for i in FLAGS.iterations):
            gatys_seconds = seconds_per_iteration * n
            rows.append({"size": size, "iterations": n, "gatys_seconds": gatys_seconds,
                         "gatys_measured": n <= len(history), "network_seconds": network,
                         "speedup": {p: gatys_seconds / t for p, t in network.items()},
                         "paper_gatys": PAPER["gatys"].get((n, size)),
                         "paper_network": PAPER["network"].get(size)})
        times = ", ".join(f"{p} {t:.3f} s" for p, t in network.items())
        print(f"{size}px: network {times}; L-BFGS {seconds_per_iteration:.3f} s/iter "
              f"({len(history)} iterations run)", flush=True)
    precisions = list(models)
    print("\n| size | Gatys iterations | Gatys s | " + " | ".join(
        f"network s ({p}) | speed-up ({p})" for p in precisions)
        + " | paper Gatys s | paper network s | paper speed-up |\n|"
        + "---|" * (6 + 2 * len(precisions)))
    for r in rows:
        paper = (f"{r['paper_gatys']:.2f} | {r['paper_network']:.3f} | "
                 f"{r['paper_gatys'] / r['paper_network']:.0f}×" if r["paper_gatys"] else "- | - | -")
        mark = "" if r["gatys_measured"] else " (extrap.)"
        ours = " | ".join(f"{r['network_seconds'][p]:.3f} | {r['speedup'][p]:.0f}×"
                          for p in precisions)
        print(f"| {r['size']} | {r['iterations']} | {r['gatys_seconds']:.1f}{mark} | {ours} "
              f"| {paper} |")
    if FLAGS.json:
        from kerastransfer.image_io import write_json
        write_json(FLAGS.json, rows)


if __name__ == "__main__":
    app.run(main)
