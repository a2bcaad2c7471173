"""Clients for any TF Serving-compatible server (tensorflow_model_server or
kerastransfer-serve), over gRPC or REST.

gRPC sends uint8 image tensors to `serving_default` (lossless, no encoding cost); REST
sends PNG/JPEG bytes to `serving_bytes` as {"b64": ...}, which is what that signature is
for. Both clients take a per-call timeout, retry while the server is UNAVAILABLE
(starting, restarting, a pod being replaced) and raise ServingError with TF Serving's
code otherwise. gRPC's 4 MB default message limit is raised: a 1024² image is 3 MB raw.

Example:
    >>> client = connect("localhost:8500", "grpc")
    >>> styled = client.predict("udnie", photo[np.newaxis])[0]
"""
import base64
import io
import json
import os
import time
import urllib.error
import urllib.request

import grpc
import numpy as np
from PIL import Image

from kerastransfer.artifact import BYTES_SIGNATURE, DEFAULT_SIGNATURE, IMAGE_BYTES, IMAGES
from kerastransfer.serving.errors import ServingError, from_http

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_RETRIES = 3
MAX_MESSAGE_BYTES = 1024 * 1024 * 1024  # responses of 8× super-resolution are large


def _with_retries(call, retries, backoff_s=0.25):
    """Calls `call()`, retrying with exponential backoff while it raises UNAVAILABLE."""
    for attempt in range(retries + 1):
        try:
            return call()
        except ServingError as e:
            if e.code != grpc.StatusCode.UNAVAILABLE or attempt == retries:
                raise
        time.sleep(backoff_s * 2 ** attempt)


def encode_png(image):
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8), "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def decode_image(encoded):
    with Image.open(io.BytesIO(encoded)) as image:
        return np.asarray(image.convert("RGB"), np.uint8)


