import dataclasses
import json
import math
import os

import keras
import numpy as np
import pytest
import scipy.ndimage
import tensorflow as tf
from PIL import Image

from conftest import random_image, run_cli
from kerastransfer.evaluation import metrics, sr_evaluation
from kerastransfer.inference import upscale
from kerastransfer.models import degradation
from kerastransfer.models.sr_net import SuperResolutionNet


@pytest.mark.parametrize("scale", [4, 8])
@pytest.mark.parametrize("size", [(9, 11), (13, 7), (32, 33)])
def test_output_is_exactly_scale_times_the_input(scale, size):
    net = SuperResolutionNet(scale=scale, filters=8)
    out = np.asarray(net(np.random.uniform(0, 255, (2, *size, 3)).astype("float32")))
    assert out.shape == (2, size[0] * scale, size[1] * scale, 3)
    assert 0.0 <= out.min() and out.max() <= 255.0


@pytest.mark.parametrize("scale", [4, 8])
def test_residual_network_starts_as_bicubic_and_keeps_odd_sizes(scale):
    net = SuperResolutionNet(scale=scale, filters=8, residual=True)
    x = np.random.uniform(0, 255, (1, 9, 13, 3)).astype("float32")
    out = np.asarray(net(x))
    assert out.shape == (1, 9 * scale, 13 * scale, 3)
    np.testing.assert_allclose(out, np.asarray(degradation.bicubic_upscale(x, scale)), atol=1e-4)
    assert SuperResolutionNet.from_config(net.get_config()).residual


@pytest.mark.parametrize("residual", [False, True])
def test_output_kernel_sets_the_last_convolution(residual):
    net = SuperResolutionNet(scale=2, filters=8, residual=residual, output_kernel=3)
    assert net(np.zeros((1, 9, 11, 3), np.float32)).shape == (1, 18, 22, 3)
    last = net.correction if residual else net.conv_out.conv
    assert last.kernel.shape[:2] == (3, 3)
    assert SuperResolutionNet.from_config(net.get_config()).output_kernel == 3
    config = net.get_config()
    del config["output_kernel"]  # a record written before the option: the paper's 9×9
    assert SuperResolutionNet.from_config(config).output_kernel == 9
    with pytest.raises(ValueError, match="output_kernel must be odd"):
        SuperResolutionNet(output_kernel=4)


def test_blur_matches_scipy_gaussian_filter():
    image = np.random.RandomState(0).uniform(0, 255, (1, 20, 17, 3)).astype(np.float32)
    ours = degradation.gaussian_blur(image).numpy()
    theirs = scipy.ndimage.gaussian_filter(image, sigma=(0, 1.0, 1.0, 0), mode="reflect", truncate=3.0)
    np.testing.assert_allclose(ours, theirs, atol=1e-3)


def _keys_cubic(x, a=-0.5):
    x = abs(x)
    if x <= 1:
        return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1
    if x < 2:
        return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a
    return 0.0


