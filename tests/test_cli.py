"""The command lines on good and bad input: one-line errors, no tracebacks, no stray files."""
import os

import numpy as np
import pytest
from PIL import Image

from conftest import random_image, run_cli

pytestmark = pytest.mark.slow  # command lines, servers, training runs

STYLIZE = "kerastransfer.cli.stylize"


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_stylize_a_file_keeps_its_odd_size(tmp_path, tiny_saved_model):
    source = tmp_path / "in.jpg"
    Image.fromarray(random_image(47, 61)).save(source)
    out = tmp_path / "out.png"
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={source}", f"--output={out}")
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.size == (61, 47) and image.mode == "RGB"


def test_bfloat16_precision_is_close_to_float32(tmp_path, tiny_saved_model):
    source = tmp_path / "in.png"
    Image.fromarray(random_image(45, 52)).save(source)
    outputs = {}
    for precision in ("float32", "bfloat16"):
        outputs[precision] = tmp_path / f"{precision}.png"
        result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={source}",
                         f"--output={outputs[precision]}", f"--precision={precision}")
        assert result.returncode == 0, result.stderr
    full, half = (np.asarray(Image.open(outputs[p])).astype(int) for p in ("float32", "bfloat16"))
    assert np.abs(full - half).mean() < 2 and not np.array_equal(full, half)


def test_strength_zero_returns_the_photo(tmp_path, tiny_saved_model):
    source = tmp_path / "in.png"
    pixels = random_image(40, 40)
    Image.fromarray(pixels).save(source)
    out = tmp_path / "out.png"
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={source}",
                     f"--output={out}", "--strength=0")
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.asarray(Image.open(out)), pixels)


def test_folder_run_reports_bad_file_and_processes_the_rest(tmp_path, tiny_saved_model, photo_dir):
    source = tmp_path / "photos"
    source.mkdir()
    for name in ["a.jpg", "c.png", "e.PNG"]:
        (source / name).write_bytes((photo_dir / name).read_bytes())
    (source / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    out = tmp_path / "styled"
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={source}", f"--output={out}")
    assert result.returncode == 1
    assert sorted(os.listdir(out)) == ["a.jpg", "c.png", "e.PNG"]
    errors = [l for l in result.stderr.splitlines() if l.startswith("error:")]
    assert len(errors) == 1 and "broken.jpg" in errors[0]
    assert "Traceback" not in result.stderr
    assert "3 of 4 images" in result.stdout


@pytest.mark.parametrize("flags,fragment", [
    (["--strength=1.5"], "--strength must be in [0, 1]"),
    (["--strength=abc"], "strength"),
    (["--max_size=10"], "--max_size"),
])
def test_bad_flag_values(tmp_path, tiny_saved_model, flags, fragment):
    source = tmp_path / "in.png"
    Image.fromarray(random_image(40, 40)).save(source)
    out = tmp_path / "out.png"
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={source}",
                     f"--output={out}", *flags)
    assert_one_line_error(result, fragment)
    assert not out.exists()


def test_unknown_model_names_the_choices(tmp_path):
    source = tmp_path / "in.png"
    Image.fromarray(random_image(40, 40)).save(source)
    result = run_cli(STYLIZE, "--model=no_such_style", f"--input={source}",
                     f"--output={tmp_path / 'o.png'}")
    assert_one_line_error(result, "no_such_style", "shipped")


@pytest.mark.parametrize("content,name,fragment", [
    (b"", "empty.jpg", "empty.jpg"),
    (b"hello, not an image", "text.jpg", "not a supported image"),
    (None, "tiny.png", "at least 32x32"),
    (None, "missing.png", "no such file"),
])
def test_bad_images_give_one_line_and_no_output(tmp_path, tiny_saved_model, content, name, fragment):
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    elif name == "tiny.png":
        Image.fromarray(random_image(20, 50)).save(source)
    out = tmp_path / "out.png"
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={source}", f"--output={out}")
    assert_one_line_error(result, fragment)
    assert not out.exists()
    assert [p for p in os.listdir(tmp_path) if p.startswith(".partial")] == []


def test_existing_output_is_kept_unless_overwrite(tmp_path, tiny_saved_model):
    source = tmp_path / "in.png"
    Image.fromarray(random_image(40, 40)).save(source)
    out = tmp_path / "out.png"
    out.write_bytes(b"precious")
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={source}", f"--output={out}")
    assert_one_line_error(result, "already exists")
    assert out.read_bytes() == b"precious"
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={source}",
                     f"--output={out}", "--overwrite")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unsupported_output_extension(tmp_path, tiny_saved_model):
    source = tmp_path / "in.png"
    Image.fromarray(random_image(40, 40)).save(source)
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={source}",
                     f"--output={tmp_path / 'out.tiff'}")
    assert_one_line_error(result, "unsupported output extension")


