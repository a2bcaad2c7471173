"""The TF.js page (web/) and its models.

The browser tests build the page, serve it with `web/scripts/serve.mjs` on loopback and
drive headless Chromium with Playwright (`web/scripts/drive.mjs`) the way a person would:
upload a photo, move the controls, download the result. They need /usr/bin/chromium (or
$KERASTRANSFER_CHROMIUM), node and `npm --prefix web ci`; without them they are skipped,
unless KERASTRANSFER_REQUIRE_BROWSER=1 (CI sets it), where a missing piece fails.
Screenshots and downloads are kept in test-artifacts/web/.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, random_image, tone_matched_distance

sys.path.insert(0, os.path.join(REPO, "tools"))
import web_page  # noqa: E402  (tools/web_page.py, shared with tools/benchmark_web.py)

pytestmark = pytest.mark.slow  # command lines, servers, training runs

WEB = web_page.WEB
ARTIFACTS = os.path.join(REPO, "test-artifacts", "web")
REQUIRE_BROWSER = os.environ.get("KERASTRANSFER_REQUIRE_BROWSER") == "1"
SAMPLE = os.path.join(REPO, "examples", "chelsea.jpg")  # the photo the page opens with
PHOTO = os.path.join(REPO, "examples", "coffee.jpg")  # another photo, to upload


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    """The page, freshly built from web/src and web/models, served on 127.0.0.1."""
    missing = web_page.missing_piece()
    if missing and REQUIRE_BROWSER:
        pytest.fail(f"browser test required (KERASTRANSFER_REQUIRE_BROWSER=1) but {missing}")
    if missing:
        pytest.skip(missing)
    site = tmp_path_factory.mktemp("web") / "dist"
    web_page.build(site)
    with web_page.serve(site) as url:
        yield url


def drive(url, out_dir, *options):
    """The driver's report, which must show no error."""
    report = web_page.drive(url, out_dir, *options)
    assert not report.get("error"), report
    return report


def assert_close(actual, expected, mean_levels=1.5, max_levels=8):
    assert actual.shape == expected.shape
    diff = np.abs(actual.astype(np.int16) - expected.astype(np.int16))
    assert diff.mean() <= mean_levels and diff.max() <= max_levels, (diff.mean(), diff.max())


def assert_clean(report):
    """No console error (a CSP violation would be one) and nothing fetched from elsewhere."""
    assert report["console_errors"] == []
    assert report["remote_requests"] == []


def test_page_stylises_like_the_saved_model(page_url, tmp_path):
    from kerastransfer import image_io
    # Resized once here, so the browser (max size 512, no resize) and TF see the same pixels.
    from kerastransfer.inference import exported_model, stylize
    photo = stylize.limit_size(image_io.read_image(PHOTO), 512)
    photo_path = tmp_path / "coffee_512.png"
    image_io.write_image(str(photo_path), photo)
    out = os.path.join(ARTIFACTS, "photo")
    shutil.rmtree(out, ignore_errors=True)
    report = drive(f"{page_url}?backend=wasm&model=udnie", out, f"--image={photo_path}",
                   "--max-size=512", "--strength=60", "--keep-colors")
    assert report["backend"] == "wasm"
    assert_clean(report)
    assert report["download_name"] == "coffee_512-udnie.png"
    model = exported_model.ExportedModel("udnie")
    assert_close(image_io.read_image(os.path.join(out, "result.png")), model(photo[None])[0])
    assert_close(image_io.read_image(os.path.join(out, "adjusted.png")),
                 stylize.stylize(model, photo, strength=0.6, keep_colors=True))
    assert os.path.getsize(os.path.join(out, "screenshot.png")) > 10_000


def test_first_screen_is_the_sample_stylised_with_style_thumbnails(page_url):
    """Without any upload the page shows the sample photo stylised by the first style,
    and a thumbnail of every style's painting; clicking one re-stylises the sample."""
    from kerastransfer import image_io
    from kerastransfer.inference import exported_model
    from kerastransfer.export import tfjs
    names = [entry["name"] for entry in tfjs.read_index(WEB)["models"]]
    out = os.path.join(ARTIFACTS, "first-screen")
    shutil.rmtree(out, ignore_errors=True)
    report = drive(f"{page_url}?backend=wasm", out, "--first-screen", "--click-style=wave")
    assert_clean(report)
    first = report["first_screen"]
    assert first["thumbnails"] == len(names)
    assert first["model"] == names[0] and first["pressed"] == [names[0]]
    assert "sample photo" in first["status"]
    sample = image_io.read_image(SAMPLE)
    assert first["result"] == [sample.shape[1], sample.shape[0]]
    shown = image_io.read_image(os.path.join(out, "first.png"))
    assert_close(shown, exported_model.ExportedModel(names[0])(sample[None])[0])
    assert tone_matched_distance(shown, sample) > 9  # stylised, not the photo recoloured
    clicked = image_io.read_image(os.path.join(out, "clicked.png"))
    assert report["selected"] == "wave" and report["caption"].startswith("Wave")
    assert_close(clicked, exported_model.ExportedModel("wave")(sample[None])[0])
    assert os.path.getsize(os.path.join(out, "first-screen.png")) > 10_000


