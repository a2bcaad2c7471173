"""Exports a trained network as a TF Serving SavedModel (its names: `artifact`).

Two signatures for clients, both any size and any batch:
  serving_default: images uint8 [B, H, W, 3] → images uint8 [B, H', W', 3]
  serving_bytes:   image_bytes string [B] (JPEG/PNG) → image_bytes string [B] (PNG)
plus `assets/kerastransfer.json`, the model's record (`artifact.ModelRecord`), and for a style model the painting it
was trained on (`assets/<record's style_image>`). The model is exported in float32
whatever precision it was trained in. A third signature, `serving_bfloat16` (same inputs
and outputs as serving_default), computes in bfloat16 with the same float32 variables:
on CPUs with AVX512-BF16 or AMX it is the fast path, elsewhere it is slower than float32.

Style and super-resolution networks run through `inference_graph.forward`, the same
function in faster operations. `serving_portable` (same inputs and outputs as
serving_default) is the plain Keras pass, every op of which the TF.js converter knows;
the browser models come from it.
"""
import contextlib
import dataclasses
import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from kerastransfer import artifact, image_io
from kerastransfer.artifact import IMAGE_BYTES, IMAGES, MAX_REQUEST_PIXELS
from kerastransfer.models import inference_graph


def float32_copy(model):
    """A float32 copy of `model` (same config and weights), for export."""
    config = model.get_config()
    config["dtype"] = "float32"
    copy = model.__class__.from_config(config)
    copy(tf.zeros([1, 32, 32, 3]))
    copy.set_weights([tf.cast(w, tf.float32) for w in model.get_weights()])
    return copy


def _to_uint8(images):
    images = tf.cast(images, tf.float32)
    return tf.cast(tf.clip_by_value(tf.round(images), 0.0, 255.0), tf.uint8)


@contextlib.contextmanager
def computing_in(model, policy):
    """Every layer of `model` computes in `policy` inside the block (variables are not
    copied: a mixed policy casts the float32 weights as it runs), then back as it was."""
    layers = list(model._flatten_layers(include_self=True))
    before = [layer.dtype_policy for layer in layers]
    try:
        for layer in layers:
            layer.dtype_policy = policy
        yield model
    finally:
        for layer, old in zip(layers, before):
            layer.dtype_policy = old


def build_archive(model):
    """An ExportArchive of `model` (float images in [0, 255] in and out) with the
    serving signatures."""
    archive = keras.export.ExportArchive()
    archive.track(model)

    def run(images):
        return _to_uint8(inference_graph.forward(model, tf.cast(images, tf.float32)))

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name=IMAGES)])
    def serving_portable(images):
        return {IMAGES: _to_uint8(model(tf.cast(images, tf.float32), training=False))}

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name=IMAGES)])
    def serving_default(images):
        return {IMAGES: run(images)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=IMAGE_BYTES)])
    def serving_bytes(image_bytes):
        def one(encoded):
            return tf.io.encode_png(run(decode_request_image(encoded)[tf.newaxis])[0])

        return {IMAGE_BYTES: tf.map_fn(one, image_bytes, fn_output_signature=tf.string)}

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name=IMAGES)])
    def serving_bfloat16(images):
        return {IMAGES: run(images)}

    archive.add_endpoint(artifact.DEFAULT_SIGNATURE, serving_default)
    archive.add_endpoint(artifact.BYTES_SIGNATURE, serving_bytes)
    archive.add_endpoint(artifact.PORTABLE_SIGNATURE, serving_portable)
    with computing_in(model, "mixed_bfloat16"):  # traced here, in bfloat16
        archive.add_endpoint(artifact.BFLOAT16_SIGNATURE, serving_bfloat16)
    return archive


