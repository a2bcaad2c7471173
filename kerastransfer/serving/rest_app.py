"""TF Serving's REST surface as a Werkzeug WSGI app.

  GET  /v1/models/NAME[/versions/N | /labels/L]            model status
  GET  /v1/models/NAME[/versions/N | /labels/L]/metadata   signature defs
  POST /v1/models/NAME[/versions/N | /labels/L]:predict    {"instances": ...} or {"inputs": ...}

Request and response bodies follow TF Serving's JSON conventions: binary values travel
as {"b64": "..."}, and outputs whose alias ends in `_bytes` come back that way; the row
("instances" → "predictions") and columnar ("inputs" → "outputs") formats are both
accepted. Errors are {"error": message} with TF Serving's HTTP status for the code.
"""
import base64
import json
import logging

import grpc
import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.wrappers import Request, Response

from kerastransfer.serving import errors
from kerastransfer.serving.core import ModelRequest
from kerastransfer.serving.grpc_service import status_response

log = logging.getLogger(__name__)


class _ModelName(BaseConverter):
    """A model name or label: no slash and no colon (the colon starts `:predict`)."""
    regex = r"[^/:]+"


def _routes():
    rules = []
    for prefix in ("/v1/models/<name:model>", "/v1/models/<name:model>/versions/<int:version>",
                   "/v1/models/<name:model>/labels/<name:label>"):
        rules += [Rule(prefix, endpoint="status", methods=["GET"]),
                  Rule(prefix + "/metadata", endpoint="metadata", methods=["GET"]),
                  Rule(prefix + ":predict", endpoint="predict", methods=["POST"])]
    return Map(rules, converters={"name": _ModelName}, strict_slashes=False)


def _decode_value(value):
    """JSON strings for a string tensor: {"b64": ...} is binary, plain text is UTF-8."""
    if isinstance(value, list):
        return [_decode_value(v) for v in value]
    if isinstance(value, dict):
        if set(value) != {"b64"} or not isinstance(value["b64"], str):
            raise errors.invalid_argument('a binary value must be {"b64": "<base64>"}')
        try:
            return base64.b64decode(value["b64"], validate=True)
        except ValueError:
            raise errors.invalid_argument("b64 value is not valid base64") from None
    if isinstance(value, str):
        return value.encode()
    raise errors.invalid_argument(f"expected a string, got {type(value).__name__}")


def array_from_json(alias, value, spec):
    """A JSON value as numpy of the signature's dtype, or INVALID_ARGUMENT."""
    try:
        if spec.dtype == tf.string:
            array = np.array(_decode_value(value), dtype=object)
            if any(not isinstance(v, bytes) for v in array.ravel()):
                raise ValueError("values must be a regular nested list of strings")
            return array
        array = np.array(value)
        if array.dtype == object or (spec.dtype.is_integer and array.dtype.kind not in "iub"):
            raise ValueError(f"values must be a regular nested list of {spec.dtype.name}")
        if spec.dtype.is_integer and array.size and not (
                spec.dtype.min <= array.min() and array.max() <= spec.dtype.max):
            raise ValueError(f"values out of range for {spec.dtype.name}")
        return array.astype(spec.dtype.as_numpy_dtype)
    except (ValueError, TypeError, OverflowError, RecursionError) as e:
        raise errors.invalid_argument(f"input {alias}: {e}") from None


def inputs_from_json(body, specs):
    """{alias: numpy} from a predict body in the row or columnar format."""
    if not isinstance(body, dict):
        raise errors.invalid_argument("request body must be a JSON object")
    if ("instances" in body) == ("inputs" in body):
        raise errors.invalid_argument('request must have exactly one of "instances" or "inputs"')
    aliases = sorted(specs)
    if "inputs" in body:
        columns = body["inputs"]
        if len(aliases) == 1 and not (isinstance(columns, dict) and set(columns) == set(aliases)):
            columns = {aliases[0]: columns}
    else:
        rows = body["instances"]
        if not isinstance(rows, list):
            raise errors.invalid_argument('"instances" must be a list')
        if rows and all(isinstance(r, dict) and "b64" not in r for r in rows):
            columns = {}
            for alias in {a for r in rows for a in r}:
                if any(alias not in r for r in rows):
                    raise errors.invalid_argument(f"input {alias} is missing from some instances")
                columns[alias] = [r[alias] for r in rows]
        elif len(aliases) == 1:
            columns = {aliases[0]: rows}
        else:
            raise errors.invalid_argument("each instance must be an object naming the inputs "
                                          f"{', '.join(aliases)}")
    if not isinstance(columns, dict) or set(columns) != set(aliases):
        sent = sorted(columns) if isinstance(columns, dict) else []
        raise errors.invalid_argument(
            f"input size does not match signature: sent {{{','.join(sent)}}}, "
            f"expected {{{','.join(aliases)}}}")
    return {a: array_from_json(a, columns[a], specs[a]) for a in aliases}


