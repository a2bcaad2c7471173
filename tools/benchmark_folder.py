"""Images per second for a folder of photos: the read-ahead / write-behind pipeline
(`kerastransfer.inference.folders`, what `kerastransfer-stylize --input=DIR` runs) against
the same steps one after another, side by side in one run, with the network's own time
as the bound neither can beat.

    python tools/benchmark_folder.py [--model=udnie] [--photos=100] [--size=512] \
        [--rounds=2] [--json=folder.json]

The photos are the first --photos of ../shared/data/train_photos, resized so the longer
side is --size and saved as JPEG (quality 92) in a temporary folder, which is deleted.
"""
import os
import statistics
import tempfile
import time

from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")

flags.DEFINE_string("model", "udnie", "Style model name or SavedModel path.")
flags.DEFINE_string("photos_dir", os.path.join(SHARED, "train_photos"), "Source photos.")
flags.DEFINE_integer("photos", 100, "How many photos, >= 1.")
flags.DEFINE_integer("size", 512, "Longer side of each photo in pixels.")
flags.DEFINE_integer("rounds", 2, "Rounds; each runs both modes once, alternating.")
flags.DEFINE_enum("precision", "float32", ["float32", "bfloat16", "auto"], "Network arithmetic.")
flags.DEFINE_string("json", None, "Also write the results here.")
FLAGS = flags.FLAGS


def make_photos(directory):
    from PIL import Image
    from kerastransfer.training import data
    paths = data.list_images(FLAGS.photos_dir)[:FLAGS.photos]
    for i, path in enumerate(paths):
        with Image.open(path) as image:
            image = image.convert("RGB")
            image.thumbnail((FLAGS.size, FLAGS.size), Image.BICUBIC)
            image.save(os.path.join(directory, f"{i:04d}.jpg"), quality=92)
    return len(paths)


def main(argv):
    del argv
    from kerastransfer.training import data
    from kerastransfer.inference import exported_model, folders, stylize
    from kerastransfer import image_io
    model = exported_model.ExportedModel(FLAGS.model, precision=FLAGS.precision)
    network_seconds = []

    def timed_stylize(image):
        start = time.perf_counter()
        result = stylize.stylize(model, image)
        network_seconds.append(time.perf_counter() - start)
        return result

    results = {"pipelined": [], "one after another": []}
    with tempfile.TemporaryDirectory() as scratch:
        inputs = os.path.join(scratch, "in")
        os.makedirs(inputs)
        count = make_photos(inputs)
        paths = data.list_images(inputs, image_io.READ_EXTENSIONS)
        timed_stylize(image_io.read_image(paths[0]))  # trace and warm up
        for round_ in range(FLAGS.rounds):
            for mode in (("pipelined", "one after another") if round_ % 2 == 0
                         else ("one after another", "pipelined")):
                outputs = os.path.join(scratch, f"out-{round_}-{mode[0]}")
                os.makedirs(outputs)
                jobs = [folders.Job(p, os.path.join(outputs, os.path.basename(p)))
                        for p in paths]
                network_seconds.clear()
                report = folders.run_jobs(timed_stylize, jobs,
                                                  parallel=mode == "pipelined")
                if report.errors:
                    raise SystemExit(f"benchmark_folder: {report.errors[0][1]}")
                results[mode].append((report.seconds, sum(network_seconds)))
    print(f"{count} photos, longer side {FLAGS.size} px, model {FLAGS.model} "
          f"({FLAGS.precision}), median of {FLAGS.rounds} rounds\n")
    print("| mode | seconds | images/s | network seconds | network share |\n|---|---|---|---|---|")
    table = {}
    for mode, runs in results.items():
        seconds = statistics.median(s for s, _ in runs)
        network = statistics.median(n for _, n in runs)
        table[mode] = {"seconds": seconds, "images_per_second": count / seconds,
                       "network_seconds": network}
        print(f"| {mode} | {seconds:.1f} | {count / seconds:.2f} | {network:.1f} | "
              f"{network / seconds:.0%} |")
    speedup = table["one after another"]["seconds"] / table["pipelined"]["seconds"]
    print(f"\npipelined is {speedup:.2f}× as fast as one after another")
    if FLAGS.json:
        image_io.write_json(FLAGS.json, {"photos": count, "size": FLAGS.size,
                                         "model": FLAGS.model, "precision": FLAGS.precision,
                                         "rounds": FLAGS.rounds, "results": table,
                                         "speedup": speedup})


if __name__ == "__main__":
    app.run(main)
