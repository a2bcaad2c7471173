"""Builds, serves and drives the page in web/ from Python, for its test and benchmark.

The work is done by the page's own scripts (web/scripts/build.mjs, serve.mjs, drive.mjs)
so what is tested and timed is what a user runs; this module only starts them. Needs a
source checkout with `npm --prefix web ci` done, node, and Chromium.
"""
import contextlib
import json
import os
import shutil
import subprocess

WEB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def chromium_path():
    return os.environ.get("KERASTRANSFER_CHROMIUM", DEFAULT_CHROMIUM)


def missing_piece():
    """Why the page cannot be driven here (a one-line reason), or None."""
    if not os.access(chromium_path(), os.X_OK):
        return f"{chromium_path()} not found (apt-get install chromium)"
    if not shutil.which("node"):
        return "node not found"
    for package in ("playwright-core", "@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm"):
        if not os.path.isdir(os.path.join(WEB, "node_modules", package)):
            return f"web/node_modules/{package} missing (npm --prefix web ci)"
    return None


def build(out_dir):
    """Builds the page from web/src and web/models into out_dir."""
    subprocess.run(["node", os.path.join(WEB, "scripts", "build.mjs"), f"--out={out_dir}"],
                   check=True, capture_output=True, timeout=300)


@contextlib.contextmanager
def serve(site_dir):
    """Serves site_dir on 127.0.0.1 with serve.mjs (free port); yields the page's URL."""
    server = subprocess.Popen(["node", os.path.join(WEB, "scripts", "serve.mjs"), "--port=0",
                               f"--dir={site_dir}"], stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()  # "serving DIR at http://127.0.0.1:PORT/"
        if "http://127.0.0.1:" not in line:
            raise RuntimeError(f"serve.mjs did not start: {line!r}")
        yield line.split()[-1]
    finally:
        server.terminate()
        server.wait(timeout=10)


def drive(url, out_dir, *options, timeout=600):
    """Runs drive.mjs (see its header for the options); returns its JSON report, which has
    an "error" entry if the page or the browser failed."""
    result = subprocess.run(["node", os.path.join(WEB, "scripts", "drive.mjs"), f"--url={url}",
                             f"--out={out_dir}", f"--chromium={chromium_path()}", *options],
                            capture_output=True, text=True, timeout=timeout)
    lines = result.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines else {}
    if result.returncode != 0 and not report.get("error"):
        report["error"] = (result.stderr.strip().splitlines() or ["drive.mjs failed"])[-1]
    return report
