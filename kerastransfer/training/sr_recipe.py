"""Train a super-resolution network end to end and export it (paper §4.2).

Patches of `patch_size` are cut from the photos without resizing; the network sees them
blurred and bicubic-downsampled by `scale` (`degradation.degrade`) and is trained to
reconstruct them with the feature reconstruction loss at relu2_2 (ℓfeat) or the per-pixel
loss (ℓpixel, the baseline).

Departures the flags allow, each off by default (the paper's recipe): a per-pixel term
beside ℓfeat (`pixel_weight`), ℓfeat at more layers than relu2_2 (`feature_layers`), the
pixel term as an absolute error (`pixel_loss="l1"`), and a warm start from an exported
network (`init_from`), e.g. ℓfeat from ℓpixel.
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
from kerastransfer.training import data, distribute, export_run, loop, run_folder, warm_start
from kerastransfer.training.config import SRConfig

SR_LOSSES = ("feature", "pixel")


def sr_loss_weights(loss, tv_weight=0.0, pixel_weight=0.0, pixel_loss="l2",
                    feature_layers=("relu2_2",)):
    """ℓfeat: feature reconstruction at `feature_layers` (the paper's relu2_2), summed,
    plus `pixel_weight` × the pixel term (not in the paper); ℓpixel: the pixel term alone.
    `pixel_loss`: the pixel term's form, "l2" (the paper's) or "l1". A pixel-only
    objective builds no loss network, so its training step runs no VGG."""
    if loss == "feature":
        return LossWeights(content_layers=tuple(feature_layers), content_weight=1.0,
                           style_layers=(), style_weight=0.0, tv_weight=tv_weight,
                           pixel_weight=pixel_weight, pixel_loss=pixel_loss)
    if loss == "pixel":
        return LossWeights(content_layers=(), content_weight=0.0, style_layers=(),
                           style_weight=0.0, tv_weight=tv_weight, pixel_weight=1.0,
                           pixel_loss=pixel_loss)
    raise ValueError(f"loss must be one of {SR_LOSSES}, got {loss!r}")


def check_warm_start(model_name_or_path, network_config):
    """Raises ValueError, before any training, unless the exported model
    `model_name_or_path` is a super-resolution network of this run's scale and of the
    same architecture (every argument of `SuperResolutionNet(**network_config)`'s
    config), whose weights a run can therefore start from. Reads only its record; returns
    `model_name_or_path`."""
    record = warm_start.source_record(model_name_or_path, SR_TASK, "super-resolution")
    if record.scale != network_config["scale"]:
        raise ValueError(f"--init_from={model_name_or_path} is a ×{record.scale} model; this "
                         f"run trains ×{network_config['scale']} (--scale)")
    warm_start.check_same_network(model_name_or_path, warm_start.recorded_network(record),
                                  SuperResolutionNet(**network_config))
    return model_name_or_path


def train_sr_network(output_dir, config=SRConfig(), train_dir=None, tfds_name=None,
                     export_dir=None, name=None, sample_image=None, init_from=None,
                     strategy=None, verbose=1):
    """Trains (or resumes) a ×`config.scale` network with the settings in `config` (an
    `SRConfig`, whose defaults the command line's flags take) and exports it. Returns
    (path, `ModelRecord`).

    `init_from`: an exported SR model (shipped name or SavedModel path) of the same scale
    and network to start from, when `output_dir` holds no checkpoint yet (checked then;
    a resume ignores it).
    `strategy`: as in `style_recipe.train_style_network` (per-replica batch size; only
    the chief exports, the others return path None)."""
    config.validate()
    init_from = warm_start.started_from(
        output_dir,
        lambda: check_warm_start(init_from, config.network_config()) if init_from else None)
    run_folder.check_same_run(output_dir, config.network_config())
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    scale, loss = config.scale, config.loss
    name = name or f"sr_x{scale}" + ("" if loss == "feature" else f"_{loss}")
    weights = sr_loss_weights(loss, config.tv_weight, config.pixel_weight, config.pixel_loss,
                              config.feature_layers)
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
                            sample_every=config.sample_every, learning_rate=schedule,
                            jit_compile=config.jit_compile, verbose=verbose, strategy=strategy,
                            init_weights=(lambda net: warm_start.copy_weights(init_from, net))
                            if init_from else None)
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
            config.patch_size, policy, strategy, fingerprint,
            learning_rate_schedule=schedule.to_json(), augment=config.augment,
            **warm_start.lineage_fields(output_dir, config.steps)))
    return export_run.record_and_export(network, record, output_dir, export_dir, strategy)
