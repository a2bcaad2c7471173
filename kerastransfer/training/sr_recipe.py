"""Train a super-resolution network end to end and export it (paper §4.2).

Patches of `patch_size` are cut from the photos without resizing; the network sees them
blurred and bicubic-downsampled by `scale` (`degradation.degrade`) and is trained to
reconstruct them with the feature reconstruction loss at relu2_2 (ℓfeat) or the per-pixel
loss (ℓpixel, the baseline).
"""
import functools
import os

import keras
import tensorflow as tf

from kerastransfer.artifact import SR_TASK, ModelRecord
from kerastransfer.models import degradation
from kerastransfer.models.sr_net import SuperResolutionNet
from kerastransfer.perceptual.loss_network import load_vgg16
from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
from kerastransfer.perceptual.vgg_weights import weights_fingerprint
from kerastransfer.training import data, distribute, export_run, loop
from kerastransfer.training.config import SRConfig

SR_LOSSES = ("feature", "pixel")


def sr_loss_weights(loss, tv_weight=0.0):
    """ℓfeat: relu2_2 feature reconstruction; ℓpixel: per-pixel squared error."""
    if loss == "feature":
        return LossWeights(content_layers=("block2_conv2",), content_weight=1.0,
                           style_layers=(), style_weight=0.0, tv_weight=tv_weight)
    if loss == "pixel":
        return LossWeights(content_layers=(), content_weight=0.0, style_layers=(),
                           style_weight=0.0, tv_weight=tv_weight, pixel_weight=1.0)
    raise ValueError(f"loss must be one of {SR_LOSSES}, got {loss!r}")


def train_sr_network(output_dir, config=SRConfig(), train_dir=None, tfds_name=None,
                     export_dir=None, name=None, sample_image=None, strategy=None, verbose=1):
    """Trains (or resumes) a ×`config.scale` network with the settings in `config` (an
    `SRConfig`, whose defaults the command line's flags take) and exports it. Returns
    (path, `ModelRecord`).

    `strategy`: as in `style_recipe.train_style_network` (per-replica batch size; only
    the chief exports, the others return path None)."""
    config.validate()
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    scale, loss = config.scale, config.loss
    name = name or f"sr_x{scale}" + ("" if loss == "feature" else f"_{loss}")
    weights = sr_loss_weights(loss, config.tv_weight)
    policy = loop.set_precision(config.mixed_precision)
    try:
        dataset = data.training_dataset(train_dir, tfds_name, image_size=config.patch_size,
                                        batch_size=config.batch_size,
                                        seed=distribute.data_seed(config.seed, strategy),
                                        resize=False)
        with distribute.scope(strategy):
            objective = PerceptualObjective.build(weights, vgg_weights=config.vgg_weights)
            network = SuperResolutionNet(**config.network_config(), name="transformer")
            trainer = loop.PerceptualTrainer(
                network, objective,
                inputs_fn=functools.partial(degradation.degrade, scale=scale))
        samples = None
        if sample_image:
            samples = data.resize_and_crop(data.decode_rgb(tf.io.read_file(sample_image)),
                                           config.patch_size, random=False,
                                           resize=False)[tf.newaxis]
        result = loop.train(trainer, dataset, config.steps, output_dir,
                            checkpoint_every=config.checkpoint_every, sample_images=samples,
                            sample_every=config.sample_every,
                            learning_rate=config.learning_rate,
                            jit_compile=config.jit_compile, verbose=verbose, strategy=strategy)
    finally:
        loop.set_precision("float32")
    vgg = objective.loss_network
    fingerprint = (vgg.fingerprint if vgg
                   else weights_fingerprint(load_vgg16(config.vgg_weights)))
    record = ModelRecord(
        task=SR_TASK, name=name, scale=scale,
        degradation={"blur_sigma": degradation.BLUR_SIGMA, "downsampling": "bicubic"},
        loss={**weights.to_json(), "kind": loss},
        **export_run.training_fields(
            config, result, tfds_name or os.path.basename(os.path.normpath(train_dir)),
            config.patch_size, policy, strategy, fingerprint))
    return export_run.record_and_export(network, record, output_dir, export_dir, strategy)
