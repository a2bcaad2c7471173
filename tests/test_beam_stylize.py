"""Stylising a collection on Apache Beam (DirectRunner): the same pixels as the
SavedModel's signature, paths kept below the pattern, refusals counted, nothing replaced."""
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import random_image, run_cli

pytestmark = pytest.mark.slow  # command lines, servers, training runs

beam = pytest.importorskip("apache_beam", reason='needs pip install -e ".[beam]"')


@pytest.fixture()
def photos(tmp_path):
    folder = tmp_path / "photos"
    (folder / "trip").mkdir(parents=True)
    images = {"a.png": random_image(40, 56, seed=1), "trip/a.png": random_image(64, 48, seed=2),
              "trip/b.jpg": random_image(33, 35, seed=3), "c.gif": random_image(36, 36, seed=4)}
    for name, image in images.items():
        Image.fromarray(image).save(folder / name)
    return folder, images


def _expected(saved_model, path):
    from kerastransfer.image_io import read_image
    model = tf.saved_model.load(str(saved_model))
    image = read_image(str(path))[None]
    return model.signatures["serving_default"](images=tf.constant(image))["images"][0].numpy()


def test_pipeline_writes_what_the_signature_gives_below_the_pattern_folder(
        tmp_path, photos, tiny_saved_model):
    from kerastransfer.inference import beam_stylize
    folder, images = photos
    out = tmp_path / "styled"
    with beam.Pipeline() as pipeline:
        beam_stylize.stylize_files(pipeline, str(folder / "**"), str(out), str(tiny_saved_model))
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert written == ["a.png", "c.png", "trip", "trip/a.png", "trip/b.jpg"]
    for name in ("a.png", "trip/a.png", "c.png"):
        source = folder / ("c.gif" if name == "c.png" else name)
        np.testing.assert_array_equal(np.asarray(Image.open(out / name)),
                                      _expected(tiny_saved_model, source))
    assert np.asarray(Image.open(out / "trip/b.jpg")).shape == (33, 35, 3)


def test_cli_refuses_bad_files_and_existing_outputs_and_says_how_many(
        tmp_path, photos, tiny_saved_model):
    folder, _ = photos
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    Image.fromarray(random_image(20, 90, seed=5)).save(folder / "thin.png")
    out = tmp_path / "styled"
    out.mkdir()
    Image.fromarray(random_image(8, 8)).save(out / "a.png")
    before = (out / "a.png").read_bytes()
    result = run_cli("kerastransfer.cli.beam_stylize", f"--model={tiny_saved_model}",
                     f"--input_pattern={folder}/*", f"--output_dir={out}")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "stylised 1 images" in result.stdout and "3 refused" in result.stdout
    assert (out / "a.png").read_bytes() == before  # nothing a user had is lost
    assert (out / "c.png").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".partial-")]
    for fragment in ("broken.png: cannot decode", "thin.png: 90x20 is smaller",
                     "a.png: already exists"):
        assert fragment in result.stderr


def test_cli_overwrite_replaces_and_bfloat16_uses_its_signature(tmp_path, photos,
                                                                 tiny_saved_model):
    folder, _ = photos
    out = tmp_path / "styled"
    args = ["kerastransfer.cli.beam_stylize", f"--model={tiny_saved_model}",
            f"--input_pattern={folder}/a.png", f"--output_dir={out}", "--precision=bfloat16"]
    assert run_cli(*args).returncode == 0
    again = run_cli(*args, "--overwrite", "--direct_num_workers=1")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "stylised 1 images" in again.stdout and "0 refused" in again.stdout
    model = tf.saved_model.load(str(tiny_saved_model))
    image = np.asarray(Image.open(folder / "a.png"))[None]
    expected = model.signatures["serving_bfloat16"](images=tf.constant(image))["images"][0]
    np.testing.assert_array_equal(np.asarray(Image.open(out / "a.png")), expected.numpy())


def test_two_inputs_for_one_output_name_write_one_and_refuse_the_other(
        tmp_path, tiny_saved_model):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(random_image(40, 40, seed=1)).save(folder / "c.gif")
    Image.fromarray(random_image(40, 40, seed=2)).save(folder / "c.png")
    out = tmp_path / "styled"
    result = run_cli("kerastransfer.cli.beam_stylize", f"--model={tiny_saved_model}",
                     f"--input_pattern={folder}/*", f"--output_dir={out}")
    assert result.returncode == 1
    assert "stylised 1 images" in result.stdout and "1 refused" in result.stdout
    assert "c.png: already exists" in result.stderr
    assert [p.name for p in out.iterdir()] == ["c.png"]  # no .partial-* left either


def test_cli_run_failures_are_one_line(tmp_path, photos, tiny_saved_model, tiny_sr_model):
    folder, _ = photos
    (tmp_path / "a_file").write_text("x")
    cases = [([f"--input_pattern={folder}/missing.png", f"--output_dir={tmp_path}/o"],
              "no files match"),
             ([f"--input_pattern={folder}/*.webp", f"--output_dir={tmp_path}/o"],
              "no files match"),
             ([f"--input_pattern={folder}/*", f"--output_dir={tmp_path}/a_file"],
              "is a file, not a folder")]
    for args, message in cases:
        result = run_cli("kerastransfer.cli.beam_stylize", f"--model={tiny_saved_model}", *args)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr
    result = run_cli("kerastransfer.cli.beam_stylize", f"--model={tiny_sr_model}",
                     f"--input_pattern={folder}/*", f"--output_dir={tmp_path}/o")
    assert result.returncode == 2 and "not a style model" in result.stderr


@pytest.mark.parametrize("args, message", [
    ((), "--model is required"),
    (("--model=nonexistent", "--input_pattern=x", "--output_dir=y"), "nonexistent: not a"),
    (("--model=udnie", "--input_pattern=x", "--output_dir=y", "--max_pixels=5"),
     "--max_pixels must be >= 1024"),
    (("--model=udnie", "--input_pattern=x", "--output_dir=y", "--runer=DirectRunner"),
     "unknown flag or argument: --runer=DirectRunner"),
])
def test_cli_bad_flags_are_one_line(args, message):
    result = run_cli("kerastransfer.cli.beam_stylize", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
