"""Times the page's wasm backend in headless Chromium against TensorFlow on the same
machine, at the same sizes, in one run.

    python tools/benchmark_web.py [--model=udnie] [--sizes=256,512] [--runs=7] \
        [--json=test-artifacts/benchmark_web.json]

Each size is chicago.jpg resized in Python to that longer side, so both sides stylise the
same pixels. Browser: the page served by web/scripts/serve.mjs (cross-origin isolated,
so the wasm backend may use threads) and, for comparison, by a plain static server
(one thread); the photo is uploaded `--runs` times and the page's own per-frame time
(decoded photo → result drawn) is read; the first run (warm-up) is dropped. TensorFlow:
`kerastransfer.inference.stylize.stylize` with the SavedModel, timed the same way. Medians are
printed as a Markdown table with the wasm / TF ratio (goal ≤ 3×) and written as JSON.
Needs `npm --prefix web ci` and Chromium.
"""
import contextlib
import functools
import http.server
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from kerastransfer.cli import common  # noqa: E402  (sets TF_CPP_MIN_LOG_LEVEL first)

from absl import flags  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")

flags.DEFINE_string("model", "udnie", "Shipped style model (listed in web/models/models.json).")
flags.DEFINE_list("sizes", ["256", "512"], "Longer sides in pixels; each must be one of the "
                  "page's max-size choices (256, 384, 512, 768, 1024, 1536, 2048).")
flags.DEFINE_integer("runs", 7, "Runs per size and side, 2..50; the first is a warm-up.")
flags.DEFINE_string("photo", os.path.join(SHARED, "content", "chicago.jpg"), "Photo to stylise.")
flags.DEFINE_string("json", os.path.join(REPO, "test-artifacts", "benchmark_web.json"),
                    "Where to write the results.")
FLAGS = flags.FLAGS
PAGE_SIZES = {256, 384, 512, 768, 1024, 1536, 2048}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def plain_server(site_dir):
    """A static server without cross-origin isolation headers: wasm runs on one thread."""
    handler = functools.partial(QuietHandler, directory=site_dir)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def time_tensorflow(model, photo, runs):
    from kerastransfer.inference import stylize
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        stylize.stylize(model, photo)
        seconds.append(time.perf_counter() - start)
    return seconds[1:]


def time_browser(url, photo_path, size, runs, work_dir):
    import web_page
    report = web_page.drive(f"{url}?backend=wasm&model={FLAGS.model}", work_dir,
                            f"--image={photo_path}", f"--max-size={size}", f"--repeat={runs}")
    if report.get("error") or report.get("backend") != "wasm":
        raise common.UsageError(f"browser run failed: {report.get('error') or report}")
    return [ms / 1000 for ms in report["ms"][1:]]


@common.main_wrapper
def main(argv):
    common.check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    common.check(2 <= FLAGS.runs <= 50, f"--runs must be in 2..50, got {FLAGS.runs}")
    sizes = []
    for size in FLAGS.sizes:
        common.check(size.isdigit() and int(size) in PAGE_SIZES,
                     f"--sizes: {size} is not one of {sorted(PAGE_SIZES)}")
        sizes.append(int(size))
    import web_page
    from kerastransfer import image_io
    from kerastransfer.inference import exported_model, stylize
    from kerastransfer.export import tfjs
    missing = web_page.missing_piece()
    common.check(missing is None, f"cannot drive the page: {missing}")
    common.check(FLAGS.model in {m["name"] for m in tfjs.read_index(web_page.WEB)["models"]},
                 f"--model={FLAGS.model} is not in web/models/models.json")
    model = exported_model.ExportedModel(FLAGS.model)
    photo = image_io.read_image(FLAGS.photo)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        site = os.path.join(work, "site")
        web_page.build(site)
        with web_page.serve(site) as threaded_url, plain_server(site) as plain_url:
            for size in sizes:
                resized = stylize.limit_size(photo, size)
                path = os.path.join(work, f"photo_{size}.png")
                image_io.write_image(path, resized)
                tf_s = median(time_tensorflow(model, resized, FLAGS.runs))
                wasm_s = median(time_browser(threaded_url, path, size, FLAGS.runs, work))
                one_s = median(time_browser(plain_url, path, size, FLAGS.runs, work))
                rows.append({"size": f"{resized.shape[1]}x{resized.shape[0]}",
                             "wasm_s": round(wasm_s, 4), "wasm_one_thread_s": round(one_s, 4),
                             "tensorflow_s": round(tf_s, 4), "ratio": round(wasm_s / tf_s, 2)})
    result = {"model": FLAGS.model, "runs": FLAGS.runs, "rows": rows,
              "cpus": os.cpu_count(), "load_average_before": load_before,
              "load_average_after": os.getloadavg()}
    print("| size | wasm s (threads) | wasm s (1 thread) | TensorFlow s | wasm / TF |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['size']} | {row['wasm_s']:.3f} | {row['wasm_one_thread_s']:.3f} | "
              f"{row['tensorflow_s']:.3f} | {row['ratio']:.2f}× |")
    print(f"medians of {FLAGS.runs - 1} runs after a warm-up; {os.cpu_count()} CPUs, load "
          f"average {load_before[0]:.1f} before, {result['load_average_after'][0]:.1f} after")
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.json)), exist_ok=True)
    image_io.write_json(FLAGS.json, result)
    print(f"wrote {FLAGS.json}")


if __name__ == "__main__":
    common.run_app(main)
