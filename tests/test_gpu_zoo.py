"""tools/gpu_zoo's TensorFlow side: weights trained elsewhere, by Keras variable path,
come back into a network exactly, and a missing or misshapen one is refused."""
import os
import sys

import numpy as np
import pytest

from conftest import REPO
from kerastransfer.models.transformer_net import TransformerNet

sys.path.insert(0, os.path.join(REPO, "tools", "gpu_zoo"))
import keras_weights  # noqa: E402


def built(seed):
    import keras
    keras.utils.set_random_seed(seed)
    net = TransformerNet(width=0.125, decoder_normalization="demodulated")
    net(np.zeros((1, 32, 32, 3), np.float32))
    return net


def by_path(net):
    return {v.path.removeprefix(f"{net.name}/"): np.asarray(v.numpy()) for v in net.weights}


def test_weights_by_path_round_trip():
    source, target = built(0), built(1)
    photo = np.random.default_rng(0).uniform(0, 255, (1, 40, 36, 3)).astype(np.float32)
    assert not np.allclose(source(photo), target(photo))
    keras_weights.set_weights_by_path(target, by_path(source))
    np.testing.assert_array_equal(np.asarray(source(photo)), np.asarray(target(photo)))


def test_missing_or_misshapen_weights_are_refused():
    net = built(0)
    weights = by_path(net)
    missing = dict(weights)
    del missing["res3/conv1/norm/gamma"]
    with pytest.raises(ValueError, match="no weights for res3/conv1/norm/gamma"):
        keras_weights.set_weights_by_path(net, missing)
    misshapen = {**weights, "conv1/conv/kernel": np.zeros((3, 3, 3, 4), np.float32)}
    with pytest.raises(ValueError, match="conv1/conv/kernel: shape"):
        keras_weights.set_weights_by_path(net, misshapen)


def test_record_says_where_and_how_the_weights_were_trained():
    source = {"path": "saved_models/udnie/3",
              "record": {"train": {"data": "train_photos", "weights_sha256": "abc"}}}
    run = {"steps": 12700, "batch_size": 4, "crop": 256, "wall_seconds": 60.3,
           "learning_rate_schedule": {"peak": 1e-3, "warmup_steps": 50, "decay": "cosine",
                                      "final_fraction": 0.1}}
    train = keras_weights.train_fields(source, run, {"device": "NVIDIA H200",
                                                      "jax": "0.11.2"})
    assert train["init_from"] == "udnie/3"
    assert train["steps"] == 12700 and train["image_size"] == 256
    assert train["machine"].startswith("NVIDIA H200, JAX 0.11.2")
    assert train["weights_sha256"] == "abc"
    assert train["crop_phases"] == [{"batch_size": 4, "crop_size": 256, "scale_to": 256,
                                     "until_step": None}]
