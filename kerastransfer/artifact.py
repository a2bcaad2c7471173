"""The exported artefact's contract, in one light module (no TensorFlow, no Keras).

A model is a SavedModel (TF Serving layout: `NAME/VERSION/`) with four signatures and
its record, `assets/kerastransfer.json` (`ModelRecord`). The CLI, the Python API, the
model server, Beam and the browser all take the names below from here, so they cannot
drift apart:
  serving_default:  images uint8 [B, H, W, 3] → images uint8 [B, H', W', 3]
  serving_bytes:    image_bytes string [B] (JPEG/PNG) → image_bytes string [B] (PNG)
  serving_bfloat16: as serving_default, computed in bfloat16
  serving_portable: as serving_default, plain Keras ops (the TF.js converter's input)

Like KerasHub presets, a shipped name resolves to files plus their record, so scripts
never hard-code paths: `udnie` → `saved_models/udnie/<newest version>/`. The folder is
$KERASTRANSFER_MODELS if set, else the `saved_models/` beside the package (a source
checkout), else `./saved_models`.
"""
import dataclasses
import json
import os

# Signature keys and their tensors' aliases.
DEFAULT_SIGNATURE = "serving_default"
BYTES_SIGNATURE = "serving_bytes"
BFLOAT16_SIGNATURE = "serving_bfloat16"
PORTABLE_SIGNATURE = "serving_portable"  # plain Keras ops, for the TF.js converter
IMAGES = "images"
IMAGE_BYTES = "image_bytes"

# The record.
RECORD_FILE = "kerastransfer.json"
RECORD_PATH = os.path.join("assets", RECORD_FILE)
STYLE_TASK = "style"
SR_TASK = "super_resolution"

# Limits.
MAX_REQUEST_PIXELS = 16_777_216  # 4096×4096: serving_bytes refuses larger images
MIN_SIDE = 32                    # the networks' smallest input, in pixels a side
TILE_SIZE = 512                  # default core of a tile, in output pixels (tiling)

# Where the network's configuration sits in a record written before
# `keras.saving.serialize_keras_object` was used: a bare config, its class by task.
_LEGACY_NETWORK_CLASSES = {STYLE_TASK: ("transformer_net", "TransformerNet"),
                           SR_TASK: ("sr_net", "SuperResolutionNet")}


@dataclasses.dataclass
class ModelRecord:
    """How a model was made: kerastransfer.json. `network` is the network as
    `keras.saving.serialize_keras_object` writes it, so `models.deserialize_network`
    rebuilds it whatever its class (a record written before holds a bare config, read
    here by its task); `loss`, `train` and `metrics` are the recipe's own JSON. Keys this
    class does not name are kept in `extra` and written back."""
    task: str = STYLE_TASK
    name: str = ""
    network: dict = dataclasses.field(default_factory=dict)
    scale: int = None
    style_image: str = None
    style_size: int = None
    degradation: dict = None
    loss: dict = dataclasses.field(default_factory=dict)
    train: dict = dataclasses.field(default_factory=dict)
    vgg16_weights: str = None
    vgg16_weights_sha256: str = None
    metrics: dict = dataclasses.field(default_factory=dict)
    extra: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_json(cls, data):
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in data.items() if k in names}
        record = cls(**known, extra={k: v for k, v in data.items() if k not in names})
        if record.network and "class_name" not in record.network:  # an older record
            module, class_name = _LEGACY_NETWORK_CLASSES.get(
                record.task, _LEGACY_NETWORK_CLASSES[STYLE_TASK])
            record.network = {"module": f"kerastransfer.models.{module}",
                              "class_name": class_name, "config": record.network,
                              "registered_name": f"kerastransfer>{class_name}"}
        return record

    def to_json(self):
        """The record as written: fields left empty (None, {}) are not written."""
        data = {k: v for k, v in dataclasses.asdict(self).items()
                if k != "extra" and v not in (None, {})}
        return {**data, **self.extra}

    @property
    def network_config(self):
        """The network's constructor arguments."""
        return self.network.get("config", {})

    @property
    def steps_in_all(self):
        """Training steps behind the weights: `train.steps_in_all` for a model trained in
        stages, else its own `train.steps` (a record from before stages were counted);
        None when the record has neither."""
        return self.train.get("steps_in_all", self.train.get("steps"))


