"""Writes every shipped SavedModel again with the current export code, from its own
variables and record, after a change to the serving signatures (saved_model.py,
inference_graph.py). The weights are not touched: each model is checked to give the
same output from its new `serving_portable` as from its old plain pass (`serving_portable`,
or `serving_default` where it has none), and the new `serving_default` is compared with
the old one, before it replaces the old copy. A style model's painting in assets/ goes
with it.

    python tools/reexport_models.py [--models=udnie,...]   (default: every shipped model)
"""
import os
import shutil

import numpy as np
from absl import app, flags, logging

flags.DEFINE_list("models", None, "Model names (default: every shipped model).")
flags.DEFINE_integer("check_size", 256, "Side of the random check image, pixels.")
FLAGS = flags.FLAGS


def reexport(name, check):
    import tensorflow as tf
    from kerastransfer import artifact
    from kerastransfer.export import saved_model
    from kerastransfer.inference.exported_model import rebuild_network
    path = artifact.resolve(name)
    record = artifact.read_record(path)
    old = tf.saved_model.load(path)
    network = rebuild_network(old, record)
    scale = record.scale or 1
    image = check[:, : FLAGS.check_size // scale, : FLAGS.check_size // scale]
    # The old model's plain Keras pass: its portable signature, or (exported before that
    # signature existed) its default one.
    plain = artifact.PORTABLE_SIGNATURE if artifact.PORTABLE_SIGNATURE in old.signatures \
        else artifact.DEFAULT_SIGNATURE
    before = old.signatures[plain](images=tf.constant(image))["images"].numpy()
    before_fast = old.signatures["serving_default"](images=tf.constant(image))["images"].numpy()
    staging = os.path.join(os.path.dirname(path), f".reexport-{os.path.basename(path)}")
    saved_model.export_saved_model(network, staging, record, overwrite=True,
                                   style_image=artifact.style_image_path(path, record))
    try:
        new = tf.saved_model.load(staging)
        portable = new.signatures[artifact.PORTABLE_SIGNATURE](images=tf.constant(image))["images"]
        fast = new.signatures["serving_default"](images=tf.constant(image))["images"]
        if not np.array_equal(portable.numpy(), before):
            raise SystemExit(f"error: {name}: the re-exported portable signature differs "
                             f"from the old model; nothing replaced")
        difference = np.abs(fast.numpy().astype(int) - before_fast.astype(int))
        retired = path + ".old"
        os.replace(path, retired)
        os.replace(staging, path)
        shutil.rmtree(retired)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return difference


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    from kerastransfer import artifact
    rng = np.random.default_rng(0)
    check = rng.integers(0, 256, (1, FLAGS.check_size, FLAGS.check_size, 3), dtype=np.uint8)
    print("| model | new serving_default vs old: max / mean levels |")
    print("|---|---|")
    for name in FLAGS.models or artifact.available_models():
        difference = reexport(name, check)
        print(f"| {name} | {difference.max()} / {difference.mean():.4f} |", flush=True)


if __name__ == "__main__":
    app.run(main)
