"""TF Serving's error model: a gRPC status code plus a message, on both protocols.

Clients see the same codes whichever server they reach, so both front ends of
`kerastransfer-serve` raise `ServingError` and the clients turn transport errors back into
it. The HTTP mapping is TF Serving's own (model_servers/http_server.cc).
"""
import grpc

HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}

# The reverse, for REST clients; 413 (body over the server's limit) is also "too big".
CODE_FOR_HTTP = {400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED,
                 403: grpc.StatusCode.PERMISSION_DENIED, 404: grpc.StatusCode.NOT_FOUND,
                 409: grpc.StatusCode.ABORTED, 411: grpc.StatusCode.INVALID_ARGUMENT,
                 413: grpc.StatusCode.RESOURCE_EXHAUSTED,
                 429: grpc.StatusCode.RESOURCE_EXHAUSTED, 499: grpc.StatusCode.CANCELLED,
                 501: grpc.StatusCode.UNIMPLEMENTED, 502: grpc.StatusCode.UNAVAILABLE,
                 503: grpc.StatusCode.UNAVAILABLE, 504: grpc.StatusCode.DEADLINE_EXCEEDED}

_CODE_FOR_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


class ServingError(Exception):
    """A failed request: `code` (a grpc.StatusCode) and a message for the caller."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self):
        return HTTP_STATUS.get(self.code, 500)

    def __str__(self):
        return f"{self.code.name}: {self.message}"


def not_found(message):
    return ServingError(grpc.StatusCode.NOT_FOUND, message)


def invalid_argument(message):
    return ServingError(grpc.StatusCode.INVALID_ARGUMENT, message)


def resource_exhausted(message):
    return ServingError(grpc.StatusCode.RESOURCE_EXHAUSTED, message)


def from_tensorflow(error):
    """A ServingError for a tf.errors.OpError: TensorFlow's codes are gRPC's numbers."""
    code = _CODE_FOR_NUMBER.get(getattr(error, "error_code", 2), grpc.StatusCode.UNKNOWN)
    return ServingError(code, _op_error_summary(getattr(error, "message", str(error))))


def _op_error_summary(message):
    """The line of a graph execution error that says what went wrong, without the
    "Graph execution error" / "Detected at node" / stack-frame preamble."""
    lines = message.splitlines()
    preamble = ("Graph execution error", "Detected at node", "<stack traces", "[[")
    useful = [line.strip() for line in lines
              if line.strip() and not line[:1].isspace() and not line.startswith(preamble)]
    return useful[0] if useful else (lines[0] if lines else "TensorFlow error")


def from_http(status, message):
    return ServingError(CODE_FOR_HTTP.get(status, grpc.StatusCode.UNKNOWN if status < 500
                                          else grpc.StatusCode.INTERNAL), message)
