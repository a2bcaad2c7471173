"""What a new user meets first: wrong models and non-images refused at once (before
TensorFlow loads), progress without escape codes in logs, precision=auto saying what it
chose, optimize showing progress, --style_scale keeping the photo's size."""
import os

import numpy as np
import pytest
from PIL import Image

from conftest import random_image, run_cli
from test_cli import assert_one_line_error

pytestmark = pytest.mark.slow  # command lines, servers, training runs

STYLIZE = "kerastransfer.cli.stylize"
UPSCALE = "kerastransfer.cli.upscale"


@pytest.fixture(scope="module")
def no_tensorflow(tmp_path_factory):
    """PYTHONPATH under which `import tensorflow` fails: a command that still gives its
    own error line did not need TensorFlow to give it."""
    fake = tmp_path_factory.mktemp("fake_tensorflow")
    (fake / "tensorflow").mkdir()
    (fake / "tensorflow" / "__init__.py").write_text(
        "raise ImportError('TensorFlow was imported')\n")
    return {"PYTHONPATH": os.pathsep.join([str(fake), os.environ.get("PYTHONPATH", "")])}


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(random_image(40, 48)).save(path)
    return path


def test_stylize_refuses_a_super_resolution_model_before_tensorflow(
        tmp_path, tiny_sr_model, photo, no_tensorflow):
    result = run_cli(STYLIZE, f"--model={tiny_sr_model}", f"--input={photo}",
                     f"--output={tmp_path / 'o.png'}", env=no_tensorflow)
    assert_one_line_error(result, "super-resolution model", "use kerastransfer-upscale")
    assert not (tmp_path / "o.png").exists()


def test_upscale_refuses_a_style_model_before_tensorflow(
        tmp_path, tiny_saved_model, photo, no_tensorflow):
    result = run_cli(UPSCALE, f"--model={tiny_saved_model}", f"--input={photo}",
                     f"--output={tmp_path / 'o.png'}", env=no_tensorflow)
    assert_one_line_error(result, "not a super-resolution model")


@pytest.mark.parametrize("module,model", [(STYLIZE, "tiny_saved_model"),
                                          (UPSCALE, "tiny_sr_model")])
@pytest.mark.parametrize("content,fragment", [
    (b"just some text\n", "not a supported image"),
    (b"", "empty file"),
])
def test_a_non_image_is_refused_before_tensorflow(tmp_path, request, no_tensorflow, module,
                                                  model, content, fragment):
    source = tmp_path / "notes.jpg"
    source.write_bytes(content)
    result = run_cli(module, f"--model={request.getfixturevalue(model)}", f"--input={source}",
                     f"--output={tmp_path / 'o.png'}", env=no_tensorflow)
    assert_one_line_error(result, "notes.jpg", fragment)


def test_the_fake_tensorflow_does_stop_a_command_that_needs_it(
        tmp_path, tiny_saved_model, photo, no_tensorflow):
    """The check above would prove nothing if TensorFlow could load anyway."""
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={photo}",
                     f"--output={tmp_path / 'o.png'}", env=no_tensorflow)
    assert result.returncode != 0 and "TensorFlow was imported" in result.stderr


def test_folder_progress_in_a_log_is_plain_lines(tmp_path, tiny_saved_model, photo_dir):
    out = tmp_path / "styled"
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={photo_dir}",
                     f"--output={out}")
    assert result.returncode == 0, result.stderr  # notes.txt is skipped: not an image name
    assert not any(c in result.stdout for c in "\x1b\r\b"), repr(result.stdout)
    lines = result.stdout.splitlines()
    assert lines[-2].startswith("stylised 6/6 images, ")
    assert lines[-1].startswith("6 of 6 images stylised")


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere(capsys):
    from kerastransfer.progress import Progress
    plain = Progress(20, "step", label="training", interactive=False)
    for step in range(1, 21):
        plain.update(step, [("loss", 1.0 / step)])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == [f"training {2 * i}/20 steps"
                                                      for i in range(1, 11)]
    assert lines[-1].endswith("loss 0.05")
    bar = Progress(3, "step", interactive=True)
    bar.update(3)
    assert "\x1b[" in capsys.readouterr().out


def test_precision_auto_says_what_it_chose(tmp_path, tiny_saved_model, photo):
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={photo}",
                     f"--output={tmp_path / 'o.png'}", "--precision=auto")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(("precision auto: float32, because",
                             "precision auto: bfloat16, because")), first


def test_optimize_shows_progress_and_finds_the_models_painting(tmp_path, tiny_saved_model,
                                                                style_path):
    """--like_model takes the painting from the model's assets/ (no styles folder)."""
    import json
    import shutil
    model = tmp_path / "like" / "1"
    shutil.copytree(tiny_saved_model, model)
    record = json.loads((model / "assets" / "kerastransfer.json").read_text())
    record.update(loss={"content_layers": ["block2_conv2"], "style_layers": ["block1_conv2"],
                        "content_weight": 1.0, "style_weight": 1.0, "tv_weight": 0.0},
                  style_size=32)
    (model / "assets" / "kerastransfer.json").write_text(json.dumps(record))
    content = tmp_path / "content.png"
    Image.fromarray(random_image(40, 44, seed=4)).save(content)
    args = [f"--content={content}", f"--like_model={model}", f"--output={tmp_path / 'o.png'}",
            "--iterations=2", "--image_size=32", "--vgg_weights=random"]
    missing = run_cli("kerastransfer.cli.optimize", *args)
    assert_one_line_error(missing, "carries no style image", "--style")
    shutil.copy(style_path, model / "assets" / record["style_image"])
    result = run_cli("kerastransfer.cli.optimize", *args)
    assert result.returncode == 0, result.stderr
    assert "optimising 1/2 iterations" in result.stdout
    assert not any(c in result.stdout for c in "\x1b\r\b")


@pytest.mark.parametrize("scale", [0.5, 2.0, 3.0])
def test_style_scale_keeps_the_photos_size(tmp_path, tiny_saved_model, scale):
    source = tmp_path / "in.png"
    Image.fromarray(random_image(101, 133)).save(source)
    out = tmp_path / "out.png"
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={source}",
                     f"--output={out}", f"--style_scale={scale}")
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.size == (133, 101)


@pytest.mark.parametrize("flags,fragment", [
    (["--style_scale=5"], "--style_scale must be in [0.25, 4]"),
    (["--style_scale=4"], "under its 32x32 minimum"),
])
def test_style_scale_bad_values(tmp_path, tiny_saved_model, photo, flags, fragment):
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={photo}",
                     f"--output={tmp_path / 'o.png'}", *flags)
    assert_one_line_error(result, fragment)
