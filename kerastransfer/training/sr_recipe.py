"""Train a super-resolution network end to end and export it (paper §4.2).

Patches of `patch_size` are cut from the photos without resizing; the network sees them
blurred and bicubic-downsampled by `scale` (`degradation.degrade`) and is trained to
reconstruct them with the feature reconstruction loss at relu2_2 (ℓfeat) or the per-pixel
loss (ℓpixel, the baseline).

Departures the flags allow, each off by default (the paper's recipe): a per-pixel term
beside ℓfeat (`pixel_weight`), the pixel term as an absolute error (`pixel_loss="l1"`),
and a warm start from an exported network (`init_from`), e.g. ℓfeat from ℓpixel.
"""
import dataclasses
import functools
import os

import keras
import tensorflow as tf
from keras import ops

from kerastransfer import artifact
from kerastransfer.artifact import SR_TASK, ModelRecord
from kerastransfer.models import degradation
from kerastransfer.models.sr_net import SuperResolutionNet
from kerastransfer.perceptual import losses
from kerastransfer.perceptual.loss_network import load_vgg16
from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
from kerastransfer.perceptual.vgg_weights import weights_fingerprint
from kerastransfer.training import data, distribute, export_run, loop
from kerastransfer.training.config import SRConfig

SR_LOSSES = ("feature", "pixel")


def sr_loss_weights(loss, tv_weight=0.0, pixel_weight=0.0):
    """ℓfeat: relu2_2 feature reconstruction (plus `pixel_weight` × the pixel term, not in
    the paper); ℓpixel: the pixel term alone."""
    if loss == "feature":
        return LossWeights(content_layers=("block2_conv2",), content_weight=1.0,
                           style_layers=(), style_weight=0.0, tv_weight=tv_weight,
                           pixel_weight=pixel_weight)
    if loss == "pixel":
        return LossWeights(content_layers=(), content_weight=0.0, style_layers=(),
                           style_weight=0.0, tv_weight=tv_weight, pixel_weight=1.0)
    raise ValueError(f"loss must be one of {SR_LOSSES}, got {loss!r}")


def absolute_pixel_loss(images, target_images):
    """ℓpixel's ℓ1 form, ‖ŷ − y‖₁ / (C H W), on pixel values scaled to [0, 1]. Not in the
    paper (ℓ2 there); the SR literature since EDSR (Lim et al. 2017) trains with it."""
    diff = (ops.cast(images, "float32") - ops.cast(target_images, "float32")) / 255.0
    return ops.mean(ops.mean(ops.abs(diff), axis=[1, 2, 3]))


PIXEL_LOSSES = {"l2": losses.pixel_loss, "l1": absolute_pixel_loss}


class SRObjective:
    """The `PerceptualObjective` of `weights` with its pixel term computed here, as the
    squared ("l2", the paper's ℓpixel) or absolute ("l1") error: the same terms
    (`PerceptualObjective.terms`). Without a content layer (ℓpixel) it has no loss
    network, and a training step runs no VGG."""

    def __init__(self, weights, pixel_loss="l2", vgg_weights="torchvision"):
        if pixel_loss not in PIXEL_LOSSES:
            raise ValueError(f"pixel_loss must be one of {tuple(PIXEL_LOSSES)}, got {pixel_loss!r}")
        self.weights = weights
        self.pixel_loss = pixel_loss
        self.perceptual = PerceptualObjective.build(dataclasses.replace(weights, pixel_weight=0.0),
                                                    vgg_weights=vgg_weights)

    @property
    def loss_network(self):
        return self.perceptual.loss_network

    def terms(self, outputs, targets, content_targets=None):
        terms = dict(self.perceptual.terms(outputs, targets, content_targets))
        if self.weights.pixel_weight:
            pixel = self.weights.pixel_weight * PIXEL_LOSSES[self.pixel_loss](outputs, targets)
            terms["pixel"] = ops.cast(pixel, "float32")
            terms["total"] = terms["total"] + terms["pixel"]
        return terms


