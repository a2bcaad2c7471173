import numpy as np
import pytest
import tensorflow as tf

from kerastransfer.training import data


def test_folder_lists_every_case_of_image_extension_and_nothing_else(photo_dir):
    names = sorted(p.split("/")[-1] for p in data.list_images(str(photo_dir)))
    assert names == ["a.jpg", "b.JPG", "c.png", "d.jpeg", "e.PNG", "f.Jpeg"]


def test_folder_dataset_gives_square_float_batches(photo_dir):
    batch = next(iter(data.folder_dataset(str(photo_dir), image_size=32, batch_size=3, seed=1)))
    assert batch.shape == (3, 32, 32, 3) and batch.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(batch)) and float(tf.reduce_max(batch)) <= 255.0


def test_empty_or_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no .jpg"):
        data.list_images(str(tmp_path))
    with pytest.raises(ValueError, match="not a directory"):
        data.list_images(str(tmp_path / "missing"))


def test_resize_and_crop_keeps_aspect_then_crops():
    image = tf.cast(tf.reshape(tf.range(60 * 90 * 3) % 256, (60, 90, 3)), tf.uint8)
    crop = data.resize_and_crop(image, 30, random=False)
    assert crop.shape == (30, 30, 3)


def test_style_image_longer_side_is_resized(tmp_path):
    from PIL import Image
    Image.fromarray(np.zeros((50, 100, 3), np.uint8)).save(tmp_path / "s.png")
    assert data.load_style_image(str(tmp_path / "s.png"), 64).shape == (1, 32, 64, 3)


def test_tfds_pipeline_on_mocked_data():
    import tensorflow_datasets as tfds
    with tfds.testing.mock_data(num_examples=6):
        batch = next(iter(data.tfds_dataset("tf_flowers", image_size=32, batch_size=2, seed=0)))
    assert batch.shape == (2, 32, 32, 3) and batch.dtype == tf.float32


def _batches(photo_dir, count=3, **kwargs):
    dataset = data.folder_dataset(str(photo_dir), image_size=32, batch_size=4, seed=3, **kwargs)
    return [b.numpy() for b in dataset.take(count)]


@pytest.mark.parametrize("resize", [False, True])
def test_cached_decoded_photos_give_the_same_crops(photo_dir, resize):
    for cached, encoded in zip(_batches(photo_dir, resize=resize, cache_decoded=True),
                               _batches(photo_dir, resize=resize)):
        np.testing.assert_array_equal(cached, encoded)


def _orientations(square):
    """The 8 orientations of a square [S, S, C]: 4 quarter turns, each flipped or not."""
    turns = [np.rot90(square, k) for k in range(4)]
    return turns + [t[:, ::-1] for t in turns]


def test_augment_shows_each_crop_in_a_random_orientation(photo_dir):
    seen = set()
    for plain, augmented in zip(_batches(photo_dir, 6, resize=False, cache_decoded=True),
                                _batches(photo_dir, 6, resize=False, cache_decoded=True,
                                         augment=True)):
        for a, b in zip(plain, augmented):
            matches = [i for i, o in enumerate(_orientations(a)) if np.array_equal(o, b)]
            assert matches, "an augmented crop is the plain crop turned or flipped"
            seen.add(matches[0])
    assert len(seen) >= 3  # 4 possible: transposed or not × flipped upside down or not


def test_a_patch_kept_at_the_photos_size_has_its_exact_pixels():
    image = tf.constant(np.random.RandomState(0).randint(0, 256, (40, 52, 3)), tf.uint8)
    patch = data.resize_and_crop(image, 32, resize=False, seed=tf.constant([1, 2])).numpy()
    windows = np.lib.stride_tricks.sliding_window_view(image.numpy(), (32, 32, 3))[..., 0, :, :, :]
    found = (windows == patch).all(axis=(-3, -2, -1)) | (windows == patch[:, ::-1]).all(
        axis=(-3, -2, -1))
    assert found.any()