def _bicubic_downsample_1d(signal, scale):
    """Direct computation: sample at (i + 0.5)·scale − 0.5 with Keys' cubic, edges clamped."""
    out = []
    for i in range(len(signal) // scale):
        centre = (i + 0.5) * scale - 0.5
        base = math.floor(centre)
        taps = [(base + k, _keys_cubic(centre - (base + k))) for k in range(-1, 3)]
        out.append(sum(signal[min(max(j, 0), len(signal) - 1)] * w for j, w in taps)
                   / sum(w for _, w in taps))
    return np.array(out)


def test_degradation_is_blur_then_bicubic_downsampling():
    scale = 4
    hr = np.random.RandomState(1).uniform(0, 255, (1, 24, 16, 3)).astype(np.float32)
    blurred = scipy.ndimage.gaussian_filter(hr, sigma=(0, 1.0, 1.0, 0), mode="reflect", truncate=3.0)
    rows = np.stack([np.stack([_bicubic_downsample_1d(blurred[0, :, x, c], scale)
                               for x in range(16)], 1) for c in range(3)], -1)
    expected = np.stack([np.stack([_bicubic_downsample_1d(rows[y, :, c], scale)
                                   for y in range(rows.shape[0])], 0) for c in range(3)], -1)
    ours = degradation.degrade(hr, scale).numpy()[0]
    assert ours.shape == (6, 4, 3)
    np.testing.assert_allclose(ours, np.clip(expected, 0, 255), atol=0.05)


def test_psnr_and_ssim_on_known_cases():
    image = random_image(40, 40).astype(np.float32)[None]
    assert float(metrics.ssim_y(image, image)[0]) == pytest.approx(1.0)
    assert math.isinf(float(metrics.psnr_y(image, image)[0]))
    # a constant offset of d grey levels on Y: PSNR = 20 log10(255 / d')
    grey = np.full((1, 40, 40, 3), 100.0, np.float32)
    shifted = grey + 10.0
    dy = 10.0 * (65.481 + 128.553 + 24.966) / 255.0
    assert float(metrics.psnr_y(shifted, grey)[0]) == pytest.approx(20 * math.log10(255 / dy), abs=1e-3)


def test_y_channel_is_bt601():
    white = np.full((1, 1, 1, 3), 255.0, np.float32)
    black = np.zeros((1, 1, 1, 3), np.float32)
    assert float(metrics.rgb_to_y(white)[0, 0, 0, 0]) == pytest.approx(235.0, abs=1e-3)
    assert float(metrics.rgb_to_y(black)[0, 0, 0, 0]) == pytest.approx(16.0)


def test_shave_removes_the_border():
    assert metrics.shave(np.zeros((1, 20, 30, 3)), 4).shape == (1, 12, 22, 3)


def _smooth_photo(size=96, seed=0):
    """A float [1, size, size, 3] image with little energy at the finest scales."""
    noise = np.random.RandomState(seed).uniform(0, 255, (1, size, size, 3))
    return scipy.ndimage.gaussian_filter(noise, sigma=(0, 2.0, 2.0, 0)).astype(np.float32)


def _grid(size, period, amplitude):
    y, x = np.indices((size, size))
    pattern = np.cos(2 * np.pi * (x + y) / period)  # (-1)^(x+y) for period 2
    return amplitude * pattern[None, :, :, None].astype(np.float32)


def test_period_ratio_is_one_for_the_ground_truth_itself():
    image = _smooth_photo()
    for period in (2, 4):
        assert float(metrics.period_ratio(image, image, period)[0]) == pytest.approx(1.0)


def test_a_checkerboard_of_five_levels_shows_in_period_two_only():
    image = _smooth_photo()
    checkered = image + _grid(96, 2, 5.0)
    assert float(metrics.period_ratio(checkered, image, 2)[0]) > 100
    assert float(metrics.period_ratio(checkered, image, 4)[0]) == pytest.approx(1.0, abs=0.05)
    # its energy is the checkerboard's mean square on Y, (5 × 219/255)²
    added = float(metrics.periodic_energy(checkered, 2)[0] - metrics.periodic_energy(image, 2)[0])
    assert added == pytest.approx((5 * 219 / 255) ** 2, rel=0.05)


def test_a_period_four_grid_shows_in_period_four():
    image = _smooth_photo()
    assert float(metrics.period_ratio(image + _grid(96, 4, 5.0), image, 4)[0]) > 10


def test_a_bicubic_upscale_has_less_period_two_energy_than_the_original():
    sharp = np.random.RandomState(1).uniform(0, 255, (1, 96, 96, 3)).astype(np.float32)
    sharp = scipy.ndimage.gaussian_filter(sharp, sigma=(0, 0.7, 0.7, 0))
    upscaled = degradation.bicubic_upscale(degradation.degrade(sharp, 4), 4).numpy()
    for period in (2, 4):
        assert float(metrics.period_ratio(upscaled, sharp, period, border=4)[0]) < 1.0


def test_the_table_has_a_column_per_metric_and_kind():
    scores = {"psnr_y": 30.0, "ssim_y": 0.9, "period2_ratio": 1.25, "period4_ratio": 0.008123}
    table = sr_evaluation.markdown_table(
        {"Set5": {"images": [{}] * 5, "mean": {"model": scores, "bicubic": scores}}})
    header, _, row = table.splitlines()
    assert "period-2 ratio model | period-2 ratio bicubic" in header
    assert row == "| Set5 | 5 | 30.00 | 30.00 | 0.9000 | 0.9000 | - | - | 1.25 | 1.25 | 0.00812 | 0.00812 |"


@pytest.fixture(scope="module")
def random_lpips():
    rng = np.random.RandomState(0)
    heads = [rng.uniform(0, 1, c) for c in (64, 128, 256, 512, 512)]
    return metrics.LPIPS(weights="random", heads=heads)


def test_lpips_is_zero_for_identical_images_and_grows_with_distortion(random_lpips):
    image = random_image(48, 48).astype(np.float32)[None]
    assert float(random_lpips(image, image)[0]) == pytest.approx(0.0, abs=1e-6)
    small = np.clip(image + np.random.RandomState(1).normal(0, 5, image.shape), 0, 255)
    large = np.clip(image + np.random.RandomState(1).normal(0, 40, image.shape), 0, 255)
    d_small, d_large = float(random_lpips(small, image)[0]), float(random_lpips(large, image)[0])
    assert 0.0 < d_small < d_large


def test_histogram_matching_takes_the_reference_distribution():
    rng = np.random.RandomState(0)
    image = rng.randint(0, 128, (30, 30, 3)).astype(np.uint8)
    reference = rng.randint(100, 256, (30, 30, 3)).astype(np.uint8)
    matched = upscale.match_histograms(image, reference)
    assert abs(matched.mean() - reference.mean()) < 3
    order = np.argsort(image[..., 0].ravel(), kind="stable")
    assert (np.diff(matched[..., 0].ravel()[order].astype(int)) >= 0).all()  # monotone


@pytest.mark.slow
def test_evaluate_sr_on_a_two_image_folder(tmp_path, tiny_sr_model):
    hr_dir = tmp_path / "hr"
    hr_dir.mkdir()
    Image.fromarray(random_image(50, 42, seed=1)).save(hr_dir / "one.png")
    Image.fromarray(random_image(37, 64, seed=2)).save(hr_dir / "two.png")
    out = tmp_path / "results.json"
    result = run_cli("kerastransfer.cli.evaluate_sr", f"--model={tiny_sr_model}",
                     f"--hr_dir={hr_dir}", f"--json={out}", "--nolpips")
    assert result.returncode == 0, result.stderr
    assert "| hr | 2 |" in result.stdout
    results = json.loads(out.read_text())["hr"]
    assert [r["image"] for r in results["images"]] == ["one.png", "two.png"]
    for row in results["images"]:
        for kind in ("model", "bicubic"):
            assert np.isfinite(row[kind]["psnr_y"]) and -1 <= row[kind]["ssim_y"] <= 1
            assert row[kind]["period2_ratio"] > 0 and row[kind]["period4_ratio"] > 0
    # bicubic of a blurred, downsampled noise image is a poor but real reconstruction
    assert 5 < results["mean"]["bicubic"]["psnr_y"] < 40


@pytest.mark.slow
def test_upscale_cli_writes_scale_times_larger_image(tmp_path, tiny_sr_model):
    source = tmp_path / "small.png"
    Image.fromarray(random_image(13, 9)).save(source)
    out = tmp_path / "large.png"
    result = run_cli("kerastransfer.cli.upscale", f"--model={tiny_sr_model}", f"--input={source}",
                     f"--output={out}", "--histogram_match")
    assert result.returncode == 0, result.stderr
    assert Image.open(out).size == (36, 52)


@pytest.mark.slow
def test_upscale_refuses_a_style_model(tmp_path, tiny_saved_model):
    source = tmp_path / "small.png"
    Image.fromarray(random_image(40, 40)).save(source)
    result = run_cli("kerastransfer.cli.upscale", f"--model={tiny_saved_model}",
                     f"--input={source}", f"--output={tmp_path / 'o.png'}")
    assert result.returncode != 0
    assert "not a super-resolution model" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "o.png").exists()


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["feature", "pixel"])
def test_train_sr_exports_a_model_with_its_record(tmp_path, photo_dir, loss):
    from kerastransfer.training.config import SRConfig
    from kerastransfer.training.sr_recipe import train_sr_network
    residual = loss == "pixel"  # both network variants go through training and export
    config = SRConfig(scale=4, loss=loss, steps=2, patch_size=32, batch_size=2, filters=8,
                      checkpoint_every=1, vgg_weights="random", residual=residual,
                      mixed_precision="float32")
    path, record = train_sr_network(str(tmp_path / "run"), config, train_dir=str(photo_dir),
                                    sample_image=str(photo_dir / "a.jpg"), verbose=0)
    assert record.scale == 4 and record.train["steps"] == 2
    assert record.loss["kind"] == loss
    assert record.network_config["residual"] == residual
    assert (record.loss["pixel_weight"] > 0) == (loss == "pixel")
    model = tf.saved_model.load(path)
    out = model.signatures["serving_default"](images=tf.zeros([1, 9, 7, 3], tf.uint8))["images"]
    assert out.shape == (1, 36, 28, 3)


