"""One loaded model version: its signatures, and the checks a request passes first.

Requests are validated against the signature before TensorFlow sees them, for two
reasons: a wrong dtype or rank should be INVALID_ARGUMENT with a message naming the
input (not a Python TypeError from the concrete function), and an image should be
refused by its size before any memory is spent decoding or convolving it.
"""
import io
import warnings

import grpc
import tensorflow as tf
from PIL import Image

from kerastransfer.artifact import read_signature_defs
from kerastransfer.serving import errors

# Signature keys TF Serving never exposes.
_INTERNAL_PREFIX = "__"


ENCODED_FORMATS = ("JPEG", "PNG")  # what the serving_bytes signature decodes


def encoded_image_pixels(encoded, index, max_pixels):
    """Width × height of an encoded JPEG or PNG, read from its header only.

    INVALID_ARGUMENT for anything else, and for one image over `max_pixels`: a few
    bytes can claim 50000×50000, and such a request is malformed rather than too much
    work (TF Serving's answer too, from the signature's own check).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(encoded), formats=ENCODED_FORMATS) as image:
                width, height = image.size
    except Image.DecompressionBombError as e:
        raise errors.invalid_argument(f"image_bytes[{index}]: {e}") from None
    except Exception:  # noqa: BLE001 -- any header parse failure means "not an image"
        raise errors.invalid_argument(f"image_bytes[{index}]: not a JPEG or PNG image") from None
    if width * height > max_pixels:
        raise errors.invalid_argument(
            f"image_bytes[{index}]: {width}x{height} image is over the limit of {max_pixels} "
            "pixels")
    return width * height


def request_pixels(spec, array, max_pixels):
    """Pixels a request asks the network to process: batch × height × width for an
    image tensor, the sum of header sizes for encoded images, 0 for anything else."""
    if spec.dtype == tf.string:
        return sum(encoded_image_pixels(bytes(b), i, max_pixels)
                   for i, b in enumerate(array.ravel()))
    if array.ndim == 4:
        return int(array.shape[0]) * int(array.shape[1]) * int(array.shape[2])
    return 0


def _as_input(alias, spec, array):
    """`array` as a tensor for `spec`, or INVALID_ARGUMENT naming what is wrong."""
    _check_input(alias, spec, array)
    return tf.constant(array, dtype=spec.dtype)


def _check_input(alias, spec, array):
    """INVALID_ARGUMENT unless `array`'s dtype and shape fit `spec`."""
    if spec.dtype == tf.string:
        if array.dtype != object and array.dtype.kind not in "SU":
            raise errors.invalid_argument(
                f"input {alias}: expects string but {array.dtype} is provided")
    elif array.dtype != spec.dtype.as_numpy_dtype:
        raise errors.invalid_argument(
            f"input {alias}: expects {spec.dtype.name} but {array.dtype} is provided")
    if not spec.shape.is_compatible_with(array.shape):
        raise errors.invalid_argument(
            f"input {alias}: shape {list(array.shape)} does not match the signature's "
            f"{spec.shape.as_list() if spec.shape.rank is not None else 'shape'}")
    if spec.dtype == tf.string and not all(isinstance(v, bytes) for v in array.ravel()):
        raise errors.invalid_argument(f"input {alias}: expects string values")


class Servable:
    """A SavedModel version loaded with tf.saved_model.load; thread-safe to call."""

    def __init__(self, name, version, path):
        self.name = name
        self.version = version
        self.path = path
        self._loaded = tf.saved_model.load(path)
        self._functions = {k: f for k, f in self._loaded.signatures.items()
                           if not k.startswith(_INTERNAL_PREFIX)}
        self.signature_defs = read_signature_defs(path)

    def input_specs(self, signature_name):
        """{alias: tf.TensorSpec} of a signature, or FAILED_PRECONDITION like TF Serving."""
        function = self._functions.get(signature_name)
        if function is None:
            raise errors.ServingError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f'Serving signature key "{signature_name}" not found.')
        return function.structured_input_signature[1]

    def check_request(self, signature_name, inputs, max_pixels):
        """Raises a ServingError unless `inputs` ({alias: numpy}) fits the signature and
        the pixel limit."""
        specs = self.input_specs(signature_name)
        if set(inputs) != set(specs):
            raise errors.invalid_argument(
                f"input size does not match signature: sent {{{','.join(sorted(inputs))}}}, "
                f"expected {{{','.join(sorted(specs))}}}")
        for alias in specs:  # before the pixel count, which reads encoded headers
            _check_input(alias, specs[alias], inputs[alias])
        pixels = sum(request_pixels(specs[a], inputs[a], max_pixels) for a in specs)
        if pixels > max_pixels:
            raise errors.resource_exhausted(
                f"request has {pixels} pixels; this server takes at most {max_pixels}")

    def predict(self, signature_name, inputs, output_filter=()):
        """Runs a signature on numpy inputs; returns {alias: numpy}."""
        specs = self.input_specs(signature_name)
        tensors = {a: _as_input(a, specs[a], inputs[a]) for a in specs}
        function = self._functions[signature_name]
        unknown = set(output_filter) - set(function.structured_outputs)
        if unknown:
            raise errors.invalid_argument(
                f"output tensor alias not found in signature: {','.join(sorted(unknown))}")
        try:
            outputs = function(**tensors)
        except tf.errors.OpError as e:
            raise errors.from_tensorflow(e) from None
        wanted = output_filter or sorted(outputs)
        return {alias: outputs[alias].numpy() for alias in wanted}
