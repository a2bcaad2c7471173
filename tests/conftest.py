"""Shared fixtures: tiny photos and a tiny exported model (random weights, no training), and
the serialisation round trip every layer passes."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")


def tone_matched_distance(image, photo):
    """Mean |image - photo| in levels after matching each channel's mean and spread to the
    photo's: how much a style network changed beyond a global shift of colour and contrast."""
    image, photo = image.astype(float), photo.astype(float)
    matched = ((image - image.mean((0, 1))) / (image.std((0, 1)) + 1e-6) * photo.std((0, 1))
               + photo.mean((0, 1)))
    return np.abs(matched - photo).mean()


def random_image(height, width, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory):
    """Six small photos with mixed extensions and cases."""
    directory = tmp_path_factory.mktemp("photos")
    names = ["a.jpg", "b.JPG", "c.png", "d.jpeg", "e.PNG", "f.Jpeg"]
    for i, name in enumerate(names):
        Image.fromarray(random_image(40 + i, 52 - i, seed=i)).save(directory / name)
    (directory / "notes.txt").write_text("not an image")
    return directory


@pytest.fixture(scope="session")
def style_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("style") / "tiny_style.jpg"
    Image.fromarray(random_image(48, 64, seed=99)).save(path)
    return path


@pytest.fixture(scope="session")
def tiny_transformer():
    import keras
    from kerastransfer.models.transformer_net import TransformerNet
    keras.utils.set_random_seed(1)
    net = TransformerNet(width=0.125, name="transformer")
    net(np.zeros((1, 32, 32, 3), np.float32))
    return net


@pytest.fixture(scope="session")
def tiny_saved_model(tmp_path_factory, tiny_transformer):
    """A SavedModel of the tiny untrained network, exported the way training does."""
    from kerastransfer.artifact import ModelRecord
    from kerastransfer.export import saved_model
    path = tmp_path_factory.mktemp("models") / "tiny" / "1"
    record = ModelRecord(task="style", name="tiny", style_image="tiny_style.jpg")
    saved_model.export_saved_model(tiny_transformer, str(path), record)
    return path


@pytest.fixture(scope="session")
def tiny_sr_model(tmp_path_factory):
    """A ×4 super-resolution SavedModel of a tiny untrained network."""
    from kerastransfer.artifact import ModelRecord
    from kerastransfer.export import saved_model
    from kerastransfer.models.sr_net import SuperResolutionNet
    net = SuperResolutionNet(scale=4, filters=8)
    net(np.zeros((1, 8, 8, 3), np.float32))
    path = tmp_path_factory.mktemp("sr") / "sr_tiny" / "1"
    saved_model.export_saved_model(
        net, str(path), ModelRecord(task="super_resolution", name="sr_tiny", scale=4))
    return path


def run_cli(*args, env=None):
    """Runs a console script in a subprocess; returns CompletedProcess with text output."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          env=full_env, timeout=600)


def run_serialization_test(instance, input_shape=(1, 36, 36, 8)):
    """A layer or network survives its config: `get_config` → `from_config` gives the same
    config, and `keras.saving` serialisation (what a model's record stores) rebuilds the
    same class with the same config and the same output for the same weights."""
    import keras
    config = instance.get_config()
    revived = instance.__class__.from_config(config)
    assert revived.get_config() == config
    data = json.loads(json.dumps(keras.saving.serialize_keras_object(instance)))  # as on disk
    rebuilt = keras.saving.deserialize_keras_object(data)
    assert type(rebuilt) is type(instance)
    assert rebuilt.get_config() == config
    x = np.random.RandomState(0).uniform(0, 255, input_shape).astype(np.float32)
    expected = np.asarray(instance(x))
    rebuilt(x)
    rebuilt.set_weights(instance.get_weights())
    np.testing.assert_allclose(np.asarray(rebuilt(x)), expected, rtol=1e-5, atol=1e-4)
