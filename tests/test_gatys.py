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


@pytest.mark.parametrize("method", ["lbfgs", "adam"])
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
    with pytest.raises(ValueError, match="method"):
        gatys.optimize_image(objective, content, iterations=1, method="sgd")
    with pytest.raises(ValueError, match="init"):
        gatys.optimize_image(objective, content, iterations=1, init="zeros")


def test_first_iteration_reaching():
    assert gatys.first_iteration_reaching([5.0, 4.0, 2.0, 1.0], 2.5) == 3
    assert gatys.first_iteration_reaching([5.0, 4.0], 1.0) is None


@pytest.mark.parametrize("method", ["lbfgs", "adam"])
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
