"""How tiling does: peak memory of a huge image through the command line, and how far
the tiled result is from the untiled one where both fit.

    python tools/measure_tiling.py [--style_model=udnie] [--sr_model=sr_x4] \
        [--huge=4096] [--compare=1024] [--margins=0,16,32,48,64] [--json=tiling.json]

For each model, in a fresh process each (peak RSS from os.wait4, i.e. the command's
own maximum resident set):
  - the CLI on a --huge² output (a photo resized up; for SR the input is huge/scale),
    tiled (the default above the threshold), and untiled where --untiled_huge says so;
  - the CLI on a --compare² output tiled (--tile_above_pixels=0) and untiled
    (--tile_size=0): mean and max absolute difference in 0-255 levels;
  - in-process, that difference against the margin of context around each tile
    (tiles of --sweep_tile_size).
With no --sr_model (or one that does not exist), a freshly built random ×4 SR network
is exported to a temporary folder and measured instead.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")

flags.DEFINE_list("kinds", ["style", "super_resolution"], "Which to measure.")
flags.DEFINE_string("style_model", "udnie", "Style model name or SavedModel path.")
flags.DEFINE_string("sr_model", "sr_x4", "SR model name or path; a random ×4 network if "
                    "it does not exist; empty to skip SR.")
flags.DEFINE_string("photo", os.path.join(SHARED, "content", "stata.jpg"), "Source photo.")
flags.DEFINE_integer("huge", 4096, "Output side of the memory measurement, pixels.")
flags.DEFINE_integer("compare", 1024, "Output side of the tiled-vs-untiled comparison.")
flags.DEFINE_list("margins", ["0", "16", "32", "48", "64"],
                  "Style margins (input px) for the margin sweep; SR uses a quarter.")
flags.DEFINE_integer("sweep_tile_size", 256, "Tile size (output px) of the margin sweep: "
                     "smaller than the default 512, so a 1024² image has more seams.")
flags.DEFINE_bool("untiled_huge", False, "Also run the huge image untiled (needs far "
                  "more memory than 2 GiB).")
flags.DEFINE_string("json", None, "Also write the results here.")
FLAGS = flags.FLAGS


def run_measured(args):
    """Runs a command; returns (exit status, peak RSS in MiB, seconds, stderr tail)."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return (process.returncode, usage.ru_maxrss / 1024, time.perf_counter() - start,
            stderr.strip()[-300:])


def photo_of(size, path, out):
    from PIL import Image
    with Image.open(path) as image:
        image.convert("RGB").resize((size, size), Image.BICUBIC).save(out)
    return out


def random_sr_model(directory):
    """A freshly built ×4 SR network (random weights) exported like a trained one."""
    import keras
    import numpy as np
    from kerastransfer.artifact import ModelRecord
    from kerastransfer.export import saved_model
    from kerastransfer.models.sr_net import SuperResolutionNet
    keras.utils.set_random_seed(0)
    network = SuperResolutionNet(scale=4, name="transformer")
    network(np.zeros((1, 32, 32, 3), np.float32))
    record = ModelRecord(task="super_resolution", name="sr_x4_random", scale=4,
                         network=keras.saving.serialize_keras_object(network))
    return saved_model.export_saved_model(network, os.path.join(directory, "sr_random", "1"),
                                          record)


def cli(command, model, source, output, *flags_):
    return [sys.executable, "-m", f"kerastransfer.cli.{command}", f"--model={model}",
            f"--input={source}", f"--output={output}", "--overwrite", *flags_]


def difference(a_path, b_path):
    import numpy as np
    from kerastransfer.image_io import read_image
    a, b = read_image(a_path).astype(int), read_image(b_path).astype(int)
    return float(np.abs(a - b).mean()), int(np.abs(a - b).max())


