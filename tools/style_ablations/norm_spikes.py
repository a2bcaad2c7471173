"""Where a style network's normalisers see spikes, and whether they sit on its blobs.

    python tools/style_ablations/norm_spikes.py MODEL [N_PHOTOS]

For each instance-norm layer, on the first validation photos at 512 px: the largest
standardised activation z = (x - mean) / std of any channel, the mean z of that channel
inside the blob mask (`style_evaluation.blob_mask`), and the share of the image where it
exceeds 6. Written for the blob investigation of docs/training_recipe.md.
"""
import os
import sys

import numpy as np
import tensorflow as tf
from scipy import ndimage

from kerastransfer.evaluation import style_evaluation as se
from kerastransfer.inference.exported_model import ExportedModel
from kerastransfer.models.layers import InstanceNormalization

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "sr_benchmarks")


def record_standardised_inputs(network):
    """Wraps every instance norm of `network` so each call stores its input's z-scores."""
    records = {}
    for layer in network._flatten_layers():
        if isinstance(layer, InstanceNormalization):
            def call(inputs, *args, _original=layer.call, _name=layer.path, **kwargs):
                x = tf.cast(inputs, tf.float32)
                mean, variance = tf.nn.moments(x, [1, 2], keepdims=True)
                records[_name] = ((x - mean) * tf.math.rsqrt(variance + 1e-5)).numpy()[0]
                return _original(inputs, *args, **kwargs)
            layer.call = call
    return records


def main(model, photos=6):
    network = ExportedModel(model).keras_network()
    records = record_standardised_inputs(network)
    for relative in se.VALIDATION_PHOTOS[:photos]:
        photo = se.load_photo(os.path.join(DATA, relative), 512)
        output = network(tf.constant(photo[None], tf.float32), training=False).numpy()[0]
        mask = se.blob_mask(np.clip(np.round(output), 0, 255), photo)
        print(f"{relative}: blob score {100 * mask.mean():.2f}")
        for name, z in records.items():
            peak = z.max(axis=(0, 1))
            channel = int(np.argmax(peak))
            zoom = (z.shape[0] / mask.shape[0], z.shape[1] / mask.shape[1])
            on_blob = ndimage.zoom(mask.astype(float), zoom, order=0) > 0.5
            in_blob = float(z[..., channel][on_blob].mean()) if on_blob.any() else float("nan")
            print(f"  {name:36s} max z {peak.max():5.1f} (channel {channel:3d}), its mean z on "
                  f"the blobs {in_blob:5.1f}, area z > 6 {100 * (z[..., channel] > 6).mean():.2f}%")


if __name__ == "__main__":
    main(sys.argv[1], *map(int, sys.argv[2:3]))
