"""The training recipes' settings: one typed config per recipe, the single home of defaults.

`train_style_network` and `train_sr_network` take these, and the command lines define
their flags by walking the same fields (`define_flags`, `from_flags`): a flag is named
after its field and takes its default and help from it, so a Python caller with
`StyleConfig()` trains the model `kerastransfer-train-style` trains with default flags.
The defaults are the recipes measured on this project's CPU (docs/training_recipe.md,
docs/super_resolution.md); `tools/train_zoo/` writes out every flag of each shipped model.
Pure Python: the command lines read it before TensorFlow starts.
"""
import dataclasses
import types
import typing

PRECISIONS = ("float32", "mixed", "mixed_float16", "mixed_bfloat16")


def setting(default, help, choices=None, none=None):
    """A config field with its flag's help, its allowed values, and the flag value that
    stands for None (e.g. "same" for `decoder_normalization=None`)."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices,
                                                        "none": none})


def _check(condition, message):
    if not condition:
        raise ValueError(message)


# Both recipes' learning-rate schedule (`loop.LearningRateSchedule`), one definition each.
def warmup_steps_setting(default=0):
    return setting(default, "Steps of linear learning-rate warm-up from 0, >= 0.")


def lr_decay_setting(default="constant"):
    return setting(default, "Learning rate after the warm-up: constant, or cosine decay "
                            "to --final_lr_fraction of it at --steps.", ("constant", "cosine"))


def final_lr_fraction_setting(default=0.0):
    return setting(default, "With --lr_decay=cosine: the last step's learning rate as a "
                            "fraction of --learning_rate, in [0, 1].")


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """How either recipe runs, whatever it trains: precision, compilation, intervals, the
    loss network's weights and the seed."""
    mixed_precision: str = setting("mixed", "mixed = float16 on GPU, bfloat16 on CPU.",
                                   PRECISIONS)
    jit_compile: bool = setting(False, "Compile the train step with XLA.")
    checkpoint_every: int = setting(100, "Steps between checkpoints, >= 1.")
    sample_every: int = setting(100, "Steps between sample images, >= 1.")
    vgg_weights: str = setting("torchvision", "torchvision (offline), imagenet (Keras "
                                              "download), random (tests) or a .weights.h5 "
                                              "path.")
    seed: typing.Optional[int] = setting(None, "Random seed for the data pipeline and "
                                               "initialisation.")


@dataclasses.dataclass(frozen=True)
class StyleConfig(RunSettings):
    """A style network's training (paper §4.1). Messages of `validate` name the flag.

    The defaults are the recipe measured in docs/training_recipe.md, which departs from
    the paper where it measured better on this CPU: demodulated (not instance-normalised)
    residual blocks and decoder, which removed the blobs of saturated colour; a warm-up to
    2e-3 and a cosine decay to a tenth; three quarters of the steps on 128-px crops; and
    (`train_style_network`'s `init_from`) a start from a content-only network. Together
    they reached the 2300-step instance-norm model's objective in under a third of its
    CPU time."""
    steps: int = setting(40000, "Total optimisation steps (across resumes), >= 1.")
    batch_size: int = setting(4, "Images per step per replica (the global batch is this × "
                                 "replicas), >= 1.")
    image_size: int = setting(256, "Training crop size in pixels, >= 32.")
    style_size: int = setting(256, "Longer side of the style image in pixels, >= 32.")
    learning_rate: float = setting(2e-3, "Adam's peak learning rate, > 0.")
    content_layers: tuple = setting(("relu2_2",), "VGG-16 layers of the feature loss.")
    style_layers: tuple = setting(("relu1_2", "relu2_2", "relu3_3", "relu4_3"),
                                  "VGG-16 layers of the style loss.")
    content_weight: float = setting(1.0, "Weight of the feature reconstruction loss, >= 0.")
    style_weight: float = setting(2.0, "Weight of the style reconstruction loss, >= 0.")
    tv_weight: float = setting(2e-7, "Weight of the total variation loss, >= 0.")
    pixel_weight: float = setting(0.0, "Weight of the pixel loss, >= 0.")
    range_weight: float = setting(0.0, "Weight of the penalty on output pixels outside "
                                       "[0, 255] (mean squared excess in levels), >= 0; for "
                                       "--output_head=linear.")
    width: float = setting(0.5, "Channel width multiplier of the network, in (0, 4].")
    normalization: str = setting("instance", "Normalisation layers.", ("instance", "batch"))
    padding: str = setting("reflect", "Padding scheme.", ("reflect", "paper"))
    upsampling: str = setting("nearest", "Upsampling layers.", ("nearest", "transpose"))
    decoder_normalization: str = setting(
        "demodulated", "Normalisation of the residual blocks and upsampling layers; centred: "
              "instance mean subtracted, no division by the deviation; demodulated: "
              "each channel scaled by its kernel's inverse norm (StyleGAN2), no image "
              "statistics; same: as --normalization.",
        (None, "instance", "centred", "batch", "demodulated"), none="same")
    output_head: str = setting("tanh", "Last layer: tanh (the paper), clip (straight-through "
                                       "clip to [0, 255]) or linear (clipped at inference; "
                                       "use --range_weight).", ("tanh", "clip", "linear"))
    warmup_steps: int = warmup_steps_setting(100)
    lr_decay: str = lr_decay_setting("cosine")
    final_lr_fraction: float = final_lr_fraction_setting(0.1)
    small_crop_size: int = setting(128, "Progressive resizing: crop size (px) of the first "
                                        "--small_crop_fraction of the steps, cut at "
                                        "--image_size's (or --scale_to's) scale (no small "
                                        "phase unless it is below --image_size).")
    small_crop_fraction: float = setting(0.75, "Share of --steps on --small_crop_size "
                                               "crops, in [0, 1); 0 trains on --image_size "
                                               "crops throughout.")
    small_batch_size: typing.Optional[int] = setting(
        None, "Batch size of the small-crop phase (default --batch_size).")
    scale_to: typing.Optional[int] = setting(
        None, "Shorter side (px) the photos are scaled to before every crop is cut "
              "(default --image_size): the scale of the content the network learns on, "
              "apart from the crop size that sets a step's cost.")

    def validate(self):
        """Raises ValueError naming the first setting out of range."""
        _validate_common(self)
        _check(self.image_size >= 32, "--image_size must be >= 32")
        _check(self.style_size >= 32, "--style_size must be >= 32")
        _check(0 < self.width <= 4, "--width must be in (0, 4]")
        for name in ("content_weight", "style_weight", "tv_weight", "pixel_weight",
                     "range_weight"):
            _check(getattr(self, name) >= 0, f"--{name} must be >= 0")
        _validate_schedule(self)
        _check(0 <= self.small_crop_fraction < 1, "--small_crop_fraction must be in [0, 1)")
        _check(self.small_crop_size >= 32, "--small_crop_size must be >= 32")
        _check(self.small_batch_size is None or self.small_batch_size >= 1,
               "--small_batch_size must be >= 1")
        _check(self.scale_to is None or self.scale_to >= self.image_size,
               "--scale_to must be >= --image_size")
        return self

    def network_config(self):
        """TransformerNet's arguments."""
        return {"width": self.width, "normalization": self.normalization,
                "padding": self.padding, "upsampling": self.upsampling,
                "decoder_normalization": self.decoder_normalization,
                "output_head": self.output_head}


