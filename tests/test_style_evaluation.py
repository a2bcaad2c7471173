"""The blob score: what it catches and what it leaves alone."""
import os

import numpy as np
import pytest

from kerastransfer.evaluation import style_evaluation as se


def sky_photo(height=256, width=384):
    """A bright sky over a darker textured ground, like the photos blobs appear on."""
    rng = np.random.RandomState(0)
    photo = np.zeros([height, width, 3], np.float64)
    photo[: height // 2] = [150, 190, 235] + np.linspace(0, 15, width)[None, :, None]
    photo[height // 2:] = rng.uniform(40, 120, [height - height // 2, width, 3])
    return np.clip(photo, 0, 255).astype(np.uint8)


def disc(image, centre, radius, colour):
    yy, xx = np.mgrid[: image.shape[0], : image.shape[1]]
    inside = (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius ** 2
    image = image.copy()
    image[inside] = colour
    return image, inside


def test_a_photo_scores_zero():
    photo = sky_photo()
    assert se.blob_score(photo, photo) == 0.0


def test_a_saturated_disc_on_the_sky_is_caught_with_its_area():
    photo = sky_photo()
    for colour in ([0, 0, 0], [255, 110, 0]):  # a black and an orange blob
        styled, inside = disc(photo, (60, 250), 30, colour)
        assert se.blob_score(styled, photo) == __import__("pytest").approx(
            100 * inside.mean(), rel=0.1)


def test_strokes_recolouring_and_the_photos_own_darks_are_not_blobs():
    photo = sky_photo()
    styled = photo.copy()
    styled[::12, :] = 0  # thin black strokes across the image
    styled[:, ::15] = 255
    assert se.blob_score(styled, photo) == 0.0
    recoloured = (0.5 * photo + 60).astype(np.uint8)  # a style's consistent recolouring
    assert se.blob_score(recoloured, photo) == 0.0
    dark = photo.copy()
    dark[200:, :100] = 10  # a dark shadow in the photo, kept black by the style
    styled = dark.copy()
    styled[200:, :100] = 0
    assert se.blob_score(styled, dark) == 0.0


def test_small_specks_are_below_the_minimum_area():
    photo = sky_photo()
    styled, inside = disc(photo, (60, 250), 4, [0, 0, 0])
    assert inside.mean() < se.MIN_AREA
    assert se.blob_score(styled, photo) == 0.0


def test_lbfgs_curves_are_cached_per_objective_and_photo(tmp_path, monkeypatch):
    from kerastransfer.perceptual import gatys
    calls = []

    def fake_optimize(objective, photo, iterations, method, init, seed, stop_at=None):
        calls.append(init if method == "lbfgs" else f"{init} {method}")
        return None, [10.0 - i for i in range(iterations)]

    monkeypatch.setattr(gatys, "optimize_image", fake_optimize)
    photo = sky_photo(32, 32)
    key = {"loss": "a"}
    first = se.lbfgs_history(None, photo, 5, "noise", str(tmp_path), key)
    again = se.lbfgs_history(None, photo, 3, "noise", str(tmp_path), key)
    assert again == first[:3] and calls == ["noise"]
    se.lbfgs_history(None, photo, 5, "noise", str(tmp_path), {"loss": "b"})
    se.lbfgs_history(None, photo, 5, "content", str(tmp_path), key)
    assert calls == ["noise", "noise", "content"]
    se.lbfgs_history(None, photo, 5, "noise", str(tmp_path), key, method="lbfgs_fixed_step")
    se.lbfgs_history(None, photo, 5, "noise", str(tmp_path), key, method="lbfgs_fixed_step")
    assert calls[3:] == ["noise lbfgs_fixed_step"]


def test_an_lbfgs_curve_stops_at_the_target_and_is_reused_when_it_answers(tmp_path,
                                                                          monkeypatch):
    from kerastransfer.perceptual import gatys
    calls = []

    def fake_optimize(objective, photo, iterations, method, init, seed, stop_at=None):
        calls.append((iterations, stop_at))
        history = []
        for i in range(iterations):
            history.append(10.0 - i)
            if stop_at is not None and history[-1] <= stop_at:
                break
        return None, history

    monkeypatch.setattr(gatys, "optimize_image", fake_optimize)
    photo, key = sky_photo(32, 32), {"loss": "a"}
    assert se.lbfgs_history(None, photo, 100, "noise", str(tmp_path), key, target=7.5) == \
        [10.0, 9.0, 8.0, 7.0]
    # a network above 7 is answered by the stored curve; one below it runs again, longer
    assert se.lbfgs_history(None, photo, 100, "noise", str(tmp_path), key, target=8.5) == \
        [10.0, 9.0, 8.0, 7.0]
    assert len(calls) == 1
    assert se.lbfgs_history(None, photo, 100, "noise", str(tmp_path), key, target=5.0)[-1] == 5.0
    assert calls == [(100, 7.5), (100, 5.0)]
    assert len(se.lbfgs_history(None, photo, 6, "noise", str(tmp_path), key)) == 6
    assert len(calls) == 2


def test_model_objective_says_why_it_cannot_rebuild_a_models_objective(tmp_path):
    from types import SimpleNamespace
    sr = SimpleNamespace(path=str(tmp_path), record=SimpleNamespace(task="super-resolution",
                                                                    name="sr_x4"))
    with pytest.raises(ValueError, match="sr_x4: not a style model"):
        se.model_objective(sr, [])
    lost = SimpleNamespace(path=str(tmp_path), record=SimpleNamespace(
        task="style", name="mine", style_image="painting.jpg"))
    with pytest.raises(ValueError, match="painting.jpg is neither in its assets nor in"):
        se.model_objective(lost, [str(tmp_path / "styles")])


def test_evaluate_style_refuses_a_model_that_is_not_there_in_one_line(tmp_path):
    """Before any curve is run: a wrong --model path costs seconds, not a traceback."""
    import subprocess
    import sys
    from conftest import REPO
    from test_cli import assert_one_line_error
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "tools", "evaluate_style.py"),
         f"--model={tmp_path / 'nowhere'}", "--lbfgs_iterations=0"],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300)
    assert_one_line_error(result, f"error: --model: {tmp_path / 'nowhere'}: not a SavedModel")
