"""The faster inference pass computes the same function as the Keras network."""
import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import random_image
from kerastransfer.export import saved_model
from kerastransfer.models import inference_graph
from kerastransfer.models.layers import InstanceNormalization
from kerastransfer.models.sr_net import SuperResolutionNet
from kerastransfer.models.transformer_net import TransformerNet


def _trained_looking(network, seed=0):
    """Random norm scales, offsets and moving statistics, and non-zero biases and SR
    correction, so none of them is a no-op 1 or 0 that a wrong rewrite would get away with."""
    network(np.zeros((1, 32, 32, 3), np.float32))
    rng = np.random.default_rng(seed)
    ranges = {"gamma": (0.5, 1.5), "beta": (-0.5, 0.5), "moving_mean": (-0.3, 0.3),
              "moving_variance": (0.5, 2.0), "bias": (-0.2, 0.2)}
    for variable in network.variables:
        name = variable.name
        if name == "kernel" and "correction" in variable.path:
            name, ranges["kernel"] = "kernel", (-0.02, 0.02)  # it starts at zero
        if name in ranges:
            variable.assign(rng.uniform(*ranges[name], variable.shape).astype(np.float32))
    return network


@pytest.fixture(scope="module")
def network():
    keras.utils.set_random_seed(7)
    return _trained_looking(TransformerNet(width=0.25))


@pytest.mark.parametrize("shape", [(1, 32, 32), (1, 37, 53), (2, 64, 41), (1, 95, 128)])
def test_forward_matches_the_keras_pass(network, shape):
    images = np.stack([random_image(*shape[1:], seed=i) for i in range(shape[0])])
    images = images.astype(np.float32)
    expected = network(images, training=False).numpy()
    actual = inference_graph.forward(network, images).numpy()
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() < 0.05  # levels of 255: rounding only
    assert expected.std() > 5  # a real, varied output, not a constant both agree on


def _float64_copy(network):
    """The same network computing in float64 throughout, instance norm included (the
    Keras layer takes its statistics in float32 whatever the policy)."""
    keras.config.set_dtype_policy("float64")
    try:
        double = TransformerNet.from_config(network.get_config() | {"dtype": "float64"})
        double(np.zeros((1, 32, 32, 3)))
    finally:
        keras.config.set_dtype_policy("float32")
    double.set_weights([np.float64(w) for w in network.get_weights()])
    for layer in double._flatten_layers():
        if isinstance(layer, InstanceNormalization):
            layer.call = functools.partial(_instance_norm_float64, layer)
    return double


def _instance_norm_float64(layer, x):
    mean, variance = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    return (x - mean) * tf.math.rsqrt(variance + layer.epsilon) * layer.gamma + layer.beta


def test_a_flat_image_with_a_small_object_stays_accurate(network):
    """A channel that barely varies multiplies any error in its mean by up to
    1/sqrt(epsilon). On a grey page with one small object the float32 Keras pass is
    itself levels off; the fused form (naive sums) was worse until it centred its input."""
    image = np.full((1, 384, 384, 3), 200, np.float32)
    image[:, 180:196, 180:196] = random_image(16, 16, seed=8)
    truth = _float64_copy(network)(image.astype(np.float64), training=False).numpy()
    fast_error = np.abs(inference_graph.forward(network, image).numpy() - truth).max()
    keras_error = np.abs(network(image, training=False).numpy() - truth).max()
    assert fast_error < 3 and fast_error < keras_error


def test_each_image_of_a_batch_is_normalised_on_its_own(network):
    dark, bright = random_image(40, 40, seed=1) // 4, random_image(40, 40, seed=2)
    together = inference_graph.forward(network, np.stack([dark, bright]).astype(np.float32))
    alone = inference_graph.forward(network, dark[None].astype(np.float32))
    assert np.abs(together.numpy()[0] - alone.numpy()[0]).max() < 0.05


def test_bfloat16_forward_loses_no_more_than_the_bfloat16_keras_pass(network):
    images = random_image(48, 64, seed=3)[None].astype(np.float32)
    with saved_model.computing_in(network, "mixed_bfloat16"):
        keras_half = network(images, training=False).numpy()
        fast_half = inference_graph.forward(network, images).numpy()
    full = network(images, training=False).numpy()
    keras_error, fast_error = (np.abs(half - full).mean() for half in (keras_half, fast_half))
    assert 0 < fast_error <= 1.5 * keras_error  # > 0: it really computed in bfloat16


@pytest.mark.parametrize("config", [dict(padding="paper"), dict(normalization="batch"),
                                    dict(upsampling="transpose")])
def test_other_layouts_run_the_keras_pass_itself(config):
    keras.utils.set_random_seed(3)
    network = TransformerNet(width=0.125, **config)
    images = random_image(64, 48, seed=4)[None].astype(np.float32)
    assert not inference_graph.supports(network)
    np.testing.assert_array_equal(inference_graph.forward(network, images).numpy(),
                                  network(images, training=False).numpy())


@pytest.mark.parametrize("config", [dict(scale=4), dict(scale=2, residual=False),
                                    dict(scale=2, normalization=None, residual=True),
                                    dict(scale=2, normalization=None, residual=True,
                                         output_kernel=3),
                                    dict(scale=2, residual=False, output_kernel=3)])
def test_super_resolution_forward_matches_the_keras_pass(config):
    keras.utils.set_random_seed(5)
    network = _trained_looking(SuperResolutionNet(filters=8, **config), seed=1)
    assert inference_graph.supports(network)
    images = np.stack([random_image(17, 23, seed=i) for i in range(2)]).astype(np.float32)
    expected = network(images, training=False).numpy()
    actual = inference_graph.forward(network, images).numpy()
    assert actual.shape == expected.shape == (2, 17 * config["scale"], 23 * config["scale"], 3)
    assert np.abs(actual - expected).max() < 0.05
    assert expected.std() > 1  # a varied output, not one value both agree on


def _op_types(signature):
    graph = signature.graph
    types = {op.type for op in graph.get_operations()}
    for function in graph.as_graph_def().library.function:
        types |= {node.op for node in function.node_def}
    return types


def test_saved_model_serves_the_fast_pass_and_keeps_a_portable_one(tiny_saved_model):
    model = tf.saved_model.load(str(tiny_saved_model))
    fast, portable = model.signatures["serving_default"], model.signatures["serving_portable"]
    assert "FusedBatchNormV3" in _op_types(fast)
    assert "FusedBatchNormV3" not in _op_types(portable)  # the TF.js converter's limit
    x = tf.constant(random_image(45, 70, seed=6)[None])
    difference = fast(images=x)["images"].numpy().astype(int) - portable(images=x)["images"].numpy()
    assert np.abs(difference).max() <= 1
