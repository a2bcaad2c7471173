"""Weights between Keras and the JAX port: the loss network's out, trained weights back
into a network by Keras variable path, and the record's account of how they were trained
(for make_bundle.py, make_curve_bundle.py and import_weights.py; no flags, so tests and
the other tools can import it)."""
import datetime

import numpy as np

# The loss network's convolutions up to relu4_3, the deepest layer the objective uses.
VGG_LAYERS = ("block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2",
              "block3_conv1", "block3_conv2", "block3_conv3",
              "block4_conv1", "block4_conv2", "block4_conv3")


def write_vgg16(path, dtype):
    """The torchvision VGG-16 weights the package uses (hash-checked), `VGG_LAYERS` only,
    as HWIO kernels and biases of `dtype` in an .npz keyed LAYER/kernel and LAYER/bias."""
    from kerastransfer.perceptual.loss_network import load_vgg16
    vgg = load_vgg16("torchvision")
    arrays = {}
    for name in VGG_LAYERS:
        kernel, bias = vgg.get_layer(name).get_weights()
        arrays[f"{name}/kernel"] = kernel.astype(dtype)
        arrays[f"{name}/bias"] = bias.astype(dtype)
    np.savez(path, **arrays)


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
