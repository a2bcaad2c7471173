"""Weights trained outside Keras, by Keras variable path, back into a network, and the
record's account of how they were trained (`import_weights.py`; no flags, so tests can
import it)."""
import datetime


def set_weights_by_path(network, arrays):
    """Sets every weight of the built `network` from `arrays` ({path without the model's
    name: array}); ValueError when one is missing or misshapen."""
    for variable in network.weights:
        path = variable.path.removeprefix(f"{network.name}/")
        if path not in arrays:
            raise ValueError(f"no weights for {path}")
        if tuple(arrays[path].shape) != tuple(variable.shape):
            raise ValueError(f"{path}: shape {arrays[path].shape}, network wants "
                             f"{tuple(variable.shape)}")
        variable.assign(arrays[path])


def train_fields(source, run, summary):
    """The record's `train` field for weights trained by train_jax.py from `source`."""
    old = source["record"]["train"]
    return {
        "steps": run["steps"], "batch_size": run["batch_size"], "image_size": run["crop"],
        "learning_rate": run["learning_rate_schedule"]["peak"], "optimizer": "Adam",
        "data": old.get("data", "train_photos"), "precision": "mixed_bfloat16",
        "jit_compile": True, "wall_seconds": run["wall_seconds"],
        "machine": f"{summary['device']}, JAX {summary['jax']} (tools/gpu_zoo/train_jax.py)",
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "weights_sha256": old.get("weights_sha256"),
        "learning_rate_schedule": run["learning_rate_schedule"],
        "crop_phases": [{"batch_size": run["batch_size"], "crop_size": run["crop"],
                         "scale_to": run["crop"], "until_step": None}],
        "init_from": source["path"].split("saved_models/", 1)[-1],
    }