def test_a_pixel_objective_runs_no_loss_network_and_can_be_l1():
    from kerastransfer.perceptual.objective import PerceptualObjective
    from kerastransfer.training.sr_recipe import sr_loss_weights
    objective = PerceptualObjective.build(sr_loss_weights("pixel", pixel_loss="l1"))
    assert objective.loss_network is None
    outputs, targets = tf.fill([2, 8, 8, 3], 100.0), tf.fill([2, 8, 8, 3], 151.0)
    terms = objective.terms(outputs, targets)
    assert float(terms["pixel"]) == pytest.approx(51 / 255)
    assert float(terms["total"]) == pytest.approx(51 / 255)
    l2 = PerceptualObjective.build(sr_loss_weights("pixel", pixel_loss="l2")).terms(outputs,
                                                                                    targets)
    assert float(l2["pixel"]) == pytest.approx((51 / 255) ** 2)


def test_a_pixel_term_beside_the_feature_loss():
    from kerastransfer.perceptual.objective import PerceptualObjective
    from kerastransfer.training.sr_recipe import sr_loss_weights
    weights = sr_loss_weights("feature", pixel_weight=100.0, pixel_loss="l2")
    objective = PerceptualObjective.build(weights, vgg_weights="random")
    outputs = tf.constant(random_image(32, 32, seed=1)[None], tf.float32)
    targets = tf.constant(random_image(32, 32, seed=2)[None], tf.float32)
    terms = objective.terms(outputs, targets)
    pixel = float(np.mean(((outputs.numpy() - targets.numpy()) / 255) ** 2))
    assert float(terms["pixel"]) == pytest.approx(100 * pixel, rel=1e-5)
    assert float(terms["total"]) == pytest.approx(float(terms["content"]) + 100 * pixel,
                                                  rel=1e-5)
    assert float(terms["content"]) > 0


