"""The exported SavedModel is the one artefact every consumer uses: check it stands alone."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from conftest import random_image

# Runs in a fresh interpreter that never imports kerastransfer.
STANDALONE = r"""
import json, sys
import numpy as np, tensorflow as tf
assert "kerastransfer" not in sys.modules
model = tf.saved_model.load(sys.argv[1])
x = np.load(sys.argv[2])
out = model.signatures["serving_default"](images=tf.constant(x))["images"].numpy()
np.save(sys.argv[3], out)
assert "kerastransfer" not in sys.modules
print(json.dumps(sorted(model.signatures.keys())))
"""


@pytest.mark.slow
def test_saved_model_runs_without_the_package_and_matches_keras(tmp_path, tiny_saved_model,
                                                                 tiny_transformer):
    x = random_image(333, 517, seed=3)[None]
    np.save(tmp_path / "x.npy", x)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", STANDALONE, str(tiny_saved_model),
                             str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
                            capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "serving_bfloat16", "serving_bytes", "serving_default", "serving_portable"]
    exported = np.load(tmp_path / "y.npy")
    assert exported.dtype == np.uint8 and exported.shape == (1, 333, 517, 3)
    expected = np.clip(np.round(np.asarray(tiny_transformer(x.astype(np.float32)))), 0, 255)
    assert np.abs(exported.astype(int) - expected.astype(int)).max() <= 1


def test_signatures_accept_unknown_batch_height_and_width(tiny_saved_model):
    model = tf.saved_model.load(str(tiny_saved_model))
    spec = model.signatures["serving_default"].structured_input_signature[1]["images"]
    assert spec.dtype == tf.uint8 and spec.shape.as_list() == [None, None, None, 3]
    out = model.signatures["serving_default"](images=tf.zeros([3, 41, 35, 3], tf.uint8))["images"]
    assert out.dtype == tf.uint8 and out.shape == (3, 41, 35, 3)


def test_bfloat16_signature_is_close_to_float32_and_leaves_the_keras_model_float32(
        tiny_saved_model, tiny_transformer):
    model = tf.saved_model.load(str(tiny_saved_model))
    x = tf.constant(random_image(47, 63, seed=5)[None])
    full = model.signatures["serving_default"](images=x)["images"].numpy().astype(int)
    half = model.signatures["serving_bfloat16"](images=x)["images"]
    assert half.dtype == tf.uint8 and half.shape == (1, 47, 63, 3)
    difference = np.abs(half.numpy().astype(int) - full)
    assert difference.mean() < 2 and difference.max() <= 16
    assert difference.max() > 0  # it really computed in bfloat16
    assert all(layer.dtype_policy.name == "float32" for layer in tiny_transformer._flatten_layers())


def test_serving_bytes_round_trips_jpeg_to_png(tiny_saved_model):
    model = tf.saved_model.load(str(tiny_saved_model))
    images = [random_image(45, 61, seed=1), random_image(33, 32, seed=2)]
    encoded = tf.stack([tf.io.encode_jpeg(images[0]), tf.io.encode_png(images[1])])
    out = model.signatures["serving_bytes"](image_bytes=encoded)["image_bytes"].numpy()
    assert len(out) == 2
    for png, image in zip(out, images):
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert tf.io.decode_png(png).shape == image.shape


def _bad_requests():
    from image_corpus import corpus
    cases = {c.name: c.data for c in corpus()}
    return {  # name → (bytes, fragment of the error)
        "empty": (b"", "not a JPEG or PNG"),
        "text": (cases["text.jpg"], "not a JPEG or PNG"),
        "GIF": (cases["animated.gif"], "not a JPEG or PNG"),
        "GIF bomb": (cases["bomb.gif"], "not a JPEG or PNG"),
        "BMP": (cases["photo.bmp"], "not a JPEG or PNG"),
        "PNG bomb (50000x50000 header)": (cases["bomb.png"], "larger than"),
        "PNG claiming 2^32-1 square": (cases["bomb.png"][:16] + b"\xff" * 8
                                       + cases["bomb.png"][24:], "larger than"),
        "truncated PNG": (cases["truncated.png"], "PNG"),
        "PNG cut in its header": (cases["header_only.png"], "PNG"),
        "truncated JPEG": (cases["truncated.jpg"], "JPEG"),
        "huge valid PNG": (cases["huge.png"], "larger than"),
    }


@pytest.mark.parametrize("case", sorted(_bad_requests()))
def test_serving_bytes_refuses_bad_images_before_decoding(tiny_saved_model, case):
    """Each bad image is InvalidArgumentError with a message; a good one in the same
    process still works afterwards."""
    data, fragment = _bad_requests()[case]
    model = _load(tiny_saved_model)
    with pytest.raises(tf.errors.InvalidArgumentError, match=fragment):
        model.signatures["serving_bytes"](image_bytes=tf.constant([data]))
    good = model.signatures["serving_bytes"](
        image_bytes=tf.stack([tf.io.encode_png(random_image(32, 33))]))["image_bytes"]
    assert tf.io.decode_png(good[0]).shape == (32, 33, 3)


_models = {}


def _load(path):
    if str(path) not in _models:
        _models[str(path)] = tf.saved_model.load(str(path))
    return _models[str(path)]


def test_record_is_written_as_an_asset(tiny_saved_model):
    with open(tiny_saved_model / "assets" / "kerastransfer.json") as f:
        assert json.load(f)["name"] == "tiny"


@pytest.mark.slow
def test_saved_model_cli_runs_it(tmp_path, tiny_saved_model):
    np.save(tmp_path / "x.npy", random_image(37, 39, seed=5)[None])
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    result = subprocess.run([cli, "run", "--dir", str(tiny_saved_model), "--tag_set", "serve",
                             "--signature_def", "serving_default",
                             "--inputs", f"images={tmp_path / 'x.npy'}",
                             "--outdir", str(tmp_path / "out")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert np.load(tmp_path / "out" / "images.npy").shape == (1, 37, 39, 3)


def test_exporting_over_an_existing_version_is_refused(tmp_path, tiny_transformer):
    from kerastransfer.artifact import ModelRecord
    from kerastransfer.export import saved_model
    target = tmp_path / "m" / "1"
    saved_model.export_saved_model(tiny_transformer, str(target), ModelRecord(name="a"))
    try:
        saved_model.export_saved_model(tiny_transformer, str(target), ModelRecord(name="b"))
        raised = False
    except FileExistsError:
        raised = True
    assert raised
    with open(target / "assets" / "kerastransfer.json") as f:
        assert json.load(f)["name"] == "a"
    assert sorted(os.listdir(tmp_path / "m")) == ["1"]  # no temporary folder left behind


def _jpeg(image, quality=90):
    import io
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def test_serving_bytes_sees_the_pixels_pillow_decodes(tiny_saved_model):
    """REST clients send the JPEG file to serving_bytes; the CLI and the gRPC client
    decode it with Pillow and send pixels to serving_default. Same file, same result."""
    from kerastransfer import image_io
    photo = np.asarray(tf.image.resize(random_image(24, 32, seed=7), (96, 128)), np.uint8)
    jpeg = _jpeg(photo)
    pillow = image_io.decode_image(jpeg)
    fast = tf.io.decode_jpeg(jpeg, channels=3).numpy()
    assert not np.array_equal(fast, pillow)  # the default (fast) DCT would not do
    model = _load(tiny_saved_model)
    png = model.signatures["serving_bytes"](image_bytes=tf.constant([jpeg]))["image_bytes"][0]
    direct = model.signatures["serving_default"](images=tf.constant(pillow[None]))["images"]
    np.testing.assert_array_equal(tf.io.decode_png(png).numpy(), direct[0].numpy())


def test_style_image_goes_into_assets_resized_to_the_style_size(tmp_path, tiny_transformer):
    from PIL import Image
    from kerastransfer.export import saved_model
    from kerastransfer import artifact
    painting = tmp_path / "big painting.png"
    Image.fromarray(random_image(100, 300, seed=3)).save(painting)
    record = artifact.ModelRecord(task="style", name="p", style_image="painting.png",
                                  style_size=64)
    path = saved_model.export_saved_model(tiny_transformer, str(tmp_path / "p" / "1"), record,
                                          style_image=str(painting))
    assert artifact.read_record(path).style_image == "painting.png"
    asset = artifact.style_image_path(path)
    assert asset == os.path.join(path, "assets", "painting.png")
    with Image.open(asset) as image:
        assert image.size == (64, 21)
    assert record.style_image == "painting.png"  # the caller's record is not changed


def test_a_small_style_image_is_kept_byte_for_byte(tmp_path, tiny_transformer):
    from kerastransfer.export import saved_model
    from kerastransfer import artifact
    painting = tmp_path / "small.jpg"
    painting.write_bytes(_jpeg(random_image(40, 50, seed=4)))
    path = saved_model.export_saved_model(tiny_transformer, str(tmp_path / "s" / "1"),
                                          artifact.ModelRecord(task="style", style_size=64),
                                          style_image=str(painting))
    assert artifact.read_record(path).style_image == "small.jpg"
    with open(os.path.join(path, "assets", "small.jpg"), "rb") as f:
        assert f.read() == painting.read_bytes()


def test_style_image_is_found_in_assets_first_then_the_old_folders(tmp_path):
    from kerastransfer import artifact
    model, styles = tmp_path / "model", tmp_path / "styles"
    (model / "assets").mkdir(parents=True)
    styles.mkdir()
    record = artifact.ModelRecord(style_image="x.jpg")
    assert artifact.style_image_path(str(model), record, [str(styles)]) is None
    (styles / "x.jpg").write_bytes(b"old")
    assert artifact.style_image_path(str(model), record, [str(styles)]) == str(styles / "x.jpg")
    (model / "assets" / "x.jpg").write_bytes(b"new")
    assert artifact.style_image_path(str(model), record, [str(styles)]) == str(
        model / "assets" / "x.jpg")