def read_signature_defs(path):
    """The SavedModel's SignatureDefs (protos, as TF Serving reports them), by key;
    internal ones (`__...`) left out. Imports TensorFlow's protos when called."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    defs = saved_model.meta_graphs[0].signature_def
    return {k: defs[k] for k in sorted(defs) if not k.startswith("__")}


def models_root():
    env = os.environ.get("KERASTRANSFER_MODELS")
    if env:
        return env
    beside_package = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                  "saved_models")
    return beside_package if os.path.isdir(beside_package) else os.path.abspath("saved_models")


def _is_saved_model(path):
    return os.path.isfile(os.path.join(path, "saved_model.pb"))


def newest_version(model_dir):
    """The highest integer-named version folder holding a SavedModel, or None."""
    if not os.path.isdir(model_dir):
        return None
    versions = [int(v) for v in os.listdir(model_dir)
                if v.isdigit() and _is_saved_model(os.path.join(model_dir, v))]
    return os.path.join(model_dir, str(max(versions))) if versions else None


def available_models():
    """Names of the shipped models that have at least one version."""
    root = models_root()
    if not os.path.isdir(root):
        return []
    return sorted(n for n in os.listdir(root) if newest_version(os.path.join(root, n)))


def resolve(name_or_path):
    """A SavedModel directory for a shipped name, a SavedModel path, or a
    `NAME/` folder of versions. Raises ValueError naming what was tried."""
    if _is_saved_model(name_or_path):
        return os.path.abspath(name_or_path)
    versioned = newest_version(name_or_path)
    if versioned:
        return os.path.abspath(versioned)
    if os.sep not in name_or_path:
        shipped = newest_version(os.path.join(models_root(), name_or_path))
        if shipped:
            return shipped
    names = ", ".join(available_models()) or "none found"
    raise ValueError(f"{name_or_path}: not a SavedModel directory or a shipped model name "
                     f"(shipped: {names})")


def read_record(saved_model_dir):
    """The model's kerastransfer.json (an empty `ModelRecord` when it has none)."""
    path = os.path.join(saved_model_dir, RECORD_PATH)
    if not os.path.exists(path):
        return ModelRecord()
    with open(path) as f:
        return ModelRecord.from_json(json.load(f))


def style_image_path(saved_model_dir, record=None, search_dirs=()):
    """The painting a style model was trained on: its copy in the SavedModel's assets/
    (where export puts it), else the record's `style_image` in one of `search_dirs`
    (models exported before the painting was an asset). None if neither exists."""
    record = read_record(saved_model_dir) if record is None else record
    name = record.style_image
    if not name:
        return None
    name = os.path.basename(name)
    for folder in (os.path.join(saved_model_dir, "assets"), *search_dirs):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def disk_megabytes(directory):
    """Size of every file under `directory`, in MB (10^6 bytes)."""
    return sum(os.path.getsize(os.path.join(root, f))
               for root, _, files in os.walk(directory) for f in files) / 1e6


def network_summary(record):
    """The network in a few words: `width 0.5, instance norm` or `SR ×4, 64 filters, ...`."""
    net = record.network_config
    if record.task == STYLE_TASK:
        decoder = net.get("decoder_normalization")
        return (f"width {net.get('width', 1):g}, {net.get('normalization', '?')} norm"
                + (f", {decoder} decoder" if decoder and decoder != net.get("normalization")
                   else ""))
    return (f"SR ×{record.scale or '?'}, {net.get('filters', '?')} filters, "
            f"{net.get('normalization', '?') or 'no'} norm"
            + (", residual" if net.get("residual") else "")
            + (f", {k}×{k} output conv" if (k := net.get("output_kernel", 9)) != 9 else ""))


def loss_weights_summary(record):
    """Style models: `content / style / TV` weights; SR models: which loss."""
    loss = record.loss
    if record.task == STYLE_TASK:
        return " / ".join(f"{loss.get(k, 0):g}" for k in ("content_weight", "style_weight",
                                                           "tv_weight"))
    if loss.get("kind") != "feature":
        return "ℓpixel"
    layers = [n.replace("block", "relu").replace("_conv", "_")  # Keras's names → the paper's
              for n in loss.get("content_layers", ["block2_conv2"])]
    pixel = loss.get("pixel_weight", 0)
    return f"ℓfeat {'+'.join(layers)}" + (f" + {pixel:g}×ℓpixel" if pixel else "")


def result_summary(record):
    """Style models: the final weighted training loss terms (content / style / TV);
    SR models: Set5 PSNR-Y against bicubic. "-" where the record has none."""
    metrics = record.metrics
    if record.task == STYLE_TASK:
        final = metrics.get("final_train_loss", {})
        return (" / ".join(f"{final[k]:.2f}" for k in ("content", "style", "tv"))
                if final else "-")
    set5 = metrics.get("Set5")
    if not set5:
        return "-"
    return f"Set5 {set5['model']['psnr_y']:.2f} dB (bicubic {set5['bicubic']['psnr_y']:.2f})"


def summary(name):
    """One row of the shipped-model table, from the model's record and files (dict of
    strings; training fields "-" where the record lacks them)."""
    path = resolve(name)
    record = read_record(path)
    train = record.train
    wall = train.get("wall_seconds")
    return {
        "model": name,
        "task": "style" if record.task == STYLE_TASK else
        f"super-resolution ×{record.scale or '?'}" if record.task == SR_TASK else record.task,
        "style": os.path.splitext(os.path.basename(record.style_image or "-"))[0],
        "network": network_summary(record),
        "steps": str(record.steps_in_all if record.steps_in_all is not None else "-"),
        "batch_crop": (f"{train['batch_size']} × {train['image_size']}²"
                       if "batch_size" in train and "image_size" in train else "-"),
        "training_time": (f"{wall / 60:.0f} min" if wall is not None else "-"),
        "precision": str(train.get("precision", "-")).replace("mixed_", ""),
        "loss_weights": loss_weights_summary(record),
        "result": result_summary(record),
        "megabytes": f"{disk_megabytes(path):.1f}",
        "path": path,
    }
