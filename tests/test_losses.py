import numpy as np
import pytest

from kerastransfer.perceptual import losses


def test_gram_matrix_known_value():
    # one image, H=1, W=2, C=2: psi = [[1, 3], [2, 4]] (C x HW) -> psi psi^T / (C H W)
    features = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], np.float32)
    expected = np.array([[1 * 1 + 3 * 3, 1 * 2 + 3 * 4], [2 * 1 + 4 * 3, 2 * 2 + 4 * 4]]) / 4.0
    np.testing.assert_allclose(losses.gram_matrix(features)[0], expected, rtol=1e-6)


def test_gram_matrix_is_symmetric_and_size_normalised():
    rng = np.random.RandomState(0)
    small = rng.rand(1, 4, 4, 3).astype(np.float32)
    tiled = np.tile(small, (1, 2, 2, 1))  # same statistics, 4x the pixels
    g_small, g_tiled = losses.gram_matrix(small)[0], losses.gram_matrix(tiled)[0]
    np.testing.assert_allclose(g_small, np.transpose(g_small), rtol=1e-6)
    np.testing.assert_allclose(g_small, g_tiled, rtol=1e-5)


def test_feature_reconstruction_loss_is_mean_squared_distance():
    a = np.zeros((2, 2, 3, 4), np.float32)
    b = np.full((2, 2, 3, 4), 3.0, np.float32)
    assert float(losses.feature_reconstruction_loss(a, b)) == pytest.approx(9.0)
    assert float(losses.feature_reconstruction_loss(a, a)) == 0.0


def test_style_reconstruction_loss_sums_layers_of_frobenius_distances():
    f = {"l1": np.ones((1, 2, 2, 2), np.float32), "l2": np.ones((1, 1, 1, 3), np.float32)}
    targets = {"l1": np.zeros((2, 2), np.float32), "l2": np.zeros((3, 3), np.float32)}
    # gram of all-ones: l1 -> every entry 4/8 = 0.5 (4 entries); l2 -> every entry 1/3 (9 entries)
    expected = 4 * 0.5 ** 2 + 9 * (1 / 3) ** 2
    assert float(losses.style_reconstruction_loss(f, targets)) == pytest.approx(expected, rel=1e-5)
    same = {k: losses.gram_matrix(v)[0] for k, v in f.items()}
    assert float(losses.style_reconstruction_loss(f, same)) == pytest.approx(0.0, abs=1e-7)


def test_total_variation_loss_counts_absolute_neighbour_differences():
    image = np.zeros((1, 3, 3, 1), np.float32)
    image[0, 1, 1, 0] = 10.0  # four neighbours differ by 10
    assert float(losses.total_variation_loss(image)) == pytest.approx(40.0)
    assert float(losses.total_variation_loss(np.full((1, 5, 5, 3), 7.0, np.float32))) == 0.0


def test_pixel_loss_on_unit_scale():
    a = np.zeros((1, 2, 2, 3), np.float32)
    b = np.full((1, 2, 2, 3), 255.0, np.float32)
    assert float(losses.pixel_loss(a, b)) == pytest.approx(1.0)


def test_loss_weights_round_trip_through_a_model_record():
    from kerastransfer.perceptual.objective import LossWeights
    weights = LossWeights(content_layers=("relu2_2",), style_weight=3.0, tv_weight=2e-7)
    record_loss = {**weights.to_json(), "kind": "feature"}  # SR records add keys
    assert LossWeights.from_json(record_loss) == weights
