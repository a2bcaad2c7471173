"""The typed recipe configs are the single home of defaults: the command lines' flags come
from their fields, so a Python caller and a CLI user train the same model."""
import dataclasses
import inspect
import subprocess
import sys

import pytest
from absl import flags

from conftest import REPO
from kerastransfer.training import config
from kerastransfer.training.config import SRConfig, StyleConfig

FLAGS_OF = """
import sys
from kerastransfer.cli import {module} as cli
from kerastransfer.training import config
cli.FLAGS(["prog", *sys.argv[1:]])
print(repr(config.from_flags(config.{config})))
"""


def cli_config(module, config_name, *argv):
    """The config a command line builds from `argv`, in a fresh process (as it runs)."""
    result = subprocess.run([sys.executable, "-c", FLAGS_OF.format(module=module,
                                                                  config=config_name), *argv],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return eval(result.stdout.strip().splitlines()[-1], vars(config))


@pytest.mark.slow
@pytest.mark.parametrize("module,config_class", [("train_style", StyleConfig),
                                                  ("train_sr", SRConfig)])
def test_default_flags_are_the_librarys_defaults(module, config_class):
    assert cli_config(module, config_class.__name__) == config_class()


def test_the_library_defaults_to_the_same_config():
    from kerastransfer.training.sr_recipe import train_sr_network
    from kerastransfer.training.style_recipe import train_style_network
    assert inspect.signature(train_style_network).parameters["config"].default == StyleConfig()
    assert inspect.signature(train_sr_network).parameters["config"].default == SRConfig()
    from kerastransfer.cli import train_style  # its flags: defined once per process
    assert (inspect.signature(train_style_network).parameters["init_from"].default
            == train_style.FLAGS["init_from"].default == "content_only")


def test_the_recipe_defaults():
    """The recipe measured in docs/training_recipe.md (tools/train_zoo writes it out)."""
    style = StyleConfig()
    assert (style.width, style.style_weight, style.tv_weight, style.mixed_precision) == (
        0.5, 2.0, 2e-7, "mixed")
    assert (style.decoder_normalization, style.learning_rate, style.warmup_steps,
            style.lr_decay, style.final_lr_fraction, style.small_crop_size,
            style.small_crop_fraction) == ("demodulated", 2e-3, 100, "cosine", 0.1, 128, 0.75)
    assert SRConfig().mixed_precision == "mixed"


@pytest.mark.slow
def test_flag_values_become_field_values():
    got = cli_config("train_style", "StyleConfig", "--decoder_normalization=same",
                     "--style_layers=relu1_2,relu2_2", "--width=0.25", "--seed=3")
    assert got == dataclasses.replace(StyleConfig(), style_layers=("relu1_2", "relu2_2"),
                                      width=0.25, seed=3, decoder_normalization=None)
    got = cli_config("train_sr", "SRConfig", "--scale=8", "--normalization=none",
                     "--patch_size=96")
    assert got == SRConfig(scale=8, normalization=None, patch_size=96)


def test_define_flags_walks_every_field():
    values = flags.FlagValues()
    config.define_flags(SRConfig, values)
    assert set(values) == {f.name for f in dataclasses.fields(SRConfig)}
    values(["prog", "--scale=2", "--residual"])
    assert config.from_flags(SRConfig, values) == SRConfig(scale=2, residual=True)


def test_the_sr_recipes_options_become_fields():
    values = flags.FlagValues()
    config.define_flags(SRConfig, values)
    values(["prog", "--augment", "--nocache_photos", "--warmup_steps=200", "--lr_decay=cosine",
            "--final_lr_fraction=0.1", "--pixel_loss=l1", "--pixel_weight=100",
            "--output_kernel=3"])
    assert config.from_flags(SRConfig, values) == SRConfig(
        augment=True, cache_photos=False, warmup_steps=200, lr_decay="cosine",
        final_lr_fraction=0.1, pixel_loss="l1", pixel_weight=100.0, output_kernel=3)


def test_old_sr_flagfiles_keep_their_meaning():
    """The new options default to the recipe the shipped models were trained with."""
    sr = SRConfig()
    assert (sr.augment, sr.warmup_steps, sr.lr_decay, sr.pixel_loss, sr.pixel_weight,
            sr.output_kernel) == (False, 0, "constant", "l2", 0.0, 9)
    assert sr.network_config()["output_kernel"] == 9


@pytest.mark.parametrize("settings,message", [
    (StyleConfig(width=5), "--width must be in (0, 4]"),
    (StyleConfig(steps=0), "--steps must be >= 1"),
    (StyleConfig(output_head="sigmoid"), "--output_head must be one of"),
    (SRConfig(patch_size=30), "--patch_size must be a multiple of --scale"),
    (SRConfig(normalization="group"), "['batch', 'instance', 'none']"),
    (SRConfig(output_kernel=4), "--output_kernel must be odd and >= 1"),
    (SRConfig(loss="pixel", pixel_weight=1.0), "--pixel_weight is for --loss=feature"),
    (SRConfig(pixel_weight=-1.0), "--pixel_weight must be >= 0"),
    (SRConfig(pixel_loss="l3"), "--pixel_loss must be one of ['l2', 'l1']"),
    (SRConfig(lr_decay="linear"), "--lr_decay must be one of ['constant', 'cosine']"),
    (SRConfig(warmup_steps=-1), "--warmup_steps must be >= 0"),
    (SRConfig(final_lr_fraction=1.5), "--final_lr_fraction must be in [0, 1]"),
    (StyleConfig(warmup_steps=-1), "--warmup_steps must be >= 0"),
])
def test_validate_names_the_setting(settings, message):
    with pytest.raises(ValueError) as raised:
        settings.validate()
    assert message in str(raised.value)
