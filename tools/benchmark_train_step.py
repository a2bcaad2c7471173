"""Seconds per training step of the style network, per configuration, side by side.

    python tools/benchmark_train_step.py [--widths 1.0,0.5] [--precisions float32,mixed_bfloat16]
        [--jit false,true] [--steps 6] [--image_size 256] [--batch_size 4]

Each configuration runs `--steps` steps after two warm-up steps (tracing, XLA compile) on
random content images with the converted VGG-16 (weights do not change the cost); prints
the median seconds per step as a Markdown table and writes JSON with --json.
"""
import itertools

from absl import app, flags

flags.DEFINE_list("widths", ["1.0", "0.5"], "Width multipliers of the transformer.")
flags.DEFINE_list("precisions", ["float32", "mixed_bfloat16"], "Keras dtype policies.")
flags.DEFINE_list("jit", ["false", "true"], "XLA jit_compile settings to try.")
flags.DEFINE_integer("steps", 6, "Timed steps per configuration (after 2 warm-up steps).")
flags.DEFINE_integer("image_size", 256, "Training crop size in pixels.")
flags.DEFINE_integer("batch_size", 4, "Images per step.")
flags.DEFINE_string("vgg_weights", "random", "VGG-16 weights: random costs the same.")
flags.DEFINE_string("json", None, "Also write the results to this JSON file.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import benchmarking
    rows = []
    for width, precision, jit in itertools.product(FLAGS.widths, FLAGS.precisions, FLAGS.jit):
        seconds = benchmarking.train_step_seconds(
            float(width), precision, jit.lower() == "true", FLAGS.steps, FLAGS.image_size,
            FLAGS.batch_size, FLAGS.vgg_weights)
        rows.append({"width": float(width), "precision": precision, "jit_compile": jit,
                     "seconds_per_step": round(seconds, 3)})
        print(f"| {width} | {precision} | {jit} | {seconds:.3f} |", flush=True)
    base = rows[0]["seconds_per_step"]
    print(f"\nbatch {FLAGS.batch_size} × {FLAGS.image_size} px, median of {FLAGS.steps} steps\n")
    print("| width | precision | XLA | s/step | vs first |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['width']} | {r['precision']} | {r['jit_compile']} | "
              f"{r['seconds_per_step']:.3f} | {r['seconds_per_step'] / base:.2f}× |")
    if FLAGS.json:
        from kerastransfer.image_io import write_json
        write_json(FLAGS.json, rows)


if __name__ == "__main__":
    app.run(main)
