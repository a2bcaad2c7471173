"""Train a style transfer network end to end and export it (paper §4.1).

One function, `train_style_network`, that the command line and `tools/train_zoo` call:
data → objective → fit (resumable) → float32 SavedModel with its full record.
"""
import os

import tensorflow as tf

from kerastransfer import data, distribute, export, training
from kerastransfer.objective import LossWeights, PerceptualObjective
from kerastransfer.transformer_net import TransformerNet


def train_style_network(style_image, output_dir, steps, train_dir=None, tfds_name=None,
                        export_dir=None, name=None, weights=LossWeights(), style_size=256,
                        image_size=256, batch_size=4, learning_rate=1e-3, width=1.0,
                        normalization="instance", padding="reflect", upsampling="nearest",
                        precision="float32", jit_compile=False, checkpoint_every=100,
                        sample_every=100, sample_image=None, vgg_weights="torchvision",
                        seed=None, verbose=1, strategy=None):
    """Trains (or resumes) a network for `style_image` and exports it to `export_dir`
    (default `output_dir/export`). Returns (export path, record dict).

    `strategy`: a tf.distribute strategy (`distribute.make_strategy`) or None; then
    `batch_size` is per replica, and only the chief exports (others return path None)."""
    name = name or os.path.splitext(os.path.basename(style_image))[0]
    policy = training.set_precision(precision)
    try:
        dataset = data.training_dataset(train_dir, tfds_name, image_size=image_size,
                                        batch_size=batch_size,
                                        seed=distribute.data_seed(seed, strategy))
        style = data.load_style_image(style_image, style_size)
        with distribute.scope(strategy):
            objective = PerceptualObjective.build(weights, style, vgg_weights=vgg_weights)
            transformer = TransformerNet(width=width, normalization=normalization,
                                         padding=padding, upsampling=upsampling,
                                         name="transformer")
            trainer = training.PerceptualTrainer(transformer, objective)
        samples = None
        if sample_image:
            samples = data.resize_and_crop(data.decode_rgb(tf.io.read_file(sample_image)),
                                           image_size, random=False)[tf.newaxis]
        result = training.train(trainer, dataset, steps, output_dir,
                                checkpoint_every=checkpoint_every, sample_images=samples,
                                sample_every=sample_every, learning_rate=learning_rate,
                                jit_compile=jit_compile, verbose=verbose, strategy=strategy)
    finally:
        training.set_precision("float32")
    data_name = tfds_name or os.path.basename(os.path.normpath(train_dir))
    record = {
        "task": "style",
        "name": name,
        "style_image": os.path.basename(style_image),
        "style_size": style_size,
        "network": {k: v for k, v in transformer.get_config().items()
                    if k in ("width", "normalization", "padding", "upsampling", "residual_blocks")},
        "loss": weights.to_json(),
        "train": training.train_record(result, data_name, batch_size, image_size,
                                       learning_rate, policy, jit_compile,
                                       distribute.replicas(strategy)),
        "vgg16_weights": vgg_weights if vgg_weights in ("torchvision", "imagenet") else "file",
        "vgg16_weights_sha256": objective.loss_network.fingerprint,
        "metrics": {"final_train_loss": training.final_losses(result["history"])},
    }
    if not distribute.is_chief(strategy):
        return None, record
    export_dir = export_dir or os.path.join(output_dir, "export")
    export.export_saved_model(export.float32_copy(transformer), export_dir, record, overwrite=True)
    return export_dir, record
