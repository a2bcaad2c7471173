"""The image corpus (tests/image_corpus.py) through the library and both command lines.

Every case, in `read_image` and in one folder run of each command: a correct output
(orientation applied, alpha flattened on white, first GIF frame) or exactly one error
line naming the file and the problem, a non-zero exit and a summary; never a
traceback, a partial file or a changed input. A subset also runs file by file, where
the exit status belongs to that one file.
"""
import hashlib
import os

import numpy as np
import pytest
from PIL import Image

from cli_batch import run_cli_batch
from conftest import run_cli
from image_corpus import corpus, write_corpus
from kerastransfer import image_io

CASES = {case.name: case for case in corpus()}
STYLIZE, UPSCALE = "kerastransfer.cli.stylize", "kerastransfer.cli.upscale"
UPSCALE_MAX_PIXELS = 1_000_000  # the upscale runs' --max_pixels: large.jpg is over it
LOSSY_OUTPUT = (".jpg", ".jpeg", ".webp")


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("corpus")
    write_corpus(str(directory))
    return directory


@pytest.fixture(scope="module")
def corpus_digests(corpus_dir):
    return {p.name: digest(p) for p in corpus_dir.iterdir()}


def stylize_outcome(case):
    """None if the stylize command must succeed on `case`, else the error fragment."""
    if not case.valid:
        return case.error
    return None if min(case.expected.shape[:2]) >= 32 else "at least 32x32"


def upscale_outcome(case):
    if not case.valid:
        return case.error
    height, width = case.expected.shape[:2]
    if min(height, width) < 4:
        return "at least 4x4"
    return None if height * width <= UPSCALE_MAX_PIXELS else "over the limit"


def output_name(name):
    stem, ext = os.path.splitext(name)
    return name if ext.lower() in image_io.WRITABLE_EXTENSIONS else stem + ".png"


def assert_no_partial_files(directory):
    leftovers = [p for p in os.listdir(directory) if p.startswith(".partial")]
    assert leftovers == [], leftovers


def assert_error_line(line, path, fragment):
    assert line.startswith("error: ") and str(path) in line, line
    assert fragment.lower() in line.lower(), (fragment, line)


def assert_close(got, expected, output_path):
    """Lossless outputs exactly; JPEG/WebP outputs (re-encoded) nearly."""
    assert got.shape == expected.shape
    if str(output_path).lower().endswith(LOSSY_OUTPUT):
        assert np.abs(got.astype(float) - expected).mean() < 6, output_path
    else:
        np.testing.assert_array_equal(got, expected)


# --- the library ----------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
def test_read_image(corpus_dir, name):
    case = CASES[name]
    path = corpus_dir / name
    if case.valid:
        image = image_io.read_image(str(path))
        assert image.dtype == np.uint8 and image.shape == case.expected.shape
        assert np.abs(image.astype(int) - case.expected).max() <= case.tolerance
    else:
        with pytest.raises(image_io.ImageError) as raised:
            image_io.read_image(str(path))
        message = str(raised.value)
        assert "\n" not in message and message.startswith(str(path))
        assert case.error.lower() in message.lower()


# --- folder runs: every case, one process per command -----------------------------------

@pytest.fixture(scope="module")
def stylize_folder(corpus_dir, tmp_path_factory, tiny_saved_model):
    """--strength=0 returns the decoded photo, so every output can be checked exactly."""
    out = tmp_path_factory.mktemp("stylized") / "out"
    result = run_cli(STYLIZE, f"--model={tiny_saved_model}", f"--input={corpus_dir}",
                     f"--output={out}", "--strength=0")
    return result, out, stylize_outcome, lambda image: image


@pytest.fixture(scope="module")
def upscale_folder(corpus_dir, tmp_path_factory, tiny_sr_model):
    """Outputs must equal the model's answer on the decoded photo."""
    from kerastransfer.inference.exported_model import ExportedModel
    out = tmp_path_factory.mktemp("upscaled") / "out"
    result = run_cli(UPSCALE, f"--model={tiny_sr_model}", f"--input={corpus_dir}",
                     f"--output={out}", f"--max_pixels={UPSCALE_MAX_PIXELS}")
    model = ExportedModel(str(tiny_sr_model))
    return result, out, upscale_outcome, lambda image: model(image[None])[0]


def error_lines(result):
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


FOLDER_RUNS = ["stylize_folder", "upscale_folder"]


@pytest.mark.slow  # runs the command lines over the corpus
@pytest.mark.parametrize("run", FOLDER_RUNS)
def test_folder_run_reports_each_bad_file_and_exits_non_zero(request, corpus_dir,
                                                             corpus_digests, run):
    result, out, outcome, _ = request.getfixturevalue(run)
    failing = [c for c in CASES.values() if outcome(c)]
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == error_lines(result)  # nothing else
    assert len(error_lines(result)) == len(failing)
    assert (f"{len(CASES) - len(failing)} of {len(CASES)} images" in result.stdout
            and f"{len(failing)} failed" in result.stdout), result.stdout
    assert sorted(os.listdir(out)) == sorted(output_name(c.name) for c in CASES.values()
                                             if not outcome(c))
    assert_no_partial_files(out)
    assert {p.name: digest(p) for p in corpus_dir.iterdir()} == corpus_digests


