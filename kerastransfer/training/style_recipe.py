"""Train a style transfer network end to end and export it (paper §4.1).

One function, `train_style_network`, that the command line and `tools/train_zoo` call:
data → objective → fit (resumable) → float32 SavedModel with its full record.
"""
import os

import keras

from kerastransfer.artifact import STYLE_TASK, ModelRecord
from kerastransfer.models.transformer_net import TransformerNet
from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
from kerastransfer.perceptual.vgg_weights import sha256_of_file
from kerastransfer.training import data, distribute, export_run, loop, run_folder, warm_start
from kerastransfer.training.config import StyleConfig


SAMPLE_SIZE = 512  # longer side of the sample photo in OUTPUT_DIR/samples


def crop_phases(steps, image_size, batch_size, small_crop_size=None, small_crop_fraction=0.0,
                small_batch_size=None, scale_to=None):
    """Progressive resizing: the first `small_crop_fraction` of the steps on
    `small_crop_size` crops cut at the scale of `image_size` training (about 4× cheaper
    per step at half the side), the rest on `image_size` crops. Both cut from photos whose
    shorter side is `scale_to` (default `image_size`). The phases are fixed when a run
    starts (`check_same_run`)."""
    scale_to = scale_to or image_size
    final = data.CropPhase(image_size, scale_to, batch_size)
    small_steps = (int(round(steps * small_crop_fraction))
                   if small_crop_size and small_crop_size < image_size else 0)
    if small_steps <= 0:
        return [final]
    small = data.CropPhase(small_crop_size, scale_to, small_batch_size or batch_size,
                           until_step=small_steps)
    return [small, final]


def check_same_run(output_dir, config, phases):
    """Refuses to continue a run folder with another network or style, and keeps its crop
    phases: the first run writes `config` (flag name → value) and `phases` beside its
    checkpoints; later runs must match the config and train on the saved phases, so a
    finished run extended to more steps goes on at the full crop size. Returns the phases."""
    export = os.path.join(output_dir, "export")
    saved = run_folder.check_same_run(
        output_dir, config, {"crop_phases": [p.to_json() for p in phases]},
        hint=f" (with --init_from={export} to start from its network)",
        described={"style_image": "another painting"})
    if "crop_phases" not in saved:
        return phases
    return [data.CropPhase(**p) for p in saved["crop_phases"]]


def warm_start_source(init_from, network_config):
    """What a new run with `--init_from=init_from` starts from: `init_from` itself (a
    shipped model name or SavedModel path, checked to be a style network like this run's:
    ValueError otherwise), or None, from scratch. `CONTENT_ONLY`, the default, is the
    content-only network shipped for the default network, and None for any other network
    (e.g. --width=1): a run then starts from scratch, as `describe_warm_start` says."""
    if not init_from:
        return None
    mine = TransformerNet(**network_config)
    if init_from == warm_start.CONTENT_ONLY:
        usable = not warm_start.network_mismatch(warm_start.content_only_network(), mine)
        return init_from if usable else None
    record = warm_start.source_record(init_from, STYLE_TASK, "style")
    warm_start.check_same_network(init_from, warm_start.recorded_network(record), mine)
    return init_from


def describe_warm_start(source, network_config, requested=warm_start.CONTENT_ONLY):
    """The start line's words for a new run that begins from `source` (what
    `warm_start_source` resolved, None: scratch); `requested` is the --init_from asked
    for, to say why the content-only network was not used."""
    if source == warm_start.CONTENT_ONLY:
        return "the shipped content-only network"
    if source:
        return f"{source}'s weights"
    if requested == warm_start.CONTENT_ONLY:
        mismatch = warm_start.network_mismatch(warm_start.content_only_network(),
                                               TransformerNet(**network_config))
        if mismatch:
            return (f"scratch: the shipped content-only network has {mismatch} (train one "
                    "with --style_weight=0 and pass its export as --init_from)")
    return "scratch"


