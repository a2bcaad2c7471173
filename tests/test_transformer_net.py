import itertools

import keras
import numpy as np
import pytest

from kerastransfer.models.layers import InstanceNormalization
from kerastransfer.models.transformer_net import TransformerNet

ODD_SIZES = [(32, 32), (33, 47), (65, 34), (37, 101)]


@pytest.mark.parametrize("padding,upsampling,normalization",
                         list(itertools.product(["reflect", "paper"], ["nearest", "transpose"],
                                                ["instance", "batch"])))
def test_output_matches_input_size_for_odd_sizes(padding, upsampling, normalization):
    net = TransformerNet(width=0.125, padding=padding, upsampling=upsampling,
                         normalization=normalization)
    for h, w in ODD_SIZES:
        out = np.asarray(net(np.random.uniform(0, 255, (2, h, w, 3)).astype("float32")))
        assert out.shape == (2, h, w, 3)
        assert out.min() >= 0.0 and out.max() <= 255.0


def test_width_multiplier_scales_channels():
    half, full = TransformerNet(width=0.5), TransformerNet(width=1.0)
    x = np.zeros((1, 32, 32, 3), np.float32)
    half(x), full(x)
    assert half.conv1.conv.filters == 16 and full.conv1.conv.filters == 32
    assert half.count_params() < full.count_params() / 3


def test_config_round_trip_gives_same_outputs():
    net = TransformerNet(width=0.125, padding="paper", upsampling="transpose")
    x = np.random.uniform(0, 255, (1, 40, 36, 3)).astype("float32")
    y = net(x)
    clone = TransformerNet.from_config(net.get_config())
    clone(x)
    clone.set_weights(net.get_weights())
    assert clone.get_config()["padding"] == "paper"
    np.testing.assert_allclose(clone(x), y, atol=1e-4)


def test_rejects_unknown_options():
    with pytest.raises(ValueError, match="padding"):
        TransformerNet(padding="zeros")
    with pytest.raises(ValueError, match="normalization"):
        TransformerNet(normalization="layer")


def test_instance_norm_normalises_each_image_and_channel():
    x = np.random.RandomState(0).normal(5.0, 3.0, (2, 9, 7, 4)).astype("float32")
    y = np.asarray(InstanceNormalization()(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1.0, atol=1e-2)


def test_instance_norm_keeps_compute_dtype_under_mixed_precision():
    layer = InstanceNormalization(dtype="mixed_bfloat16")
    y = layer(keras.ops.ones((1, 4, 4, 2), dtype="bfloat16"))
    assert keras.backend.standardize_dtype(y.dtype) == "bfloat16"