def margin_sweep(model_path, source, margins):
    """[(margin, MAD, max)]: TiledNetwork at each margin against one untiled pass."""
    import numpy as np
    from kerastransfer.image_io import read_image
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.inference.tiling import TiledNetwork
    model = ExportedModel(model_path)
    image = read_image(source)
    untiled = model(image[np.newaxis])[0].astype(int)
    rows = []
    for margin in margins:
        tiled = TiledNetwork(model.keras_network(), tile_size=FLAGS.sweep_tile_size,
                             margin=margin)(image).astype(int)
        rows.append((margin, float(np.abs(tiled - untiled).mean()),
                     int(np.abs(tiled - untiled).max())))
    return rows


def measure(kind, model, scale, work):
    command = "stylize" if kind == "style" else "upscale"
    from kerastransfer import artifact
    result = {"kind": kind, "model": artifact.read_record(artifact.resolve(model)).name}
    huge_in = photo_of(FLAGS.huge // scale, FLAGS.photo, os.path.join(work, f"{kind}_huge.png"))
    status, rss, seconds, err = run_measured(cli(command, model, huge_in,
                                                 os.path.join(work, f"{kind}_huge_out.png")))
    result["huge"] = {"output": FLAGS.huge, "status": status, "peak_rss_mib": round(rss),
                      "seconds": round(seconds, 1), "stderr": err}
    if FLAGS.untiled_huge:
        status, rss, seconds, err = run_measured(cli(
            command, model, huge_in, os.path.join(work, f"{kind}_huge_untiled.png"),
            "--tile_size=0"))
        result["huge_untiled"] = {"status": status, "peak_rss_mib": round(rss),
                                  "seconds": round(seconds, 1), "stderr": err}
    small_in = photo_of(FLAGS.compare // scale, FLAGS.photo,
                        os.path.join(work, f"{kind}_compare.png"))
    runs = {}
    for name, extra in (("untiled", "--tile_size=0"), ("tiled", "--tile_above_pixels=0")):
        out = os.path.join(work, f"{kind}_compare_{name}.png")
        status, rss, seconds, err = run_measured(cli(command, model, small_in, out, extra))
        runs[name] = {"status": status, "peak_rss_mib": round(rss),
                      "seconds": round(seconds, 1), "stderr": err}
    mad, worst = difference(os.path.join(work, f"{kind}_compare_untiled.png"),
                            os.path.join(work, f"{kind}_compare_tiled.png"))
    result["compare"] = {"output": FLAGS.compare, **runs, "mad": mad, "max": worst}
    margins = [int(m) // (4 if scale > 1 else 1) for m in FLAGS.margins]
    result["margins"] = [{"margin": m, "mad": d, "max": x}
                         for m, d, x in margin_sweep(model, small_in, margins)]
    return result


def print_tables(results):
    print(f"| model | {FLAGS.huge}² output: peak RSS (MiB) | s | exit | "
          f"{FLAGS.compare}² tiled vs untiled: MAD / max (levels) | untiled / tiled s |")
    print("|---|---:|---:|---|---|---|")
    for r in results:
        h, c = r["huge"], r["compare"]
        print(f"| {r['model']} | {h['peak_rss_mib']} | {h['seconds']} | {h['status']} | "
              f"{c['mad']:.4f} / {c['max']} | {c['untiled']['seconds']} / "
              f"{c['tiled']['seconds']} |")
    print("\n| model | margin (input px) | MAD (levels) | max |\n|---|---:|---:|---:|")
    for r in results:
        for m in r["margins"]:
            print(f"| {r['model']} | {m['margin']} | {m['mad']:.4f} | {m['max']} |")


def main(argv):
    del argv
    from kerastransfer import artifact
    results = []
    with tempfile.TemporaryDirectory() as work:
        if "style" in FLAGS.kinds:
            results.append(measure("style", FLAGS.style_model, 1, work))
        if FLAGS.sr_model and "super_resolution" in FLAGS.kinds:
            try:
                sr_path = artifact.resolve(FLAGS.sr_model)
            except ValueError:
                sr_path = random_sr_model(work)
            scale = artifact.read_record(sr_path).scale
            results.append(measure("super_resolution", sr_path, scale, work))
    print_tables(results)
    if FLAGS.json:
        with open(FLAGS.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    app.run(main)
