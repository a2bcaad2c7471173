"""Shipped models by name: `udnie` → `saved_models/udnie/<newest version>/`.

Like KerasHub presets, a name resolves to files plus their record (kerastransfer.json),
so scripts never hard-code paths. The folder is $KERASTRANSFER_MODELS if set, else the
`saved_models/` beside the package (a source checkout), else `./saved_models`.
"""
import json
import os

RECORD_PATH = os.path.join("assets", "kerastransfer.json")


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
    """The model's kerastransfer.json as a dict ({} when it has none)."""
    path = os.path.join(saved_model_dir, RECORD_PATH)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def style_image_path(saved_model_dir, record=None, search_dirs=()):
    """The painting a style model was trained on: its copy in the SavedModel's assets/
    (where export puts it), else the record's `style_image` in one of `search_dirs`
    (models exported before the painting was an asset). None if neither exists."""
    record = read_record(saved_model_dir) if record is None else record
    name = record.get("style_image")
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
    net = record.get("network", {})
    if record.get("task") == "style":
        return f"width {net.get('width', 1):g}, {net.get('normalization', '?')} norm"
    return (f"SR ×{record.get('scale', '?')}, {net.get('filters', '?')} filters, "
            f"{net.get('normalization', '?')} norm" + (", residual" if net.get("residual") else ""))


def loss_weights_summary(record):
    """Style models: `content / style / TV` weights; SR models: which loss."""
    loss = record.get("loss", {})
    if record.get("task") == "style":
        return " / ".join(f"{loss.get(k, 0):g}" for k in ("content_weight", "style_weight",
                                                           "tv_weight"))
    return "ℓfeat relu2_2" if loss.get("kind") == "feature" else "ℓpixel"


def result_summary(record):
    """Style models: the final weighted training loss terms (content / style / TV);
    SR models: Set5 PSNR-Y against bicubic. "-" where the record has none."""
    metrics = record.get("metrics", {})
    if record.get("task") == "style":
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
    train = record.get("train", {})
    task = record.get("task", "?")
    wall = train.get("wall_seconds")
    return {
        "model": name,
        "task": "style" if task == "style" else f"super-resolution ×{record.get('scale', '?')}"
        if task == "super_resolution" else task,
        "style": os.path.splitext(os.path.basename(record.get("style_image") or "-"))[0],
        "network": network_summary(record),
        "steps": str(train.get("steps", "-")),
        "batch_crop": (f"{train['batch_size']} × {train['image_size']}²"
                       if "batch_size" in train and "image_size" in train else "-"),
        "training_time": (f"{wall / 60:.0f} min" if wall is not None else "-"),
        "precision": str(train.get("precision", "-")).replace("mixed_", ""),
        "loss_weights": loss_weights_summary(record),
        "result": result_summary(record),
        "megabytes": f"{disk_megabytes(path):.1f}",
        "path": path,
    }