@dataclasses.dataclass(frozen=True)
class SRConfig(RunSettings):
    """A super-resolution network's training (paper §4.2)."""
    scale: int = setting(4, "Upscaling factor.", (2, 4, 8))
    loss: str = setting("feature", "ℓfeat (at --feature_layers) or ℓpixel.",
                        ("feature", "pixel"))
    steps: int = setting(200000, "Total optimisation steps (across resumes), >= 1.")
    batch_size: int = setting(4, "Patches per step per replica (the global batch is this × "
                                 "replicas), >= 1.")
    patch_size: int = setting(288, "High-resolution patch size, a multiple of --scale.")
    augment: bool = setting(False, "Show each patch in a random one of the 8 orientations "
                                   "of the square (flips and quarter turns); without it, "
                                   "only a random left-right flip.")
    cache_photos: bool = setting(True, "--train_dir: keep the decoded photos in memory "
                                       "(H×W×3 bytes each, 432 MiB for the 1062 of "
                                       "../shared/data/train_photos), so a step cuts its "
                                       "patches without decoding a JPEG per patch; the "
                                       "patches are the same either way. --tfds streams.")
    learning_rate: float = setting(1e-3, "Adam's peak learning rate, > 0.")
    warmup_steps: int = warmup_steps_setting()
    lr_decay: str = lr_decay_setting()
    final_lr_fraction: float = final_lr_fraction_setting()
    pixel_loss: str = setting("l2", "The per-pixel term: l2 (squared error, the paper's "
                                    "ℓpixel) or l1 (absolute error), on levels scaled to "
                                    "[0, 1].", ("l2", "l1"))
    feature_layers: tuple = setting(("relu2_2",), "--loss=feature only: VGG-16 layers of "
                                    "ℓfeat, summed (relu2_2: the paper's). relu2_2 sits "
                                    "after a pooling and cannot see a period-2 grid; "
                                    "relu1_2 beside it can.")
    pixel_weight: float = setting(0.0, "--loss=feature only: weight of a per-pixel term "
                                       "(--pixel_loss) beside ℓfeat, >= 0; 0 is the paper's "
                                       "pure ℓfeat. ℓfeat at relu2_2 is about 3 and l2 about "
                                       "0.005 after a short run, so 100-1000 make it count.")
    tv_weight: float = setting(0.0, "Total variation weight, >= 0.")
    filters: int = setting(64, "Channels of the network, >= 1.")
    normalization: str = setting("batch", "Normalisation.", ("batch", "instance", None),
                                 none="none")
    upsampling: str = setting("nearest", "Upsampling layers.", ("nearest", "transpose"))
    residual: bool = setting(False, "Learn a correction to the bicubic upscale (departs from "
                                    "the paper; usable after far fewer steps).")
    output_kernel: int = setting(9, "Kernel size of the last convolution, odd, >= 1 (9 in the "
                                    "paper; 3 halved a 96-px ℓpixel step on a 2-core CPU).")

    def validate(self):
        """Raises ValueError naming the first setting out of range."""
        _validate_common(self)
        _check(self.patch_size >= 8 * self.scale and self.patch_size % self.scale == 0,
               f"--patch_size must be a multiple of --scale and >= {8 * self.scale}")
        _check(self.tv_weight >= 0, "--tv_weight must be >= 0")
        _check(self.filters >= 1, "--filters must be >= 1")
        _check(self.output_kernel >= 1 and self.output_kernel % 2 == 1,
               "--output_kernel must be odd and >= 1")
        _check(self.pixel_weight >= 0, "--pixel_weight must be >= 0")
        _check(self.loss == "feature" or self.pixel_weight == 0,
               "--pixel_weight is for --loss=feature (--loss=pixel is the pixel term alone)")
        _check(self.loss == "feature" or tuple(self.feature_layers) == ("relu2_2",),
               "--feature_layers is for --loss=feature")
        _check(len(self.feature_layers) >= 1, "--feature_layers must name a layer")
        _check(len(set(self.feature_layers)) == len(self.feature_layers),
               "--feature_layers names a layer twice")
        _validate_schedule(self)
        return self

    def network_config(self):
        """SuperResolutionNet's arguments."""
        return {"scale": self.scale, "filters": self.filters,
                "normalization": self.normalization, "upsampling": self.upsampling,
                "residual": self.residual, "output_kernel": self.output_kernel}