def test_feature_layers_are_summed_and_only_for_the_feature_loss():
    from kerastransfer.perceptual.objective import PerceptualObjective
    from kerastransfer.training.config import SRConfig
    from kerastransfer.training.sr_recipe import sr_loss_weights
    outputs = tf.constant(random_image(32, 32, seed=1)[None], tf.float32)
    targets = tf.constant(random_image(32, 32, seed=2)[None], tf.float32)

    def content(layers):
        weights = sr_loss_weights("feature", feature_layers=layers)
        objective = PerceptualObjective.build(weights, vgg_weights="random")
        return float(objective.terms(outputs, targets)["content"])

    keras.utils.set_random_seed(0)  # the same random VGG-16 for all three
    both = content(("relu1_2", "relu2_2"))
    keras.utils.set_random_seed(0)
    first = content(("relu1_2",))
    keras.utils.set_random_seed(0)
    second = content(("relu2_2",))
    assert both == pytest.approx(first + second, rel=1e-4) and first > 0 and second > 0
    with pytest.raises(ValueError, match="--feature_layers is for --loss=feature"):
        SRConfig(loss="pixel", feature_layers=("relu1_2",)).validate()


@pytest.fixture(scope="module")
def recorded_sr_model(tmp_path_factory):
    """A ×4 SR export whose record holds its network, as training writes it."""
    from kerastransfer.artifact import ModelRecord
    from kerastransfer.training import export_run
    net = SuperResolutionNet(scale=4, filters=8)
    net(np.zeros((1, 8, 8, 3), np.float32))
    path, _ = export_run.record_and_export(
        net, ModelRecord(task="super_resolution", name="sr_tiny", scale=4),
        str(tmp_path_factory.mktemp("sr_recorded")))
    return path


