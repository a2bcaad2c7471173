"""Training data as `tf.data` pipelines: square crops of photos from a folder or tfds.

Images come out as float32 [batch, size, size, 3] in [0, 255].
"""
import dataclasses
import os

import numpy as np
import tensorflow as tf

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


@dataclasses.dataclass(frozen=True)
class CropPhase:
    """Training crops of `crop_size` px cut from photos scaled so their shorter side is
    `scale_to`, `batch_size` at a time, until the optimizer has taken `until_step` steps
    (None: to the end)."""
    crop_size: int
    scale_to: int
    batch_size: int
    until_step: int = None

    def to_json(self):
        return dataclasses.asdict(self)


def list_images(directory, extensions=IMAGE_EXTENSIONS):
    """Sorted paths of the files directly in `directory` whose extension (any case) is
    one of `extensions`."""
    if not os.path.isdir(directory):
        raise ValueError(f"{directory}: not a directory")
    paths = sorted(os.path.join(directory, f) for f in os.listdir(directory)
                   if f.lower().endswith(extensions)
                   and os.path.isfile(os.path.join(directory, f)))
    if not paths:
        raise ValueError(f"{directory}: no {', '.join(extensions)} images found")
    return paths


def decode_rgb(encoded):
    """Encoded JPEG/PNG (/GIF/BMP first frame) → uint8 [H, W, 3]."""
    return tf.io.decode_image(encoded, channels=3, expand_animations=False)


def resize_and_crop(image, size, random=True, seed=None, resize=True, scale_to=None):
    """Resizes so the shorter side is `scale_to` (default `size`), then crops a size×size
    square.

    The paper resizes COCO images to 256×256; cropping instead keeps aspect ratio. A
    `scale_to` above `size` cuts a small crop at a larger scale: 128-px crops of photos
    scaled to 256 show strokes and objects at the size they have in 256-px training.
    With `resize=False` (super-resolution patches, which must keep the photo's own
    detail) images are only enlarged when their shorter side is below `size`; a photo
    kept at its size is cropped as it is (a resize to the same size would copy it).
    `seed`: a [2] int32 tensor for the stateless random crop and flip.
    """
    shape = tf.shape(image)
    h, w = tf.cast(shape[0], tf.float32), tf.cast(shape[1], tf.float32)
    scale = tf.cast(scale_to or size, tf.float32) / tf.minimum(h, w)
    if not resize:
        scale = tf.maximum(scale, 1.0)
    new_hw = tf.maximum(tf.cast(tf.math.ceil(tf.stack([h, w]) * scale), tf.int32), size)
    image = tf.cond(tf.reduce_all(new_hw == shape[:2]),
                    lambda: tf.cast(image, tf.float32),
                    lambda: tf.image.resize(image, new_hw, method="bilinear", antialias=True))
    if random:
        if seed is None:
            seed = tf.random.uniform([2], maxval=2**31 - 1, dtype=tf.int32)
        image = tf.image.stateless_random_crop(image, [size, size, 3], seed=seed)
        # tf.reverse, not seed[::-1] (the same seed): beside a tf.cond, a negative-stride
        # slice makes Grappler's remapper log an error on every run
        image = tf.image.stateless_random_flip_left_right(image, seed=tf.reverse(seed, [0]))
    else:
        image = tf.image.resize_with_crop_or_pad(image, size, size)
    return tf.clip_by_value(image, 0.0, 255.0)


def random_orientation(square, seed):
    """`square` [S, S, C] transposed or not and flipped upside down or not, at random
    (`seed`: [2] int32, stateless). With the random left-right flip of `resize_and_crop`
    this shows each of the 8 orientations of the square (the flips, the quarter turns and
    the two transposes) equally often."""
    transpose = tf.random.stateless_uniform(
        [], tf.random.experimental.stateless_fold_in(seed, 1)) < 0.5
    square = tf.cond(transpose, lambda: tf.transpose(square, [1, 0, 2]), lambda: square)
    return tf.image.stateless_random_flip_up_down(
        square, tf.random.experimental.stateless_fold_in(seed, 2))