def train_style_network(style_image, output_dir, config=StyleConfig(), train_dir=None,
                        tfds_name=None, export_dir=None, name=None, sample_image=None,
                        init_from=warm_start.CONTENT_ONLY, strategy=None, verbose=1,
                        on_start=None):
    """Trains (or resumes) a network for `style_image` with the settings in `config` (a
    `StyleConfig`, whose defaults the command line's flags take; `config.seed` also seeds
    Keras) and exports it to `export_dir`
    (default `output_dir/export`). Returns (export path, `ModelRecord`).

    `init_from`: a shipped model name or SavedModel path to start from, resolved and
    checked when `output_dir` holds no run yet (a resume keeps its first start's); by
    default the shipped content-only network where it fits (`warm_start_source`); None
    starts from scratch.
    `strategy`: a tf.distribute strategy (`distribute.make_strategy`) or None; then
    `config.batch_size` is per replica, and only the chief exports (others return path
    None). `on_start(step, init_from)` is called with the step a run starts or resumes
    at and the warm start its first start resolved (None: scratch)."""
    config.validate()
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    weights = LossWeights(content_layers=tuple(config.content_layers),
                          style_layers=tuple(config.style_layers),
                          content_weight=config.content_weight,
                          style_weight=config.style_weight, tv_weight=config.tv_weight,
                          pixel_weight=config.pixel_weight, range_weight=config.range_weight)
    schedule = loop.LearningRateSchedule(config.learning_rate, config.warmup_steps,
                                         config.lr_decay, config.final_lr_fraction)
    name = name or os.path.splitext(os.path.basename(style_image))[0]
    phases = crop_phases(config.steps, config.image_size, config.batch_size,
                         config.small_crop_size, config.small_crop_fraction,
                         config.small_batch_size, config.scale_to)
    network = config.network_config()
    run_config = {"style_image": sha256_of_file(style_image), "style_size": config.style_size,
                  **network}
    phases = check_same_run(output_dir, run_config, phases)
    init_from = warm_start.started_from(output_dir,
                                        lambda: warm_start_source(init_from, network))
    policy = loop.set_precision(config.mixed_precision)
    try:
        data_seed = distribute.data_seed(config.seed, strategy)

        def dataset(start_step):
            return data.phased_dataset(phases, start_step, train_dir, tfds_name, seed=data_seed)

        style = data.load_style_image(style_image, config.style_size)
        with distribute.scope(strategy):
            objective = PerceptualObjective.build(weights, style, vgg_weights=config.vgg_weights)
            transformer = TransformerNet(**network, name="transformer")
            trainer = loop.PerceptualTrainer(transformer, objective)
        samples = None
        if sample_image:
            # the whole photo at a size one can judge, not a training crop
            samples = data.load_style_image(sample_image, SAMPLE_SIZE)
        result = loop.train(trainer, dataset, config.steps, output_dir,
                            checkpoint_every=config.checkpoint_every, sample_images=samples,
                            sample_every=config.sample_every, learning_rate=schedule,
                            jit_compile=config.jit_compile, verbose=verbose, strategy=strategy,
                            init_weights=(lambda net: warm_start.copy_weights(init_from, net))
                            if init_from else None,
                            on_start=(lambda step: on_start(step, init_from))
                            if on_start else None)
    finally:
        loop.set_precision("float32")
    record = ModelRecord(
        task=STYLE_TASK, name=name, style_image=os.path.basename(style_image),
        style_size=config.style_size, loss=weights.to_json(),
        **export_run.training_fields(
            config, result, tfds_name or os.path.basename(os.path.normpath(train_dir)),
            config.image_size, policy, strategy, objective.loss_network.fingerprint,
            learning_rate_schedule=schedule.to_json(),
            crop_phases=[p.to_json() for p in phases],
            **warm_start.lineage_fields(output_dir, config.steps)))
    return export_run.record_and_export(transformer, record, output_dir, export_dir, strategy,
                                        style_image=style_image)
