"""Tiling: a huge image in tiles gives the untiled result (tiny networks, small tiles)."""
import numpy as np
import pytest

from conftest import random_image, run_cli
from kerastransfer.inference import tiling
from kerastransfer.models.norm_statistics import StatisticsScope


def smooth_image(height, width, seed=0):
    """A photo-like image (smooth, with edges) rather than noise, so statistics vary."""
    import tensorflow as tf
    small = random_image(max(4, height // 16), max(4, width // 16), seed=seed)
    big = tf.image.resize(small.astype(np.float32), (height, width), method="bicubic")
    return np.clip(np.round(big.numpy()), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def style_net():
    import keras
    from kerastransfer.models.transformer_net import TransformerNet
    keras.utils.set_random_seed(3)
    net = TransformerNet(width=0.125, residual_blocks=1, name="transformer")
    net(np.zeros((1, 32, 32, 3), np.float32))
    # Untrained instance-norm scales are all 1: vary them so statistics matter more.
    for variable in net.variables:
        if variable.path.endswith(("gamma", "beta")):
            variable.assign(np.random.RandomState(0).uniform(0.5, 1.5, variable.shape))
    return net


@pytest.fixture(scope="module")
def sr_net():
    import keras
    from kerastransfer.models.sr_net import SuperResolutionNet
    keras.utils.set_random_seed(4)
    net = SuperResolutionNet(scale=2, filters=8, residual_blocks=1, name="transformer")
    net(np.zeros((1, 32, 32, 3), np.float32))
    return net


def untiled(net, image):
    out = np.asarray(net(image[np.newaxis].astype(np.float32), training=False))[0]
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def mean_abs_difference(a, b):
    return np.abs(a.astype(int) - b.astype(int)).mean(), np.abs(a.astype(int) - b.astype(int)).max()


def test_spans_cover_the_image_on_the_downsampling_grid():
    for length in (33, 100, 257, 1031):
        spans = tiling.tile_spans(length, 64, 16)
        assert spans[0][0] == 0 and spans[-1][1] == length
        for (a, b, lo, hi), following in zip(spans, spans[1:] + [None]):
            assert a % tiling.ALIGN == 0 and b - a >= tiling.MIN_TILE
            assert lo == max(0, a - 16) and hi == min(length, b + 16)
            if following:
                assert following[0] == b


def test_blending_ramps_sum_to_one():
    length, blend = 300, 8
    total = np.zeros(length)
    for a, b, _, _ in tiling.tile_spans(length, 64, 16):
        start, end, weight = tiling.ramp(a, b, length, blend)
        total[start:end] += weight
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


def test_statistics_streamed_over_tiles_equal_the_whole_image_statistics(style_net):
    image = smooth_image(150, 131)
    with StatisticsScope() as whole:
        style_net(image[np.newaxis].astype(np.float32))
    streamed = tiling.TiledNetwork(style_net, tile_size=64, margin=32).image_statistics(image)
    assert len(streamed) == len(whole.measured) == 7  # conv1-3, 2 residual convs, up1, up2
    for (mean, variance), (whole_mean, whole_variance, _) in zip(streamed, whole.measured):
        np.testing.assert_allclose(mean, whole_mean, rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(variance, whole_variance, rtol=1e-3, atol=1e-3)


def test_tiled_style_network_matches_untiled_on_odd_sizes(style_net):
    image = smooth_image(150, 131, seed=1)
    tiled = tiling.TiledNetwork(style_net, tile_size=64, margin=32)(image)
    assert tiled.shape == image.shape and tiled.dtype == np.uint8
    mad, worst = mean_abs_difference(tiled, untiled(style_net, image))
    assert mad <= 0.05 and worst <= 2


def test_a_tile_normalised_by_itself_comes_out_different(style_net):
    """Why tiles must share the whole image's statistics."""
    image = smooth_image(150, 131, seed=1)
    with StatisticsScope() as whole:
        style_net(image[np.newaxis].astype(np.float32))
    corner = image[np.newaxis, :64, :64].astype(np.float32)
    with StatisticsScope(whole.moments()):
        shared = np.asarray(style_net(corner))
    assert np.abs(np.asarray(style_net(corner)) - shared).mean() > 1


def test_tiled_super_resolution_matches_untiled(sr_net):
    image = smooth_image(75, 61, seed=2)
    tiled = tiling.TiledNetwork(sr_net, tile_size=64)(image)
    assert tiled.shape == (150, 122, 3)
    mad, worst = mean_abs_difference(tiled, untiled(sr_net, image))
    assert mad <= 0.05 and worst <= 2


@pytest.fixture(scope="module")
def exported_style(tmp_path_factory, style_net):
    import keras
    from kerastransfer.artifact import ModelRecord
    from kerastransfer.export import saved_model
    path = tmp_path_factory.mktemp("tiling") / "tiny_tiled" / "1"
    record = ModelRecord(task="style", name="tiny_tiled", style_image="x.jpg",
                         network=keras.saving.serialize_keras_object(style_net))
    saved_model.export_saved_model(style_net, str(path), record)
    return path


def test_stylize_tiles_above_the_threshold_with_the_same_result(exported_style):
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.inference.stylize import stylize
    model = ExportedModel(str(exported_style))
    image = smooth_image(97, 130, seed=5)
    one_pass = stylize(model, image, strength=0.6)
    tiled = stylize(model, image, strength=0.6, tile_size=64, tile_above_pixels=0)
    assert tiled.shape == one_pass.shape
    mad, worst = mean_abs_difference(tiled, one_pass)
    assert mad <= 0.05 and worst <= 2


@pytest.mark.slow
def test_cli_tiles_on_request_and_refuses_a_tiny_tile(tmp_path, exported_style):
    from PIL import Image
    Image.fromarray(smooth_image(97, 130, seed=6)).save(tmp_path / "in.png")
    outputs = {}
    for name, flags in (("one", ["--tile_size=0"]),
                        ("tiled", ["--tile_size=64", "--tile_above_pixels=1000"])):
        result = run_cli("kerastransfer.cli.stylize", f"--model={exported_style}",
                         f"--input={tmp_path / 'in.png'}", f"--output={tmp_path / name}.png",
                         *flags)
        assert result.returncode == 0, result.stderr
        outputs[name] = np.asarray(Image.open(tmp_path / f"{name}.png"))
    assert mean_abs_difference(outputs["one"], outputs["tiled"])[0] <= 0.05
    result = run_cli("kerastransfer.cli.stylize", f"--model={exported_style}",
                     f"--input={tmp_path / 'in.png'}", f"--output={tmp_path / 'bad.png'}",
                     "--tile_size=10")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --tile_size must be 0 or >= 64"
    assert not (tmp_path / "bad.png").exists()


def test_cli_default_tile_size_is_the_library_default():
    from kerastransfer.cli import tiling_flags
    assert tiling_flags.FLAGS["tile_size"].default == tiling.TILE_SIZE


def test_upscale_tiles_an_exported_sr_model_with_the_same_result(tmp_path, sr_net):
    from kerastransfer.export import saved_model
    from kerastransfer.inference.upscale import upscale
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.artifact import ModelRecord
    network = {k: v for k, v in sr_net.get_config().items()  # a record from before the
               if k in ("scale", "filters", "residual_blocks", "normalization", "upsampling")}
    path = saved_model.export_saved_model(  # network was serialised whole: still read
        sr_net, str(tmp_path / "sr" / "1"),
        ModelRecord.from_json({"task": "super_resolution", "name": "sr", "scale": 2,
                               "network": network}))
    model = ExportedModel(path)
    image = smooth_image(70, 45, seed=7)
    tiled = upscale(model, image, 2, tile_size=64, tile_above_pixels=0)
    assert tiled.shape == (140, 90, 3)
    mad, worst = mean_abs_difference(tiled, upscale(model, image, 2, tile_size=0))
    assert mad <= 0.05 and worst <= 2


def test_a_model_without_its_network_record_cannot_be_tiled(tiny_saved_model):
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.inference.stylize import stylize
    model = ExportedModel(str(tiny_saved_model))
    with pytest.raises(ValueError, match="no network configuration"):
        stylize(model, smooth_image(40, 40), tile_above_pixels=0)
