"""Property tests for the image path (hypothesis).

- Any valid image of 32–300 pixels a side, in any mode and format read, goes
  decode → model → encode → decode with its size kept, in the library and through
  the serving_bytes signature.
- Fuzzing: random bytes, and valid files with bytes flipped, cut or inserted, never
  make decoding fail with anything but ImageError (library) or InvalidArgumentError
  (signature). A crash would take pytest down with it.

Examples are derandomised, so CI sees the same cases every run.
"""
import io

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from kerastransfer import image_io
from kerastransfer.export import saved_model

SETTINGS = dict(deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Pillow modes each written format takes (what a user's file can be).
FORMAT_MODES = {"PNG": ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"],
                "JPEG": ["L", "RGB", "CMYK"], "BMP": ["1", "L", "P", "RGB"],
                "WEBP": ["RGB", "RGBA"], "GIF": ["L", "P"]}


def make_image(mode, height, width, seed):
    rng = np.random.RandomState(seed)
    if mode == "I;16":
        return Image.fromarray(rng.randint(0, 65536, (height, width), dtype=np.uint16))
    rgba = Image.fromarray(rng.randint(0, 256, (height, width, 4), dtype=np.uint8), "RGBA")
    return rgba.convert(mode) if mode not in ("P", "1") else rgba.convert("RGB").convert(mode)


@st.composite
def encoded_images(draw, formats=tuple(FORMAT_MODES), min_side=32, max_side=300):
    fmt = draw(st.sampled_from(formats))
    mode = draw(st.sampled_from(FORMAT_MODES[fmt]))
    height = draw(st.integers(min_side, max_side))
    width = draw(st.integers(min_side, max_side))
    image = make_image(mode, height, width, draw(st.integers(0, 2**31 - 1)))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue(), (height, width), f"{fmt} {mode}"


@pytest.fixture(scope="module")
def model(tiny_saved_model):
    from kerastransfer.inference.exported_model import ExportedModel
    return ExportedModel(str(tiny_saved_model))


def test_any_valid_image_round_trips_with_its_size(model, tmp_path_factory):
    from kerastransfer.inference.stylize import stylize
    out = tmp_path_factory.mktemp("round_trip")

    @settings(max_examples=30, **SETTINGS)
    @given(encoded_images(), st.sampled_from([".png", ".jpg", ".webp", ".bmp"]))
    def round_trip(example, extension):
        data, (height, width), what = example
        image = image_io.decode_image(data, what)
        assert image.dtype == np.uint8 and image.shape == (height, width, 3), what
        styled = stylize(model, image)
        path = out / f"styled{extension}"
        image_io.write_image(str(path), styled, overwrite=True)
        assert image_io.read_image(str(path)).shape == (height, width, 3), what

    round_trip()


def test_any_jpeg_or_png_round_trips_through_serving_bytes(model):
    serve = model._loaded.signatures["serving_bytes"]

    @settings(max_examples=20, **SETTINGS)
    @given(st.lists(encoded_images(formats=("PNG", "JPEG")), min_size=1, max_size=3))
    def round_trip(examples):
        batch = tf.constant([data for data, _, _ in examples])
        pngs = serve(image_bytes=batch)["image_bytes"].numpy()
        for png, (_, (height, width), what) in zip(pngs, examples):
            assert tf.io.decode_png(png).shape == (height, width, 3), what

    round_trip()


def seed_files():
    """Small valid files of every accepted format, to mutate."""
    files = []
    for fmt, mode in [("PNG", "RGBA"), ("PNG", "P"), ("JPEG", "RGB"), ("JPEG", "CMYK"),
                      ("GIF", "P"), ("BMP", "RGB"), ("WEBP", "RGB")]:
        buffer = io.BytesIO()
        make_image(mode, 9, 11, seed=len(files)).save(buffer, format=fmt)
        files.append(buffer.getvalue())
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    make_image("RGB", 8, 8, seed=99).save(buffer, format="JPEG", exif=exif.tobytes())
    return files + [buffer.getvalue()]


SEEDS = seed_files()


@st.composite
def mutated_files(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "overwrite"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        else:
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[at:at + len(chunk)] = chunk
    return bytes(data)


def decode_or_image_error(data):
    try:
        image = image_io.decode_image(data, "fuzz", max_pixels=4_000_000)
    except image_io.ImageError as e:
        assert str(e).startswith("fuzz: ") and "\n" not in str(e)
        return
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


@settings(max_examples=2000, **SETTINGS)
@given(st.binary(max_size=2048))
def test_random_bytes_never_crash_the_decoder(data):
    decode_or_image_error(data)


@settings(max_examples=2000, **SETTINGS)
@given(mutated_files())
def test_damaged_files_never_crash_the_decoder(data):
    decode_or_image_error(data)


_decode_request = tf.function(saved_model.decode_request_image,
                              input_signature=[tf.TensorSpec([], tf.string)])


@settings(max_examples=300, **SETTINGS)
@given(st.one_of(mutated_files(), st.binary(max_size=512)))
def test_damaged_files_never_crash_the_serving_decoder(data):
    try:
        image = _decode_request(tf.constant(data))
    except tf.errors.InvalidArgumentError:
        return
    assert image.dtype == tf.uint8 and image.shape[2] == 3