@pytest.mark.parametrize("flags,fragment", [
    ([], "--style_image is required"),
    (["--style_image=/nonexistent.jpg"], "no such file"),
    (["--steps=0"], "--steps must be >= 1"),
    (["--style_weight=-1"], "--style_weight must be >= 0"),
    (["--content_layers=relu9_9"], "relu9_9"),
    (["--output_dir=/dev/null/run"], "cannot create output folder"),
    (["--init_from=/nonexistent/model"], "/nonexistent/model"),
])
def test_train_style_rejects_bad_flags_before_training(tmp_path, style_path, photo_dir, flags, fragment):
    base = {"--style_image": str(style_path), "--train_dir": str(photo_dir),
            "--output_dir": str(tmp_path / "run"), "--vgg_weights": "random"}
    for flag in flags:
        base[flag.split("=")[0]] = flag.split("=", 1)[1]
    if not flags:
        del base["--style_image"]
    result = run_cli("kerastransfer.cli.train_style", *[f"{k}={v}" for k, v in base.items()])
    assert_one_line_error(result, fragment)


def test_optimize_writes_image_and_objective_log(tmp_path, style_path):
    content = tmp_path / "content.png"
    Image.fromarray(random_image(40, 44, seed=4)).save(content)
    out, log = tmp_path / "out.png", tmp_path / "log.csv"
    result = run_cli("kerastransfer.cli.optimize", f"--content={content}", f"--style={style_path}",
                     f"--output={out}", f"--log={log}", "--iterations=3", "--image_size=32",
                     "--style_size=32", "--vgg_weights=random", "--style_layers=relu1_2,relu2_2")
    assert result.returncode == 0, result.stderr
    assert Image.open(out).size == (35, 32)  # shorter side resized to 32, aspect kept
    values = [float(line.split(",")[1]) for line in log.read_text().splitlines()[1:]]
    assert 1 <= len(values) <= 3 and values[-1] <= values[0]


@pytest.mark.parametrize("flags,fragment", [
    (["--iterations=0"], "--iterations must be >= 1"),
    (["--method=newton"], "method"),
    (["--like_model=nonexistent_model"], "nonexistent_model"),
])
def test_optimize_bad_flags(tmp_path, style_path, flags, fragment):
    content = tmp_path / "content.png"
    Image.fromarray(random_image(40, 44)).save(content)
    result = run_cli("kerastransfer.cli.optimize", f"--content={content}",
                     f"--output={tmp_path / 'o.png'}", "--vgg_weights=random",
                     *(flags if "--like_model" in flags[0] else [f"--style={style_path}", *flags]))
    assert_one_line_error(result, fragment)
    assert not (tmp_path / "o.png").exists()


def test_a_nearly_full_disk_is_refused_before_training(tmp_path, monkeypatch):
    import collections
    import shutil
    from kerastransfer.cli import common
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 5 * 2**20,
                                                                 5 * 2**20))
    with pytest.raises(common.UsageError, match="only 5 MiB free"):
        common.check_output_folder(str(tmp_path / "run"))


def test_an_unwritable_output_folder_is_refused_before_training(tmp_path, monkeypatch):
    """Proved by writing a file (permission bits say nothing to root or on a read-only
    mount); here the write fails as on a read-only file system."""
    import errno
    import tempfile
    from kerastransfer.cli import common

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", read_only)
    with pytest.raises(common.UsageError, match="not writable .Read-only file system"):
        common.check_output_folder(str(tmp_path / "run"))


@pytest.mark.parametrize("error,line", [
    (OSError(28, "No space left on device", "/runs/x/backup/latest.weights.h5"),
     "error: /runs/x/backup/latest.weights.h5: No space left on device"),
    (FloatingPointError("loss became NaN or infinite at step 17"),
     "error: loss became NaN or infinite at step 17"),
])
def test_failures_mid_run_are_one_line(capsys, error, line):
    from kerastransfer.cli.common import main_wrapper

    @main_wrapper
    def main(argv):
        raise error

    with pytest.raises(SystemExit) as exited:
        main(["prog"])
    assert exited.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == [line]


def test_train_style_counts_steps_says_how_it_starts_and_keeps_an_export(tmp_path, style_path,
                                                                         photo_dir):
    flags = [f"--style_image={style_path}", f"--train_dir={photo_dir}",
             f"--output_dir={tmp_path / 'run'}", "--vgg_weights=random", "--width=0.125",
             "--image_size=32", "--style_size=32", "--checkpoint_every=1", "--seed=0"]
    first = run_cli("kerastransfer.cli.train_style", *flags, "--steps=2")
    assert first.returncode == 0, first.stderr
    assert "training 2/2 steps" in first.stdout  # steps of the run, not checkpoint intervals
    assert ("starting from scratch: the shipped content-only network has width=0.5, this run "
            "width=0.125") in first.stdout
    assert "\x1b[" not in first.stdout + first.stderr  # plain lines in a pipe
    again = run_cli("kerastransfer.cli.train_style", *flags, "--steps=3")
    assert again.returncode == 0, again.stderr
    assert f"continuing the finished run {tmp_path / 'run'} from step 2 to 3" in again.stdout
    assert "training 3/3 steps" in again.stdout
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "saved_model.pb").write_bytes(b"a model")
    refused = run_cli("kerastransfer.cli.train_style", *flags, "--steps=3",
                      f"--export_dir={shipped}")
    assert_one_line_error(refused, f"{shipped}: already exists; give --overwrite")
    assert (shipped / "saved_model.pb").read_bytes() == b"a model"
