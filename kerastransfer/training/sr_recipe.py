"""Train a super-resolution network end to end and export it (paper §4.2).

Patches of `patch_size` are cut from the photos without resizing; the network sees them
blurred and bicubic-downsampled by `scale` (`degradation.degrade`) and is trained to
reconstruct them with the feature reconstruction loss at relu2_2 (ℓfeat) or the per-pixel
loss (ℓpixel, the baseline).
"""
import functools
import os

import tensorflow as tf

from kerastransfer.training import data, distribute, loop

from kerastransfer.models import degradation

from kerastransfer.export import saved_model
from kerastransfer.perceptual.loss_network import load_vgg16
from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
from kerastransfer.models.sr_net import SuperResolutionNet
from kerastransfer.perceptual.vgg_weights import weights_fingerprint

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


def train_sr_network(scale, loss, output_dir, steps, train_dir=None, tfds_name=None,
                     export_dir=None, name=None, tv_weight=0.0, patch_size=288, batch_size=4,
                     learning_rate=1e-3, filters=64, normalization="batch",
                     upsampling="nearest", residual=False, precision="float32", jit_compile=False,
                     checkpoint_every=100, sample_every=100, sample_image=None,
                     vgg_weights="torchvision", seed=None, verbose=1, strategy=None):
    """Trains (or resumes) a ×`scale` network and exports it. Returns (path, record).

    `strategy`: as in `style_training.train_style_network` (per-replica `batch_size`;
    only the chief exports, the others return path None)."""
    if patch_size % scale:
        raise ValueError(f"patch_size {patch_size} must be a multiple of scale {scale}")
    name = name or f"sr_x{scale}" + ("" if loss == "feature" else f"_{loss}")
    weights = sr_loss_weights(loss, tv_weight)
    policy = loop.set_precision(precision)
    try:
        dataset = data.training_dataset(train_dir, tfds_name, image_size=patch_size,
                                        batch_size=batch_size,
                                        seed=distribute.data_seed(seed, strategy), resize=False)
        with distribute.scope(strategy):
            objective = PerceptualObjective.build(weights, vgg_weights=vgg_weights)
            network = SuperResolutionNet(scale=scale, filters=filters,
                                         normalization=normalization, upsampling=upsampling,
                                         residual=residual, name="transformer")
            trainer = loop.PerceptualTrainer(
                network, objective,
                inputs_fn=functools.partial(degradation.degrade, scale=scale))
        samples = None
        if sample_image:
            samples = data.resize_and_crop(data.decode_rgb(tf.io.read_file(sample_image)),
                                           patch_size, random=False, resize=False)[tf.newaxis]
        result = loop.train(trainer, dataset, steps, output_dir,
                                checkpoint_every=checkpoint_every, sample_images=samples,
                                sample_every=sample_every, learning_rate=learning_rate,
                                jit_compile=jit_compile, verbose=verbose, strategy=strategy)
    finally:
        loop.set_precision("float32")
    vgg = objective.loss_network
    fingerprint = vgg.fingerprint if vgg else weights_fingerprint(load_vgg16(vgg_weights))
    record = {
        "task": "super_resolution",
        "name": name,
        "scale": scale,
        "degradation": {"blur_sigma": degradation.BLUR_SIGMA, "downsampling": "bicubic"},
        "network": {k: v for k, v in network.get_config().items()
                    if k in ("scale", "filters", "residual_blocks", "normalization", "upsampling",
                              "residual")},
        "loss": {**weights.to_json(), "kind": loss},
        "train": loop.train_record(result, tfds_name or os.path.basename(os.path.normpath(train_dir)),
                                       batch_size, patch_size, learning_rate, policy, jit_compile,
                                       distribute.replicas(strategy)),
        "vgg16_weights": vgg_weights if vgg_weights in ("torchvision", "imagenet") else "file",
        "vgg16_weights_sha256": fingerprint,
        "metrics": {"final_train_loss": loop.final_losses(result["history"])},
    }
    if not distribute.is_chief(strategy):
        return None, record
    export_dir = export_dir or os.path.join(output_dir, "export")
    saved_model.export_saved_model(saved_model.float32_copy(network), export_dir, record, overwrite=True)
    return export_dir, record
