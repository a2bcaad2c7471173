"""The end both recipes share: what every model's record says about its training, and
the export of the trained network with that record."""
import dataclasses
import os

import keras

from kerastransfer.export import saved_model
from kerastransfer.training import distribute, loop

NAMED_VGG_WEIGHTS = ("torchvision", "imagenet")


def training_fields(config, result, data_name, image_size, policy, strategy, fingerprint,
                    **train):
    """The record's `train`, `vgg16_weights*` and `metrics` fields (a dict of
    `ModelRecord` keyword arguments) from `loop.train`'s `result`; `train` adds
    recipe-specific entries to the `train` field."""
    return {
        "train": {**loop.train_record(result, data_name, config.batch_size, image_size,
                                      config.learning_rate, policy, config.jit_compile,
                                      distribute.replicas(strategy)), **train},
        "vgg16_weights": (config.vgg_weights if config.vgg_weights in NAMED_VGG_WEIGHTS
                          else "file"),
        "vgg16_weights_sha256": fingerprint,
        "metrics": {"final_train_loss": loop.final_losses(result["history"])},
    }


def record_and_export(network, record, output_dir, export_dir=None, strategy=None,
                      style_image=None):
    """Puts the trained `network` (its float32 copy, as `keras.saving.serialize_keras_object`
    writes it) into `record` and, on the chief, exports both to `export_dir` (default
    `output_dir/export`), replacing an older export. Returns (export path, record); the
    path is None on other workers, which export nothing."""
    exported = saved_model.float32_copy(network)
    record = dataclasses.replace(record, network=keras.saving.serialize_keras_object(exported))
    if not distribute.is_chief(strategy):
        return None, record
    export_dir = export_dir or os.path.join(output_dir, "export")
    saved_model.export_saved_model(exported, export_dir, record, overwrite=True,
                                   style_image=style_image)
    return export_dir, record
