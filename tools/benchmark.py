"""The shipped style model against the PyTorch reference on this CPU, side by side in
one run: seconds per image through the exported SavedModel (the path users take),
images/s, convolution GFLOP/s and their share of this machine's measured matmul peak, in
float32 and through the bfloat16 signature (with its largest difference from float32);
the same sizes through ../shared/bench/peer_torch_transformer.py (the same architecture
in PyTorch, at the model's width) and the ratio; and one training step (batch 4, 256 px,
the same loss layers) against the reference's training-step mode.

    python tools/benchmark.py [--model=udnie] [--sizes=256,512,1024] [--repeats=5] \
        [--train_steps=3] [--json=benchmark.json]

Needs `pip install torch==2.13.0` for the reference (the CPU wheel on this machine).
Medians of --repeats runs after a warm-up; ratios are TF / PyTorch (below 1: TF faster).
"""
import os
import platform
import re
import subprocess
import sys

from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER = os.path.join(os.path.dirname(REPO), "shared", "bench", "peer_torch_transformer.py")

flags.DEFINE_string("model", "udnie", "Shipped style model name or SavedModel path.")
flags.DEFINE_list("sizes", ["256", "512", "1024"], "Square image sizes in pixels.")
flags.DEFINE_list("precisions", ["float32", "bfloat16"],
                  "SavedModel signatures to time: float32 (serving_default) and bfloat16 "
                  "(serving_bfloat16, same weights, bfloat16 arithmetic).")
flags.DEFINE_integer("repeats", 5, "Timed runs per measurement (median).")
flags.DEFINE_integer("train_steps", 3, "Timed training steps per side (0 = skip training).")
flags.DEFINE_list("train_precisions", ["float32", "mixed_bfloat16"],
                  "Keras precisions for our training step.")
flags.DEFINE_integer("threads", 2, "Threads for the PyTorch reference.")
flags.DEFINE_string("peer", PEER, "The PyTorch reference script.")
flags.DEFINE_string("json", None, "Also write the results here.")
FLAGS = flags.FLAGS


def run_peer(*args):
    """Runs the PyTorch reference; returns its stdout lines (one-line error if it fails)."""
    command = [sys.executable, FLAGS.peer, "--threads", str(FLAGS.threads),
               "--repeats", str(FLAGS.repeats), *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"error: PyTorch reference failed: {last}")
    return result.stdout.splitlines()


def inference_rows(models, network, peaks):
    """One row per size and precision; bfloat16 rows also give the largest difference
    from the float32 output in 0-255 levels."""
    import numpy as np
    import benchmarking
    width = models["float32"].record.network_config.get("width", 1.0)
    sizes = [int(s) for s in FLAGS.sizes]
    peer = {int(size): float(seconds) for size, seconds in
            (line.split() for line in run_peer("--width", width, "--sizes", *sizes)
             if re.match(r"^\d+ ", line))}
    rows = []
    for size in sizes:
        image = np.random.RandomState(0).randint(0, 256, (1, size, size, 3), np.uint8)
        gflops = benchmarking.conv_flops(network, size, size) / 1e9
        reference = np.asarray(models["float32"](image), np.int16)
        for precision, model in models.items():
            seconds = benchmarking.median_seconds(lambda: model(image), FLAGS.repeats)
            difference = np.abs(np.asarray(model(image), np.int16) - reference)
            rows.append({"size": size, "precision": precision, "seconds": seconds,
                         "images_per_second": 1 / seconds, "conv_gflop": gflops,
                         "gflops_per_second": gflops / seconds,
                         "share_of_peak": gflops / seconds / peaks[precision],
                         "max_levels_from_float32": int(difference.max()),
                         "mean_levels_from_float32": float(difference.mean()),
                         "pytorch_seconds": peer[size], "ratio_to_pytorch": seconds / peer[size]})
    return rows


def train_rows(width):
    import benchmarking
    line = run_peer("--train", "--width", width, "--batch", 4, "--size", 256)[-1]
    peer = float(line.split()[-1])
    return [{"precision": p, "seconds": (s := benchmarking.train_step_seconds(
                width, p, steps=FLAGS.train_steps)), "pytorch_seconds": peer,
             "ratio_to_pytorch": s / peer} for p in FLAGS.train_precisions]


def main(argv):
    del argv
    import tensorflow as tf
    import benchmarking
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.models.transformer_net import TransformerNet

    if not os.path.isfile(FLAGS.peer):
        raise SystemExit(f"error: {FLAGS.peer}: no such file")
    unknown = set(FLAGS.precisions) - {"float32", "bfloat16"}
    if unknown or "float32" not in FLAGS.precisions:
        raise SystemExit("error: --precisions must include float32, from float32,bfloat16")
    models = {p: ExportedModel(FLAGS.model, precision=p) for p in FLAGS.precisions}
    model = models["float32"]
    network = TransformerNet(**model.record.network_config)  # same shapes, for counting FLOPs
    peaks = {"float32": benchmarking.matmul_peak_gflops(tf.float32),
             "bfloat16": benchmarking.matmul_peak_gflops(tf.bfloat16)}
    rows = inference_rows(models, network, peaks)
    width = model.record.network_config.get("width", 1.0)
    train = train_rows(width) if FLAGS.train_steps else []

    print(f"\n{platform.machine()}, {os.cpu_count()} cores; matmul peak {peaks['float32']:.0f} "
          f"GFLOP/s float32, {peaks['bfloat16']:.0f} bfloat16; model {model.name} "
          f"(width {width}), median of {FLAGS.repeats}\n")
    print("| size | precision | TF s/image | images/s | conv GFLOP | GFLOP/s | share of that "
          "precision's peak | max / mean levels from float32 | PyTorch s/image (float32) "
          "| TF / PyTorch |\n|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {r['precision']} | {r['seconds']:.3f} | "
              f"{r['images_per_second']:.2f} | {r['conv_gflop']:.1f} | "
              f"{r['gflops_per_second']:.0f} | {r['share_of_peak']:.2f} | "
              f"{r['max_levels_from_float32']} / {r['mean_levels_from_float32']:.2f} | "
              f"{r['pytorch_seconds']:.3f} | {r['ratio_to_pytorch']:.2f} |")
    if train:
        print(f"\ntraining step, batch 4 × 256², width {width}\n")
        print("| precision | TF s/step | PyTorch s/step (float32) | TF / PyTorch |\n|---|---|---|---|")
        for r in train:
            print(f"| {r['precision']} | {r['seconds']:.2f} | {r['pytorch_seconds']:.2f} | "
                  f"{r['ratio_to_pytorch']:.2f} |")
    if FLAGS.json:
        from kerastransfer.image_io import write_json
        write_json(FLAGS.json, {"peaks_gflops": peaks, "inference": rows, "train": train})


if __name__ == "__main__":
    app.run(main)