def test_warm_start_copies_an_sr_model_of_the_same_scale_and_network(recorded_sr_model):
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.training.sr_recipe import check_warm_start
    from kerastransfer.training.warm_start import copy_weights
    config = {"scale": 4, "filters": 8, "normalization": "batch", "upsampling": "nearest",
              "residual": False, "output_kernel": 9}
    check_warm_start(recorded_sr_model, config)
    network = SuperResolutionNet(**config)
    network(np.zeros((1, 8, 8, 3), np.float32))
    copy_weights(recorded_sr_model, network)
    source = ExportedModel(recorded_sr_model).keras_network()
    for mine, theirs in zip(network.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("change,message", [
    ({"scale": 8}, "is a ×4 model; this run trains ×8 (--scale)"),
    ({"filters": 16}, "its network has filters=8, this run filters=16"),
    ({"output_kernel": 3}, "its network has output_kernel=9, this run output_kernel=3"),
])
def test_warm_start_refuses_another_scale_or_network(recorded_sr_model, change, message):
    from kerastransfer.training.sr_recipe import check_warm_start
    config = {"scale": 4, "filters": 8, "normalization": "batch", "upsampling": "nearest",
              "residual": False, "output_kernel": 9, **change}
    with pytest.raises(ValueError) as raised:
        check_warm_start(recorded_sr_model, config)
    assert message in str(raised.value)


def test_warm_start_refuses_a_style_model(tiny_saved_model):
    from kerastransfer.training.sr_recipe import check_warm_start
    with pytest.raises(ValueError, match="not a super-resolution model"):
        check_warm_start(str(tiny_saved_model), {"scale": 4})


@pytest.mark.slow
def test_train_sr_with_the_cpu_recipe_then_warm_start_the_feature_loss(tmp_path, photo_dir):
    from kerastransfer.training.config import SRConfig
    from kerastransfer.training.sr_recipe import train_sr_network
    pixel = SRConfig(scale=4, loss="pixel", steps=2, patch_size=32, batch_size=2, filters=8,
                     normalization=None, residual=True, output_kernel=3, augment=True,
                     warmup_steps=1, lr_decay="cosine", final_lr_fraction=0.1,
                     pixel_loss="l1", checkpoint_every=1, vgg_weights="random",
                     mixed_precision="float32", seed=0)
    first, record = train_sr_network(str(tmp_path / "pixel"), pixel, train_dir=str(photo_dir),
                                     verbose=0)
    assert record.loss["pixel_loss"] == "l1" and record.train["augment"]
    assert record.train["learning_rate_schedule"] == {
        "peak": 1e-3, "warmup_steps": 1, "decay": "cosine", "final_fraction": 0.1}
    assert record.network_config["output_kernel"] == 3
    # At a learning rate of 1e-8 one step moves no weight by more than about 1e-8, so the
    # ℓfeat run ends where it started: at the weights of the ℓpixel export.
    feature = dataclasses.replace(pixel, loss="feature", pixel_loss="l2", pixel_weight=100.0,
                                  steps=1, warmup_steps=0, learning_rate=1e-8)
    second, record = train_sr_network(str(tmp_path / "feature"), feature,
                                      train_dir=str(photo_dir), init_from=first, verbose=0)
    assert record.train["init_from"] == first
    assert record.loss["kind"] == "feature" and record.loss["pixel_weight"] == 100.0
    from kerastransfer.inference.exported_model import ExportedModel
    started, ended = (ExportedModel(p).keras_network().get_weights() for p in (first, second))
    for a, b in zip(started, ended):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # a resume ignores --init_from: the model it started from may be gone by then
    _, record = train_sr_network(str(tmp_path / "feature"), dataclasses.replace(feature, steps=2),
                                 train_dir=str(photo_dir), init_from="/gone/model", verbose=0)
    assert record.train["steps"] == 2 and record.train["init_from"] == first


def test_a_warm_start_from_a_shipped_name_is_recorded_with_its_version(tmp_path, monkeypatch):
    # "sr_x4" alone would later mean whatever version is newest, so the record pins it
    from kerastransfer.training import warm_start
    for version in ("3", "4"):
        (tmp_path / "models" / "sr_x4" / version).mkdir(parents=True)
        (tmp_path / "models" / "sr_x4" / version / "saved_model.pb").write_bytes(b"")
    monkeypatch.setenv("KERASTRANSFER_MODELS", str(tmp_path / "models"))
    assert warm_start.source_label("sr_x4") == "sr_x4/4"
    path = str(tmp_path / "models" / "sr_x4" / "3")
    assert warm_start.source_label(path) == path
    assert warm_start.source_label(warm_start.CONTENT_ONLY) == warm_start.CONTENT_ONLY
    run = tmp_path / "run"
    assert warm_start.started_from(str(run), lambda: "sr_x4") == "sr_x4"
    (tmp_path / "models" / "sr_x4" / "5").mkdir()
    (tmp_path / "models" / "sr_x4" / "5" / "saved_model.pb").write_bytes(b"")
    # a resume after a newer version is shipped still names the one the run started from
    assert warm_start.started_from(str(run), lambda: "unused") == "sr_x4"
    assert warm_start.started_from_label(str(run)) == "sr_x4/4"


def test_a_run_folder_of_another_scale_is_refused_before_training(tmp_path, photo_dir):
    from kerastransfer.training import run_folder, warm_start
    from kerastransfer.training.config import SRConfig
    from kerastransfer.training.sr_recipe import train_sr_network
    run = str(tmp_path / "run")
    run_folder.check_same_run(run, SRConfig(scale=4).network_config())  # a ×4 run's folder
    with pytest.raises(ValueError, match=r"holds a run with --scale=4, not 8; use a new "
                                         r"--output_dir$"):
        train_sr_network(run, SRConfig(scale=8, steps=1, vgg_weights="random"),
                         train_dir=str(photo_dir), verbose=0)
    # nothing trained: only the two small files a first start writes
    assert set(os.listdir(run)) <= {run_folder.RUN_CONFIG_FILE, warm_start.STARTED_FROM_FILE}
    # the same network goes on in the same folder
    saved = run_folder.check_same_run(run, SRConfig(scale=4).network_config())
    assert saved["scale"] == 4


def test_patch_pipeline_is_deterministic_given_a_seed(photo_dir):
    from kerastransfer.training import data
    first = [b.numpy() for b in data.folder_dataset(str(photo_dir), 32, 2, seed=3, resize=False).take(3)]
    second = [b.numpy() for b in data.folder_dataset(str(photo_dir), 32, 2, seed=3, resize=False).take(3)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("flags,fragment", [
    (["--patch_size=30"], "--patch_size must be a multiple of --scale"),
    (["--loss=perceptual"], "loss"),
    (["--train_dir=/nonexistent"], "no such folder"),
    (["--output_kernel=4"], "--output_kernel must be odd"),
    (["--loss=pixel", "--pixel_weight=1"], "--pixel_weight is for --loss=feature"),
    (["--init_from=/nonexistent"], "not a SavedModel directory"),
])
def test_train_sr_rejects_bad_flags(tmp_path, photo_dir, flags, fragment):
    base = {"--train_dir": str(photo_dir), "--output_dir": str(tmp_path / "run"),
            "--vgg_weights": "random", "--scale": "4"}
    for flag in flags:
        key, value = flag.split("=", 1)
        base[key] = value
    result = run_cli("kerastransfer.cli.train_sr", *[f"{k}={v}" for k, v in base.items()])
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.stderr


def test_the_model_list_names_a_small_output_convolution():
    from kerastransfer.artifact import ModelRecord, network_summary
    record = ModelRecord.from_json({"task": "super_resolution", "scale": 4, "network": {
        "filters": 64, "normalization": None, "residual": True, "output_kernel": 3}})
    assert network_summary(record).endswith("residual, 3×3 output conv")
    record.network["config"]["output_kernel"] = 9  # the paper's: not worth a mention
    assert network_summary(record).endswith("residual")
