"""The folder pipeline: reading ahead and writing behind must not change what is written,
in what order errors come, or that one bad file leaves the rest alone."""
import os

import numpy as np
import pytest
from PIL import Image

from conftest import random_image
from kerastransfer import image_io
from kerastransfer.inference import folders


def invert(image):
    return 255 - image


@pytest.fixture
def photos(tmp_path):
    """Nine PNGs of different sizes, with a corrupt file and a too-small one among them."""
    source = tmp_path / "in"
    source.mkdir()
    paths = []
    for i in range(9):
        path = source / f"{i}.png"
        if i == 3:
            path.write_bytes(b"\x89PNG\r\n\x1a\n cut short")
        else:
            Image.fromarray(random_image(8 if i == 6 else 20 + i, 30 - i, seed=i)).save(path)
        paths.append(str(path))
    return paths


def run(paths, out_dir, parallel, transform=invert):
    os.makedirs(out_dir, exist_ok=True)
    jobs = [folders.Job(p, os.path.join(out_dir, os.path.basename(p))) for p in paths]
    done = []
    report = folders.run_jobs(transform, jobs, parallel=parallel, on_done=done.append)
    return report, done


def refuse_small(image):
    if image.shape[0] < 10:
        raise ValueError("too small")
    return invert(image)


@pytest.mark.parametrize("parallel", [True, False])
def test_every_good_file_is_written_and_every_bad_one_reported_in_order(tmp_path, photos, parallel):
    out = tmp_path / "out"
    report, done = run(photos, out, parallel, refuse_small)
    assert report.written == 7 and done == list(range(1, 10))
    assert [i for i, _ in report.errors] == [3, 6]
    assert "3.png" in report.errors[0][1] and "too small" in report.errors[1][1]
    assert sorted(os.listdir(out)) == sorted(f"{i}.png" for i in range(9) if i not in (3, 6))
    for i in (0, 5, 8):
        expected = 255 - image_io.read_image(photos[i])
        np.testing.assert_array_equal(image_io.read_image(str(out / f"{i}.png")), expected)
    assert report.images_per_second > 0


def test_pipelined_and_sequential_runs_write_identical_files(tmp_path, photos):
    run(photos, tmp_path / "a", True)
    run(photos, tmp_path / "b", False)
    names = sorted(os.listdir(tmp_path / "a"))
    assert names == sorted(os.listdir(tmp_path / "b")) and len(names) == 8
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_failed_write_is_that_job_error_and_leaves_no_partial_file(tmp_path, photos):
    out = tmp_path / "out"
    out.mkdir()
    (out / "1.png").write_bytes(b"mine")  # written by someone else meanwhile: kept
    report, _ = run(photos[:3], out, True)
    assert report.written == 2
    assert [i for i, _ in report.errors] == [1] and "already exists" in report.errors[0][1]
    assert (out / "1.png").read_bytes() == b"mine"
    assert not [n for n in os.listdir(out) if n.startswith(".partial-")]


def test_read_ahead_keeps_order_across_sizes(photos):
    good = [p for i, p in enumerate(photos) if i != 3]
    images = [image for image, error in folders.read_ahead(good * 3, parallel_reads=4)]
    expected = [image_io.read_image(p) for p in good * 3]
    assert len(images) == len(expected)
    for got, want in zip(images, expected):
        np.testing.assert_array_equal(got, want)