def decode_request_image(encoded, max_pixels=MAX_REQUEST_PIXELS):
    """uint8 [H, W, 3] from one encoded JPEG or PNG, inside the graph.

    Anything else is refused (tf.io.decode_image would also take GIF and BMP), and so is
    an image whose header claims more than `max_pixels`, before it is decoded: a small
    file can claim 50000×50000. Failures are InvalidArgumentError with a message.
    """
    is_png = tf.strings.substr(encoded, 0, 8) == b"\x89PNG\r\n\x1a\n"
    is_jpeg = tf.strings.substr(encoded, 0, 3) == b"\xff\xd8\xff"
    # Explicit control dependencies: a stateless decode would otherwise be free to run
    # before (or beside) the checks that are meant to guard it.
    with tf.control_dependencies([tf.debugging.Assert(
            is_png | is_jpeg, ["image_bytes: not a JPEG or PNG image"])]):
        height_width = tf.cond(
            is_png, lambda: _png_shape(encoded),
            lambda: tf.cast(tf.image.extract_jpeg_shape(encoded)[:2], tf.int64))
    height, width = height_width[0], height_width[1]
    with tf.control_dependencies([tf.debugging.Assert(  # sides first: no int64 overflow
            (height <= max_pixels) & (width <= max_pixels) & (height * width <= max_pixels),
            [f"image_bytes: image larger than {max_pixels} pixels: width", width,
             "height", height])]):
        # The accurate integer DCT: decode_image's default fast DCT is up to 16 levels off
        # Pillow's (libjpeg's default), so a JPEG sent here would be stylised from other
        # pixels than the same file read by the CLI or sent by the gRPC client.
        image = tf.cond(is_png, lambda: tf.io.decode_png(encoded, channels=3),
                        lambda: tf.io.decode_jpeg(encoded, channels=3,
                                                  dct_method="INTEGER_ACCURATE"))
    image.set_shape([None, None, 3])
    return image


def _png_shape(encoded):
    """[height, width] (int64) from a PNG's IHDR chunk; zeros where it is cut short.
    Padded first: substr past the end fails with the raw bytes in its message, which
    is not UTF-8 and surfaces in Python as UnicodeDecodeError, not a request error."""
    padded = encoded + tf.constant(b"\x00" * 24)
    ihdr = tf.cast(tf.io.decode_raw(tf.strings.substr(padded, 16, 8), tf.uint8), tf.int64)
    big_endian = tf.constant([2**24, 2**16, 2**8, 1], tf.int64)
    return tf.stack([tf.reduce_sum(ihdr[4:] * big_endian), tf.reduce_sum(ihdr[:4] * big_endian)])


STYLE_IMAGE_QUALITY = 90  # JPEG quality of a style image resized for assets/


def write_style_image(source, assets_dir, name, longer_side=None):
    """Copies the style image `source` into `assets_dir` as `name`, so the model carries
    the painting it was trained on (for `optimize --like_model`, galleries and the
    browser page). Kept byte for byte when its longer side is at most `longer_side` (the
    record's style_size, the size training used) and `name` has its format; else
    resized to that longer side (Lanczos) and encoded by `name`'s extension (JPEG at
    quality STYLE_IMAGE_QUALITY). Returns the file name written."""
    image = image_io.read_image(source)
    target = os.path.join(assets_dir, name)
    same_format = os.path.splitext(source)[1].lower() == os.path.splitext(name)[1].lower()
    if same_format and (not longer_side or max(image.shape[:2]) <= longer_side):
        shutil.copyfile(source, target)
        return name
    if longer_side and max(image.shape[:2]) > longer_side:
        from PIL import Image
        scale = longer_side / max(image.shape[:2])
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        image = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))
    image_io.write_image(target, image, overwrite=True, quality=STYLE_IMAGE_QUALITY)
    return name


def style_image_asset_name(record, style_image):
    """The style image's file name in assets/: the record's `style_image` (the name the
    training recorded), else the file's own name; .jpg where its format is not written."""
    name = os.path.basename(record.style_image or style_image)
    stem, ext = os.path.splitext(name)
    return name if ext.lower() in image_io.WRITABLE_EXTENSIONS else stem + ".jpg"


def export_saved_model(model, directory, record, overwrite=False, style_image=None):
    """Writes `model` as a SavedModel in `directory` with `record` (an
    `artifact.ModelRecord`) as
    assets/kerastransfer.json and, given the path `style_image`, that painting in assets/
    under the name the record's `style_image` then holds (`write_style_image`). Written
    beside the target and renamed into place, so an existing version is never left half
    replaced."""
    directory = os.path.abspath(directory)
    if os.path.exists(directory) and not overwrite:
        raise FileExistsError(f"{directory}: already exists")
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        build_archive(model).write_out(tmp, verbose=False)
        os.makedirs(os.path.join(tmp, "assets"), exist_ok=True)
        if style_image:
            name = style_image_asset_name(record, style_image)
            record = dataclasses.replace(record, style_image=write_style_image(
                style_image, os.path.join(tmp, "assets"), name, record.style_size))
        image_io.write_json(os.path.join(tmp, artifact.RECORD_PATH), record.to_json())
        if os.path.exists(directory):
            shutil.rmtree(directory)
        os.replace(tmp, directory)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    return directory