def _crops(images, image_size, batch_size, seed, shuffle_buffer, resize=True, scale_to=None,
           decoded=False, augment=False):
    """Shuffled, repeated, cropped and batched; the same batches for the same `seed`
    (crops use stateless random ops keyed by (seed, example index)). `images` are
    encoded files, or uint8 [H, W, 3] images when `decoded`; `augment` adds
    `random_orientation`."""
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))

    def crop(index, image):
        example_seed = tf.stack([tf.constant(seed, tf.int32),
                                 tf.cast(index % (2**31 - 1), tf.int32)])
        image = image if decoded else decode_rgb(image)
        patch = resize_and_crop(image, image_size, resize=resize, scale_to=scale_to,
                                seed=example_seed)
        return random_orientation(patch, example_seed) if augment else patch

    ds = images.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.repeat().enumerate()
    ds = ds.map(crop, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def folder_dataset(directory, image_size=256, batch_size=4, seed=None, resize=True,
                   scale_to=None, cache_decoded=False, augment=False):
    """Endless shuffled batches of random crops from the images in `directory`.

    The encoded files are read once and kept in memory (the training folder is 52 MiB).
    With `cache_decoded` the decoded images are kept instead (H×W×3 bytes each: 432 MiB
    for ../shared/data/train_photos), so a batch of small crops decodes no JPEG; the
    crops are the same."""
    paths = list_images(directory)
    files = tf.data.Dataset.from_tensor_slices(paths).map(
        tf.io.read_file, num_parallel_calls=tf.data.AUTOTUNE)
    if cache_decoded:
        files = files.map(decode_rgb, num_parallel_calls=tf.data.AUTOTUNE)
    return _crops(files.cache(), image_size, batch_size, seed, shuffle_buffer=len(paths),
                  resize=resize, scale_to=scale_to, decoded=cache_decoded, augment=augment)


def tfds_dataset(name="coco/2017", split="train", image_size=256, batch_size=4, seed=None,
                 data_dir=None, resize=True, scale_to=None, augment=False):
    """The same from a TensorFlow Datasets image dataset (COCO in the paper).

    Needs `tensorflow-datasets` and the data prepared or downloadable."""
    import tensorflow_datasets as tfds
    ds = tfds.load(name, split=split, data_dir=data_dir, shuffle_files=True,
                   decoders={"image": tfds.decode.SkipDecoding()})
    return _crops(ds.map(lambda ex: ex["image"]), image_size, batch_size, seed,
                  shuffle_buffer=1000, resize=resize, scale_to=scale_to, augment=augment)


def training_dataset(train_dir=None, tfds_name=None, cache_decoded=False, **kwargs):
    """`folder_dataset(train_dir)` or, when `tfds_name` is given, `tfds_dataset` (which
    streams: `cache_decoded` is for folders, a tfds set may not fit in memory)."""
    if tfds_name:
        return tfds_dataset(tfds_name, **kwargs)
    return folder_dataset(train_dir, cache_decoded=cache_decoded, **kwargs)


def phased_dataset(phases, start_step, train_dir=None, tfds_name=None, seed=None):
    """Batches for a run whose crops change with the step (progressive resizing), from
    `start_step` on: `phases` is a list of `CropPhase`, each used until its `until_step`
    (the last one for ever). Batches of different phases differ in shape."""
    remaining = [p for p in phases if p.until_step is None or p.until_step > start_step]
    remaining = remaining or phases[-1:]
    step = start_step
    combined = None
    for phase in remaining:
        ds = training_dataset(train_dir, tfds_name, image_size=phase.crop_size,
                              scale_to=phase.scale_to, batch_size=phase.batch_size, seed=seed)
        if phase is not remaining[-1]:
            ds = ds.take(phase.until_step - step)
            step = phase.until_step
        combined = ds if combined is None else combined.concatenate(ds)
    return combined


def load_style_image(path, size=None):
    """The style image (or a training run's sample photo) as float32 [1, H, W, 3] in
    [0, 255], its longer side resized to `size` as Johnson's code does (kept as is when
    None)."""
    image = tf.cast(decode_rgb(tf.io.read_file(path)), tf.float32)
    if size:
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        new_hw = tf.cast(tf.round(shape * size / tf.reduce_max(shape)), tf.int32)
        image = tf.image.resize(image, new_hw, method="bilinear", antialias=True)
    return tf.clip_by_value(image, 0.0, 255.0)[tf.newaxis]
