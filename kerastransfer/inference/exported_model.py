"""An exported model (style or super-resolution) loaded for inference: its serving
signature, its record, and the Keras network rebuilt from both."""
import tensorflow as tf

from kerastransfer import artifact
from kerastransfer.artifact import BFLOAT16_SIGNATURE, DEFAULT_SIGNATURE, IMAGES
from kerastransfer.models import deserialize_network


def rebuild_network(loaded, record):
    """The Keras network inside a loaded SavedModel: `record.network` deserialised
    (`models.deserialize_network`, whatever its class) and given the
    SavedModel's own variables (the archive saves them in the network's order). Tiling
    needs it, because the serving signatures cannot run a tile with another image's
    instance-norm statistics. Raises ValueError if they do not fit."""
    if not record.network:
        raise ValueError("the model's record has no network configuration")
    network = deserialize_network(record.network)
    network(tf.zeros([1, artifact.MIN_SIDE, artifact.MIN_SIDE, 3]))
    saved = list(getattr(loaded, "variables", []))
    if [tuple(v.shape) for v in saved] != [tuple(v.shape) for v in network.variables]:
        raise ValueError("the SavedModel's variables do not match the network in its record")
    for variable, value in zip(network.variables, saved):
        variable.assign(value)
    return network


PRECISIONS = ("float32", "bfloat16", "auto")


def cpu_has_fast_bfloat16():
    """True on x86 CPUs with native bfloat16 (AVX512-BF16 or AMX) and no GPU in use."""
    if tf.config.list_physical_devices("GPU"):
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class ExportedModel:
    """A loaded SavedModel (style or super-resolution) and its record (`ModelRecord`).

    Example:
        >>> model = ExportedModel("udnie")
        >>> styled = model(np.zeros((1, 64, 64, 3), np.uint8))
    """

    def __init__(self, name_or_path, precision="float32"):
        """`precision`: "float32" (serving_default), "bfloat16" (serving_bfloat16, fast on
        CPUs with AVX512-BF16/AMX, about 0.2 levels off on average) or "auto" (bfloat16
        where the CPU has it and the model exports it)."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.path = artifact.resolve(name_or_path)
        self.record = artifact.read_record(self.path)
        self._loaded = tf.saved_model.load(self.path)
        has_bfloat16 = BFLOAT16_SIGNATURE in self._loaded.signatures
        if precision == "bfloat16" and not has_bfloat16:
            raise ValueError(f"{self.path}: exported without a {BFLOAT16_SIGNATURE} signature "
                             "(re-export it with this version)")
        fast_cpu = precision == "auto" and cpu_has_fast_bfloat16()
        use_bfloat16 = precision == "bfloat16" or (precision == "auto" and has_bfloat16 and fast_cpu)
        self.precision = "bfloat16" if use_bfloat16 else "float32"
        # Why this precision, in words (what `--precision=auto` reports).
        self.precision_reason = (
            "asked for" if precision != "auto" else
            "this CPU computes bfloat16 natively, with AVX512-BF16 or AMX" if use_bfloat16 else
            f"the model has no {BFLOAT16_SIGNATURE} signature" if fast_cpu else
            "a GPU is in use" if tf.config.list_physical_devices("GPU") else
            "this CPU has neither AVX512-BF16 nor AMX for bfloat16")
        self._serve = self._loaded.signatures[
            BFLOAT16_SIGNATURE if use_bfloat16 else DEFAULT_SIGNATURE]
        self._network = None

    @property
    def name(self):
        return self.record.name or self.path

    @property
    def scale(self):
        """Output size / input size: 1 for style models."""
        return int(self.record.scale or 1)

    def keras_network(self):
        """The Keras network behind the signature, rebuilt from this SavedModel's own
        variables (for tiling, which must reach the instance-norm layers)."""
        if self._network is None:
            self._network = rebuild_network(self._loaded, self.record)
        return self._network

    def __call__(self, images):
        """uint8 [B, H, W, 3] → uint8 [B, H', W', 3] (numpy)."""
        return self._serve(**{IMAGES: tf.convert_to_tensor(images, tf.uint8)})[IMAGES].numpy()
