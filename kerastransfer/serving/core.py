"""Predict, model status and model metadata: what both front ends answer.

The gRPC service and the REST app only translate their wire formats into these calls
(numpy arrays in and out), so the two protocols cannot disagree about a model, a limit
or an error code.
"""
import dataclasses

from kerastransfer.artifact import DEFAULT_SIGNATURE, MAX_REQUEST_PIXELS
from kerastransfer.serving import errors


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per-request bounds. Pixels: batch × height × width, summed over inputs."""
    max_request_pixels: int = MAX_REQUEST_PIXELS
    max_request_bytes: int = 64 * 1024 * 1024
    timeout_s: float = 30.0


@dataclasses.dataclass(frozen=True)
class ModelRequest:
    """Which servable a request is for (TF Serving's ModelSpec)."""
    name: str
    version: int = None
    label: str = ""
    signature_name: str = ""

    @property
    def signature(self):
        return self.signature_name or DEFAULT_SIGNATURE


class ServingCore:
    def __init__(self, repository, pool, limits=Limits()):
        self.repository = repository
        self.pool = pool
        self.limits = limits

    def timeout(self, client_timeout_s=None):
        """The deadline for a request: the client's, capped by the server's."""
        if client_timeout_s is None:
            return self.limits.timeout_s
        return max(0.0, min(client_timeout_s, self.limits.timeout_s))

    def input_specs(self, request):
        return self.repository.servable(request.name, request.version,
                                        request.label).input_specs(request.signature)

    def predict(self, request, inputs, output_filter=(), timeout_s=None):
        """Runs `request`'s signature on {alias: numpy}; returns (version, {alias: numpy})."""
        servable = self.repository.servable(request.name, request.version, request.label)
        servable.check_request(request.signature, inputs, self.limits.max_request_pixels)
        outputs = self.pool.run(
            lambda: servable.predict(request.signature, inputs, tuple(output_filter)),
            self.timeout(timeout_s))
        return servable.version, outputs

    def signature_defs(self, request):
        """(version, {key: SignatureDef}) of the requested servable."""
        servable = self.repository.servable(request.name, request.version, request.label)
        return servable.version, servable.signature_defs

    def status(self, request):
        """[(version, VersionState)] of the model, newest first."""
        return self.repository.states(request.name, request.version, request.label)


def model_request_from_spec(spec):
    """A ModelRequest from a TF Serving ModelSpec proto."""
    if not spec.name:
        raise errors.invalid_argument("Missing ModelSpec")
    version = spec.version.value if spec.HasField("version") else None
    label = spec.version_label if spec.WhichOneof("version_choice") == "version_label" else ""
    return ModelRequest(spec.name, version, label, spec.signature_name)