def check_warm_start(model_name_or_path, network_config):
    """Raises ValueError, before any training, unless the exported model
    `model_name_or_path` is a super-resolution network of this run's scale and of the
    same architecture (every argument of `SuperResolutionNet(**network_config)`'s
    config), whose weights a run can therefore start from. Reads only its record."""
    from kerastransfer.models import deserialize_network
    record = artifact.read_record(artifact.resolve(model_name_or_path))
    if record.task != SR_TASK:
        raise ValueError(f"--init_from={model_name_or_path}: not a super-resolution model")
    if record.scale != network_config["scale"]:
        raise ValueError(f"--init_from={model_name_or_path} is a ×{record.scale} model; this "
                         f"run trains ×{network_config['scale']} (--scale)")
    if not record.network:
        raise ValueError(f"--init_from={model_name_or_path}: its record has no network "
                         "configuration")
    mine = SuperResolutionNet(**network_config).get_config()
    theirs = deserialize_network(record.network).get_config()
    for key in sorted(mine.keys() - {"name", "trainable", "dtype"}):
        if mine.get(key) != theirs.get(key):
            raise ValueError(f"--init_from={model_name_or_path}: its network has "
                             f"{key}={theirs.get(key)!r}, this run {key}={mine.get(key)!r}")


def warm_start_from(model_name_or_path, network):
    """Copies an exported SR model's weights into `network` (`check_warm_start` first)."""
    from kerastransfer.inference.exported_model import ExportedModel
    network.set_weights(ExportedModel(model_name_or_path).keras_network().get_weights())


def train_sr_network(output_dir, config=SRConfig(), train_dir=None, tfds_name=None,
                     export_dir=None, name=None, sample_image=None, init_from=None,
                     strategy=None, verbose=1):
    """Trains (or resumes) a ×`config.scale` network with the settings in `config` (an
    `SRConfig`, whose defaults the command line's flags take) and exports it. Returns
    (path, `ModelRecord`).

    `init_from`: an exported SR model (shipped name or SavedModel path) of the same scale
    and network to start from, when `output_dir` holds no checkpoint yet.
    `strategy`: as in `style_recipe.train_style_network` (per-replica batch size; only
    the chief exports, the others return path None)."""
    config.validate()
    if init_from:
        check_warm_start(init_from, config.network_config())
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    scale, loss = config.scale, config.loss
    name = name or f"sr_x{scale}" + ("" if loss == "feature" else f"_{loss}")
    weights = sr_loss_weights(loss, config.tv_weight, config.pixel_weight)
    schedule = loop.LearningRateSchedule(config.learning_rate, config.warmup_steps,
                                         config.lr_decay, config.final_lr_fraction)
    policy = loop.set_precision(config.mixed_precision)
    try:
        dataset = data.training_dataset(train_dir, tfds_name, image_size=config.patch_size,
                                        batch_size=config.batch_size,
                                        seed=distribute.data_seed(config.seed, strategy),
                                        resize=False, augment=config.augment,
                                        cache_decoded=config.cache_photos)
        with distribute.scope(strategy):
            objective = SRObjective(weights, config.pixel_loss, config.vgg_weights)
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
                            sample_every=config.sample_every, learning_rate=schedule,
                            jit_compile=config.jit_compile, verbose=verbose, strategy=strategy,
                            init_weights=(lambda net: warm_start_from(init_from, net))
                            if init_from else None)
    finally:
        loop.set_precision("float32")
    vgg = objective.loss_network
    fingerprint = (vgg.fingerprint if vgg
                   else weights_fingerprint(load_vgg16(config.vgg_weights)))
    record = ModelRecord(
        task=SR_TASK, name=name, scale=scale,
        degradation={"blur_sigma": degradation.BLUR_SIGMA, "downsampling": "bicubic"},
        loss={**weights.to_json(), "kind": loss, "pixel_loss": config.pixel_loss},
        **export_run.training_fields(
            config, result, tfds_name or os.path.basename(os.path.normpath(train_dir)),
            config.patch_size, policy, strategy, fingerprint,
            learning_rate_schedule=schedule.to_json(), augment=config.augment,
            **({"init_from": init_from} if init_from else {})))
    return export_run.record_and_export(network, record, output_dir, export_dir, strategy)