def test_page_caps_large_photos_at_max_size(page_url, tmp_path):
    from kerastransfer import image_io
    big = tmp_path / "big.png"
    image_io.write_image(str(big), random_image(900, 1200, seed=3))
    report = drive(page_url, os.path.join(ARTIFACTS, "large"), f"--image={big}", "--max-size=256")
    assert_clean(report)
    assert report["backend"] == "wasm", "auto: no hardware WebGL here, so wasm"
    assert image_io.read_image(os.path.join(ARTIFACTS, "large", "result.png")).shape == (192, 256, 3)


def test_live_mode_stylises_webcam_frames(page_url):
    report = drive(f"{page_url}?backend=wasm", os.path.join(ARTIFACTS, "webcam"),
                   "--webcam=2", "--max-size=256")
    assert_clean(report)
    assert len(report["ms"]) == 2 and all(ms > 0 for ms in report["ms"])
    assert "webcam stopped" in report["status"]


# Without a browser: the committed models and the converter tool.

def test_index_lists_every_shipped_style_model():
    from kerastransfer import artifact
    from kerastransfer.export import tfjs
    index = tfjs.read_index(WEB)
    shipped = {name: path for name, path, _ in tfjs.style_models()}
    listed = {entry["name"]: entry for entry in index["models"]}
    assert set(listed) == set(shipped), "web/models is stale: run python tools/export_tfjs.py"
    for name, entry in listed.items():
        source = os.path.relpath(shipped[name], os.path.dirname(artifact.models_root()))
        assert entry["saved_model"] == source, f"{name}: converted from an older version"
        model_dir = os.path.join(WEB, "models", name)
        assert os.path.join(name, "model.json") == entry["path"]
        assert tfjs.folder_size(model_dir) == entry["bytes"]


def committed_web_models():
    with open(os.path.join(WEB, "models", "models.json")) as f:
        return [entry["name"] for entry in json.load(f)["models"]]


@pytest.mark.parametrize("name", committed_web_models())
def test_committed_graph_model_runs_like_the_saved_model(name):
    """The converted graph with its float16 weights, run by TensorFlow: what the browser
    computes, up to the backend's arithmetic."""
    from kerastransfer import image_io
    from kerastransfer.inference import exported_model, stylize
    from kerastransfer.export import tfjs
    photo = stylize.limit_size(image_io.read_image(PHOTO), 128)
    model_dir = os.path.join(WEB, "models", name)
    with open(os.path.join(model_dir, "model.json")) as f:
        ops = {node["op"] for node in json.load(f)["modelTopology"]["node"]}
    assert "Tile" not in ops, "nearest upsampling not rewritten (slow on wasm)"
    converted = tfjs.graph_model_function(model_dir)
    assert_close(converted(photo[None])[0], exported_model.ExportedModel(name)(photo[None])[0],
                 mean_levels=0.1, max_levels=2)


def test_display_title():
    from kerastransfer.export.tfjs import display_title
    assert display_title("the_shipwreck_of_the_minotaur") == "The Shipwreck of the Minotaur"
    assert display_title("composition_vii") == "Composition VII"
    assert display_title("udnie") == "Udnie"


def run_export_tool(*args, env=None, hide_converter=False):
    """tools/export_tfjs.py in a subprocess, optionally as if tensorflowjs were not installed."""
    hide = "import sys; sys.modules['tensorflowjs'] = None; " if hide_converter else ""
    code = (f"{hide}import runpy, sys; sys.argv = ['export_tfjs.py'] + sys.argv[1:]; "
            f"runpy.run_path({os.path.join(REPO, 'tools', 'export_tfjs.py')!r}, run_name='__main__')")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def test_export_tool_without_converter_says_how_to_install(tmp_path):
    result = run_export_tool(f"--web_dir={tmp_path / 'web'}", hide_converter=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "requirements-tfjs.txt" in lines[0], result.stderr
    assert not (tmp_path / "web").exists()


def _has_converter():
    """Looked up, not imported: importing it registers stand-in modules in this process."""
    return importlib.util.find_spec("tensorflowjs") is not None


@pytest.mark.skipif(not _has_converter(), reason="tensorflowjs not installed "
                    "(pip install --no-deps --require-hashes -r tools/requirements-tfjs.txt)")
def test_export_tool_converts_every_style_model(tmp_path, tiny_saved_model):
    models_root = str(tiny_saved_model.parent.parent)
    web = tmp_path / "web"
    result = run_export_tool(f"--web_dir={web}", "--check_size=64",
                             env={"KERASTRANSFER_MODELS": models_root})
    assert result.returncode == 0, result.stderr
    index = json.loads((web / "models" / "models.json").read_text())
    assert [m["name"] for m in index["models"]] == ["tiny"]
    assert index["weights"] == "float16"
    assert index["models"][0]["conversion_error"]["max_abs"] <= 2
    graph = json.loads((web / "models" / "tiny" / "model.json").read_text())["modelTopology"]
    ops = {node["op"] for node in graph["node"]}
    assert "ResizeNearestNeighbor" in ops and "Tile" not in ops, "upsampling not rewritten"

    empty = tmp_path / "no_models"
    empty.mkdir()
    result = run_export_tool(f"--web_dir={web}", env={"KERASTRANSFER_MODELS": str(empty)})
    assert result.returncode == 2 and "no style models" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (web / "models" / "tiny" / "model.json").is_file(), "a failed run kept the old models"