@pytest.mark.slow  # runs the command lines over the corpus
@pytest.mark.parametrize("run", FOLDER_RUNS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_folder_run_case(request, corpus_dir, run, name):
    """One error line naming the file and the problem and no output, or the output
    the command must give for the decoded photo."""
    result, out, outcome, expected_output = request.getfixturevalue(run)
    fragment = outcome(CASES[name])
    lines = [line for line in error_lines(result) if f"/{name}:" in line]
    output = out / output_name(name)
    if fragment:
        assert len(lines) == 1 and not output.exists()
        assert_error_line(lines[0], corpus_dir / name, fragment)
    else:
        assert lines == []
        expected = expected_output(image_io.read_image(str(corpus_dir / name)))
        assert_close(np.asarray(Image.open(output).convert("RGB")), expected, output)


# --- file by file: the exit status and the one line belong to that file -----------------

SINGLE_FILE = ["exif_6.jpg", "animated.gif", "rgba.png", "odd_31.png", "one_pixel.png",
               "empty.jpg", "text.jpg", "truncated.png", "bomb.png", "huge.png"]


def _single_file_runs(corpus_dir, out, model, command, extra):
    outputs = [out / f"{command.rsplit('.', 1)[1]}_{os.path.splitext(n)[0]}.png"
               for n in SINGLE_FILE]
    runs = [[f"--model={model}", f"--input={corpus_dir / n}", f"--output={o}", *extra]
            for n, o in zip(SINGLE_FILE, outputs)]
    return runs, outputs


@pytest.fixture(scope="module")
def protected(tmp_path_factory):
    """A folder with a photo and a symlink to it, for the runs that must not touch it."""
    directory = tmp_path_factory.mktemp("protected")
    (directory / "photo.png").write_bytes(CASES["photo.png"].data)
    (directory / "link.png").symlink_to(directory / "photo.png")
    return directory


@pytest.fixture(scope="module")
def single_file_runs(corpus_dir, tmp_path_factory, tiny_saved_model, tiny_sr_model, protected):
    """{(command, case name): (result, output path)}, one batch process per command; the
    stylize batch also tries to write over its input ("protected" runs)."""
    out = tmp_path_factory.mktemp("single")
    results = {}
    overwrite_runs = [
        [f"--input={protected / 'photo.png'}", f"--output={protected / 'photo.png'}",
         "--overwrite"],
        [f"--input={protected / 'photo.png'}", f"--output={protected / 'link.png'}",
         "--overwrite"],
        [f"--input={protected}", f"--output={protected}"]]
    for command, model, extra in ((STYLIZE, tiny_saved_model, []),
                                  (UPSCALE, tiny_sr_model, [f"--max_pixels={UPSCALE_MAX_PIXELS}"])):
        runs, outputs = _single_file_runs(corpus_dir, out, model, command, extra)
        if command == STYLIZE:
            runs += [[f"--model={model}", *args] for args in overwrite_runs]
            outputs += [None] * len(overwrite_runs)
        names = SINGLE_FILE + [f"protected_{i}" for i in range(len(runs) - len(SINGLE_FILE))]
        for name, output, result in zip(names, outputs, run_cli_batch(command, runs)):
            results[command, name] = result, output
    return results


@pytest.mark.slow  # runs the command lines over the corpus
@pytest.mark.parametrize("command,outcome", [(STYLIZE, stylize_outcome),
                                             (UPSCALE, upscale_outcome)])
@pytest.mark.parametrize("name", SINGLE_FILE)
def test_single_file_run(single_file_runs, corpus_dir, command, outcome, name):
    result, output = single_file_runs[command, name]
    fragment = outcome(CASES[name])
    assert "Traceback" not in result.stderr
    if fragment:
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert_error_line(lines[0], corpus_dir / name, fragment)
        assert not output.exists()
    else:
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        height, width = CASES[name].expected.shape[:2]
        scale = 4 if command == UPSCALE else 1
        assert Image.open(output).size == (width * scale, height * scale)
    assert_no_partial_files(output.parent)


@pytest.mark.slow  # runs the command lines over the corpus
@pytest.mark.parametrize("run", range(3))
def test_an_input_is_never_overwritten(single_file_runs, protected, run):
    """Output = the input (even with --overwrite), a symlink to it, or its own folder."""
    result, _ = single_file_runs[STYLIZE, f"protected_{run}"]
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and ("overwrite the input" in lines[0]
                                or "must differ from the --input" in lines[0]), lines
    assert (protected / "photo.png").read_bytes() == CASES["photo.png"].data
    assert sorted(os.listdir(protected)) == ["link.png", "photo.png"]