def _validate_schedule(config):
    _check(config.warmup_steps >= 0, "--warmup_steps must be >= 0")
    _check(0 <= config.final_lr_fraction <= 1, "--final_lr_fraction must be in [0, 1]")


def _validate_common(config):
    _check(config.steps >= 1, "--steps must be >= 1")
    _check(config.batch_size >= 1, "--batch_size must be >= 1")
    _check(config.learning_rate > 0, "--learning_rate must be > 0")
    _check(config.checkpoint_every >= 1 and config.sample_every >= 1,
           "--checkpoint_every and --sample_every must be >= 1")
    for field in dataclasses.fields(config):
        choices, value = field.metadata.get("choices"), getattr(config, field.name)
        if choices and value not in choices:
            raise ValueError(f"--{field.name} must be one of {_flag_values(field)}, "
                             f"got {value!r}")


# ---- flags, from the fields -------------------------------------------------------------

def _flag_value(field, value):
    return field.metadata["none"] if value is None and field.metadata.get("none") else value


def _flag_values(field):
    return [str(_flag_value(field, c)) for c in field.metadata["choices"]]


def _base_type(field):
    """int, float, str, bool or tuple: the field's type without Optional."""
    kind = field.type
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    return kind


def define_flags(config_class, flag_values=None, skip=()):
    """Defines one absl flag per field of `config_class` (except `skip`): its name, its
    default, its help, an enum where the field has choices. The class's own fields come
    first, then those of `RunSettings`."""
    from absl import flags
    flags.disclaim_key_flags()  # the flags belong to the command that calls this
    flag_values = flags.FLAGS if flag_values is None else flag_values
    fields = dataclasses.fields(config_class)
    own = set(config_class.__annotations__)
    for field in [f for f in fields if f.name in own] + [f for f in fields if f.name not in own]:
        if field.name in skip:
            continue
        kind, help = _base_type(field), field.metadata["help"]
        default = _flag_value(field, field.default)
        if field.metadata.get("choices"):
            flags.DEFINE_enum(field.name, str(default), _flag_values(field), help,
                              flag_values=flag_values)
        elif kind is bool:
            flags.DEFINE_bool(field.name, default, help, flag_values=flag_values)
        elif kind is int:
            flags.DEFINE_integer(field.name, default, help, flag_values=flag_values)
        elif kind is float:
            flags.DEFINE_float(field.name, default, help, flag_values=flag_values)
        elif kind is tuple:
            flags.DEFINE_list(field.name, list(default), help, flag_values=flag_values)
        else:
            flags.DEFINE_string(field.name, default, help, flag_values=flag_values)


def from_flags(config_class, flag_values=None):
    """A `config_class` from the flags `define_flags` made, values converted back to the
    fields' types (enum strings to int, "same"/"none" to None, lists to tuples)."""
    from absl import flags
    flag_values = flags.FLAGS if flag_values is None else flag_values
    values = {}
    for field in dataclasses.fields(config_class):
        if field.name not in flag_values:
            continue
        value, kind = flag_values[field.name].value, _base_type(field)
        if field.metadata.get("choices"):
            value = {str(_flag_value(field, c)): c for c in field.metadata["choices"]}[value]
        elif kind is tuple:
            value = tuple(value)
        values[field.name] = value
    return config_class(**values)