def _to_json(alias, array):
    if array.dtype == object or array.dtype.kind == "S":
        binary = alias.endswith("_bytes")
        def one(v):
            return {"b64": base64.b64encode(v).decode()} if binary else v.decode(errors="replace")
        return np.vectorize(one, otypes=[object])(array).tolist() if array.size else []
    return array.tolist()


def outputs_to_json(outputs, row_format):
    if not row_format:
        values = {a: _to_json(a, v) for a, v in outputs.items()}
        return {"outputs": values[next(iter(values))] if len(values) == 1 else values}
    columns = {a: _to_json(a, v) for a, v in outputs.items()}
    if len(columns) == 1:
        return {"predictions": next(iter(columns.values()))}
    batch = len(next(iter(columns.values())))
    return {"predictions": [{a: columns[a][i] for a in columns} for i in range(batch)]}


def _message_dict(message):
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


class RestApp:
    """The WSGI application; `core` is a ServingCore."""

    def __init__(self, core):
        self._core = core
        self._routes = _routes()

    def __call__(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = self._core.limits.max_request_bytes
        return self._dispatch(request)(environ, start_response)

    def _dispatch(self, request):
        if request.method == "POST" and request.content_length is None:
            # Werkzeug's server does not de-chunk, so such a body would read as empty.
            return _error("a Content-Length header is required (chunked request bodies "
                          "are not accepted)", 411)
        try:
            endpoint, args = self._routes.bind_to_environ(request.environ).match()
            model = ModelRequest(args["model"], args.get("version"), args.get("label", ""))
            body = getattr(self, "_" + endpoint)(request, model)
            return Response(json.dumps(body), status=200, mimetype="application/json")
        except errors.ServingError as e:
            return _error(e.message, e.http_status)
        except RequestEntityTooLarge:
            return _error(f"request body over this server's limit of "
                          f"{self._core.limits.max_request_bytes} bytes", 413)
        except HTTPException as e:
            return _error(f"Malformed request: {request.method} {request.path}", e.code)
        except Exception:
            log.exception("REST request failed")
            return _error("internal error", 500)

    def _status(self, request, model):
        return _message_dict(status_response(self._core.status(model)))

    def _metadata(self, request, model):
        from tensorflow_serving.apis import get_model_metadata_pb2
        version, defs = self._core.signature_defs(model)
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for key, signature_def in defs.items():
            signature_map.signature_def[key].CopyFrom(signature_def)
        return {"model_spec": {"name": model.name, "signature_name": "", "version": str(version)},
                "metadata": {"signature_def": _message_dict(signature_map)}}

    def _predict(self, request, model):
        try:
            body = json.loads(request.get_data())
        except ValueError as e:
            raise errors.invalid_argument(f"request body is not JSON: {e}") from None
        except RecursionError:
            raise errors.invalid_argument("request body is nested too deeply") from None
        if not isinstance(body, dict):
            raise errors.invalid_argument("request body must be a JSON object")
        signature = body.get("signature_name") or ""
        if not isinstance(signature, str):
            raise errors.invalid_argument("signature_name must be a string")
        model = ModelRequest(model.name, model.version, model.label, signature)
        try:
            specs = self._core.input_specs(model)
        except errors.ServingError as e:  # TF Serving's REST handler says INVALID_ARGUMENT
            if e.code == grpc.StatusCode.FAILED_PRECONDITION:
                raise errors.invalid_argument(
                    f'Serving signature name: "{model.signature}" not found in signature def')
            raise
        inputs = inputs_from_json(body, specs)
        _, outputs = self._core.predict(model, inputs)
        return outputs_to_json(outputs, row_format="instances" in body)


def _error(message, status):
    return Response(json.dumps({"error": message}), status=status, mimetype="application/json")
