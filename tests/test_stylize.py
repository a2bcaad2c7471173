import numpy as np
import pytest
import tensorflow as tf

from conftest import random_image
from kerastransfer import artifact
from kerastransfer.inference import exported_model, stylize


class Negate:
    """A stand-in model: uint8 batch in, its photographic negative out."""

    def __call__(self, images):
        return 255 - np.asarray(images)


def test_strength_blends_linearly():
    image = random_image(40, 40)
    half = stylize.stylize(Negate(), image, strength=0.5).astype(float)
    np.testing.assert_allclose(half, 127.5, atol=0.51)
    np.testing.assert_array_equal(stylize.stylize(Negate(), image, strength=0.0), image)
    np.testing.assert_array_equal(stylize.stylize(Negate(), image), 255 - image)


def test_preserve_colors_keeps_the_photo_chroma_and_the_styled_luminance():
    image = random_image(40, 48, seed=2)
    out = stylize.stylize(Negate(), image, keep_colors=True).astype(np.float32)
    yuv_out = tf.image.rgb_to_yuv(out / 255.0).numpy()
    yuv_photo = tf.image.rgb_to_yuv(image.astype(np.float32) / 255.0).numpy()
    yuv_styled = tf.image.rgb_to_yuv((255.0 - image.astype(np.float32)) / 255.0).numpy()
    inside = (out > 2).all(-1) & (out < 253).all(-1)  # clipping changes the extremes
    assert inside.mean() > 0.3
    np.testing.assert_allclose(yuv_out[inside][:, 0], yuv_styled[inside][:, 0], atol=0.01)
    np.testing.assert_allclose(yuv_out[inside][:, 1:], yuv_photo[inside][:, 1:], atol=0.01)


def test_max_size_caps_the_longer_side():
    out = stylize.stylize(Negate(), random_image(200, 120), max_size=100)
    assert out.shape == (100, 60, 3)


def test_rejects_bad_strength_and_tiny_images():
    with pytest.raises(ValueError, match="strength"):
        stylize.stylize(Negate(), random_image(40, 40), strength=1.2)
    with pytest.raises(ValueError, match="32x32"):
        stylize.stylize(Negate(), random_image(31, 40))


def test_model_names_resolve_to_the_newest_version(tmp_path, monkeypatch, tiny_saved_model):
    root = tmp_path / "models"
    for version in ("1", "2", "10"):
        target = root / "mystyle" / version
        target.mkdir(parents=True)
        (target / "saved_model.pb").write_bytes(b"")
    (root / "mystyle" / "notaversion").mkdir()
    monkeypatch.setenv("KERASTRANSFER_MODELS", str(root))
    assert artifact.resolve("mystyle") == str(root / "mystyle" / "10")
    assert artifact.available_models() == ["mystyle"]
    assert artifact.resolve(str(tiny_saved_model)) == str(tiny_saved_model)
    assert artifact.resolve(str(tiny_saved_model.parent)) == str(tiny_saved_model)
    with pytest.raises(ValueError, match="shipped: mystyle"):
        artifact.resolve("other")


def test_exported_model_wraps_the_signature(tiny_saved_model):
    model = exported_model.ExportedModel(str(tiny_saved_model))
    assert model.name == "tiny"
    assert model(random_image(35, 33)[None]).shape == (1, 35, 33, 3)


def test_style_scale_runs_the_network_at_the_scaled_size():
    """At scale 2 the network sees half the pixels a side; the result is resized back."""
    from kerastransfer.inference.stylize import stylize
    seen = []

    def network(batch):
        seen.append(batch.shape[1:3])
        return batch
    image = random_image(80, 120)
    out = stylize(network, image, style_scale=2.0)
    assert seen == [(40, 60)] and out.shape == image.shape
    seen.clear()
    np.testing.assert_array_equal(stylize(network, image, style_scale=1.0), image)
    assert seen == [(80, 120)]