class GrpcClient:
    """PredictionService / ModelService over gRPC.

    Args:
        address: "host:port" of the server's gRPC port (8500 by default).
        timeout_s: deadline of each call.
        retries: further attempts while the server is UNAVAILABLE.
    """

    def __init__(self, address, timeout_s=DEFAULT_TIMEOUT_S, retries=DEFAULT_RETRIES,
                 max_message_bytes=MAX_MESSAGE_BYTES):
        from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc
        self.address = address
        self.timeout_s = timeout_s
        self.retries = retries
        self._channel = grpc.insecure_channel(address, options=[
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.max_receive_message_length", max_message_bytes)])
        self._predictions = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)

    def _call(self, method, request):
        def once():
            try:
                return method(request, timeout=self.timeout_s)
            except grpc.RpcError as e:
                raise ServingError(e.code(), e.details() or str(e.code())) from None
        return _with_retries(once, self.retries)

    @staticmethod
    def _spec(spec, model, version, signature=""):
        spec.name = model
        if version is not None:
            spec.version.value = int(version)
        if signature:
            spec.signature_name = signature

    def predict_tensors(self, model, inputs, version=None, signature=DEFAULT_SIGNATURE):
        """{alias: numpy} in, {alias: numpy} out, through any signature."""
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2
        request = predict_pb2.PredictRequest()
        self._spec(request.model_spec, model, version, signature)
        for alias, value in inputs.items():
            request.inputs[alias].CopyFrom(tf.make_tensor_proto(value))
        response = self._call(self._predictions.Predict, request)
        return {alias: tf.make_ndarray(proto) for alias, proto in response.outputs.items()}

    def predict(self, model, images, version=None):
        """uint8 [B, H, W, 3] → uint8 [B, H', W', 3] via `serving_default`."""
        images = np.asarray(images, np.uint8)
        return self.predict_tensors(model, {IMAGES: images}, version)[IMAGES]

    def predict_encoded(self, model, encoded_images, version=None):
        """JPEG/PNG bytes → PNG bytes via `serving_bytes`."""
        array = np.array(list(encoded_images), dtype=object)
        out = self.predict_tensors(model, {IMAGE_BYTES: array}, version, BYTES_SIGNATURE)
        return [bytes(b) for b in out[IMAGE_BYTES]]

    def status(self, model, version=None):
        """GetModelStatusResponse for the model (or one version)."""
        from tensorflow_serving.apis import get_model_status_pb2
        request = get_model_status_pb2.GetModelStatusRequest()
        self._spec(request.model_spec, model, version)
        return self._call(self._models.GetModelStatus, request)

    def signature_defs(self, model, version=None):
        """{key: SignatureDef} from GetModelMetadata."""
        from tensorflow_serving.apis import get_model_metadata_pb2
        request = get_model_metadata_pb2.GetModelMetadataRequest()
        self._spec(request.model_spec, model, version)
        request.metadata_field.append("signature_def")
        response = self._call(self._predictions.GetModelMetadata, request)
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signature_map)
        return dict(signature_map.signature_def)

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RestClient:
    """The /v1/models REST API.

    Args:
        address: "host:port" (or a full http:// URL) of the REST port (8501 by default).
    """

    def __init__(self, address, timeout_s=DEFAULT_TIMEOUT_S, retries=DEFAULT_RETRIES):
        self.base_url = address if "://" in address else f"http://{address}"
        self.timeout_s = timeout_s
        self.retries = retries

    def _url(self, model, version, suffix=""):
        path = f"{self.base_url}/v1/models/{model}"
        if version is not None:
            path += f"/versions/{int(version)}"
        return path + suffix

    def _request(self, url, body=None):
        data = None if body is None else json.dumps(body).encode()

        def once():
            request = urllib.request.Request(
                url, data=data, headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as e:
                raise from_http(e.code, _error_message(e)) from None
            except (urllib.error.URLError, ConnectionError) as e:
                reason = getattr(e, "reason", e)
                if not isinstance(reason, TimeoutError):
                    raise ServingError(grpc.StatusCode.UNAVAILABLE, f"{url}: {reason}") from None
                raise ServingError(grpc.StatusCode.DEADLINE_EXCEEDED,
                                   f"{url}: no answer within {self.timeout_s} s") from None
            except TimeoutError:
                raise ServingError(grpc.StatusCode.DEADLINE_EXCEEDED,
                                   f"{url}: no answer within {self.timeout_s} s") from None
        return _with_retries(once, self.retries)

    def predict_json(self, model, body, version=None):
        """POSTs a predict body as is; returns the decoded JSON answer."""
        return self._request(self._url(model, version, ":predict"), body)

    def predict_encoded(self, model, encoded_images, version=None):
        """JPEG/PNG bytes → PNG bytes via `serving_bytes`."""
        return encoded_images_of_reply(
            self.predict_json(model, rest_request_body(encoded_images), version))

    def predict(self, model, images, version=None):
        """uint8 [B, H, W, 3] → uint8 [B, H', W', 3], sent as lossless PNG."""
        encoded = [encode_png(image) for image in np.asarray(images, np.uint8)]
        return np.stack([decode_image(b) for b in self.predict_encoded(model, encoded, version)])

    def status(self, model, version=None):
        return self._request(self._url(model, version))

    def metadata(self, model, version=None):
        return self._request(self._url(model, version, "/metadata"))

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def rest_request_body(encoded_images):
    """The REST predict body that sends JPEG/PNG files to `serving_bytes` (base64, as
    TF Serving's JSON API wants binary strings)."""
    return {"signature_name": BYTES_SIGNATURE,
            "instances": [{"b64": base64.b64encode(b).decode()} for b in encoded_images]}


def encoded_images_of_reply(reply):
    """The PNG files in a REST predict reply of `serving_bytes` (the decoded JSON)."""
    if "error" in reply:
        raise ValueError(f"the reply is an error: {reply['error']}")
    try:
        return [base64.b64decode(p["b64"] if "b64" in p else p["image_bytes"]["b64"],
                                 validate=True) for p in reply["predictions"]]
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"not a serving_bytes reply ({type(e).__name__}: {e})") from None


def _error_message(http_error):
    try:
        return json.loads(http_error.read())["error"]
    except Exception:
        return f"HTTP {http_error.code} {http_error.reason}"


def connect(server, protocol="grpc", **options):
    """A GrpcClient or RestClient for `server` ("host:port")."""
    if protocol == "grpc":
        return GrpcClient(server, **options)
    if protocol == "rest":
        return RestClient(server, **options)
    raise ValueError(f"protocol must be grpc or rest, got {protocol!r}")


def transform_file(client, model, input_path, output_path, version=None, overwrite=False):
    """Stylises or upscales one image file through a server; the output format comes
    from `output_path`'s extension."""
    from kerastransfer import image_io
    image_io.image_format(output_path)
    if not overwrite and os.path.exists(output_path):
        raise image_io.ImageError(f"{output_path}: already exists (use --overwrite to replace it)")
    image = image_io.read_image(input_path)
    result = client.predict(model, image[np.newaxis], version)[0]
    image_io.write_image(output_path, result, overwrite=overwrite)
    return result.shape
