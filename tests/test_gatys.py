import numpy as np
import pytest
import tensorflow as tf

from kerastransfer.perceptual import gatys
from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective


@pytest.fixture(scope="module")
def objective():
    import keras
    keras.utils.set_random_seed(0)
    weights = LossWeights(content_layers=("relu2_2",), style_layers=("relu1_2", "relu2_2"),
                          style_weight=1.0, tv_weight=1e-6)
    style = tf.random.uniform([1, 40, 40, 3], 0, 255, seed=3)
    return PerceptualObjective.build(weights, style, vgg_weights="random")


@pytest.mark.parametrize("method", ["lbfgs", "lbfgs_fixed_step", "adam"])
def test_optimisation_lowers_the_objective(objective, method):
    content = tf.random.uniform([1, 32, 36, 3], 0, 255, seed=4)
    start = float(objective.terms(content, content)["total"])
    image, history = gatys.optimize_image(objective, content, iterations=5, method=method,
                                          learning_rate=2.0)
    assert image.shape == (1, 32, 36, 3)
    assert image.min() >= 0.0 and image.max() <= 255.0
    assert 1 <= len(history) <= 5
    assert history[-1] < start
    assert float(objective.terms(image, content)["total"]) == pytest.approx(history[-1], rel=1e-3)


def test_noise_initialisation_and_bad_options(objective):
    content = tf.random.uniform([1, 32, 32, 3], 0, 255, seed=5)
    _, history = gatys.optimize_image(objective, content, iterations=2, init="noise")
    assert len(history) >= 1
    # one Adam step of 1e-3 levels barely moves the start: the ImageNet mean ± N(0, 1)
    grey, _ = gatys.optimize_image(objective, content, iterations=1, init="grey_noise",
                                   method="adam", learning_rate=1e-3)
    np.testing.assert_allclose(grey.mean(axis=(0, 1, 2)), [123.68, 116.779, 103.939], atol=0.5)
    assert 0.8 < grey.std(axis=(0, 1, 2)).mean() < 1.2
    with pytest.raises(ValueError, match="method"):
        gatys.optimize_image(objective, content, iterations=1, method="sgd")
    with pytest.raises(ValueError, match="init"):
        gatys.optimize_image(objective, content, iterations=1, init="zeros")


def test_fixed_step_lbfgs_solves_a_quadratic_with_one_evaluation_an_iteration():
    """Torch's optim.lbfgs without a line search: on an ill-conditioned quadratic inside
    [0, 255] it converges, and each iteration costs exactly one evaluation."""
    scales = tf.constant([1.0, 10.0, 100.0, 0.5])
    centre = tf.constant([100.0, 30.0, 200.0, 60.0])
    calls = []

    def step(image):
        calls.append(1)
        difference = tf.reshape(image, [-1]) - centre
        return (tf.reduce_sum(scales * difference ** 2),
                tf.reshape(2.0 * scales * difference, image.shape))

    start = np.full([1, 1, 1, 4], 128.0, np.float32)
    image, history = gatys._lbfgs_fixed_step(step, start, 30, gatys._History())
    assert len(calls) == len(history) + 1 == 31
    np.testing.assert_allclose(image.ravel(), centre.numpy(), atol=1e-2)
    assert history[-1] < 1e-4 * float(step(tf.constant(start))[0])


def test_first_iteration_reaching():
    assert gatys.first_iteration_reaching([5.0, 4.0, 2.0, 1.0], 2.5) == 3
    assert gatys.first_iteration_reaching([5.0, 4.0], 1.0) is None


@pytest.mark.parametrize("method", ["lbfgs", "lbfgs_fixed_step", "adam"])
def test_stop_at_ends_the_run_at_the_first_iteration_reaching_it(objective, method):
    content = tf.random.uniform([1, 32, 32, 3], 0, 255, seed=6)
    _, full = gatys.optimize_image(objective, content, iterations=6, method=method,
                                   init="noise", learning_rate=2.0)
    target = full[2]
    _, stopped = gatys.optimize_image(objective, content, iterations=6, method=method,
                                      init="noise", learning_rate=2.0, stop_at=target)
    first = gatys.first_iteration_reaching(full, target)
    assert len(stopped) == first <= 3 < len(full)
    assert stopped[-1] <= target
