"""The style recipe's parts: pixel heads, centred normalisation, the learning-rate
schedule, progressive resizing across resumes, warm starts and run-folder checks."""
import dataclasses
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO
from kerastransfer.models.layers import (ConvLayer, InstanceNormalization, PixelHead,
                                         UpsampleConvLayer)
from kerastransfer.models.transformer_net import TransformerNet
from kerastransfer.training import data, loop, run_folder, style_recipe, warm_start
from kerastransfer.training.config import StyleConfig


def _gradient_at(head, value, training_mode=True):
    x = tf.constant([[value]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = head(x, training=training_mode)
    return float(y[0, 0]), float(tape.gradient(y, x)[0, 0])


def test_clip_head_keeps_a_gradient_where_tanh_saturates():
    value, grad = _gradient_at(PixelHead("tanh"), -6.0)
    assert value < 0.01 and abs(grad) < 0.01 * 127.5  # the tanh's floor: no signal back
    value, grad = _gradient_at(PixelHead("clip"), -6.0)
    assert value == 0.0 and grad == pytest.approx(127.5)
    assert _gradient_at(PixelHead("clip"), 0.2)[0] == pytest.approx(127.5 * 1.2)


def test_linear_head_is_unbounded_in_training_and_clipped_at_inference():
    assert _gradient_at(PixelHead("linear"), 1.5)[0] == pytest.approx(127.5 * 2.5)
    assert _gradient_at(PixelHead("linear"), 1.5, training_mode=False)[0] == 255.0
    with pytest.raises(ValueError, match="output head"):
        PixelHead("sigmoid")


def test_demodulation_scales_by_the_kernel_not_by_the_image():
    conv = ConvLayer(5, 3, normalization="demodulated", activation=False)
    x = tf.random.normal([2, 10, 10, 4], seed=2)
    y = conv(x)
    conv.conv.kernel.assign(conv.conv.kernel * 7.0)  # same direction, 7× the norm
    conv.conv.bias.assign(conv.conv.bias * 7.0)
    np.testing.assert_allclose(conv(x), y, rtol=1e-4, atol=1e-5)
    # a spike at one pixel leaves every other pixel's output as it was (instance norm
    # would shrink them all through the inflated variance)
    spiked = x.numpy()
    spiked[:, 0, 0, :] += 1000.0
    np.testing.assert_allclose(conv(spiked)[:, 5:, 5:], y[:, 5:, 5:], rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="nearest"):
        UpsampleConvLayer(4, upsampling="transpose", normalization="demodulated")


def test_a_demodulated_network_starts_inside_the_tanh_range():
    """Unscaled, the residual sums grew until the head saturated at initialisation and a
    content-only run never left 0/255."""
    photo = tf.io.decode_jpeg(tf.io.read_file(os.path.join(REPO, "examples", "chelsea.jpg")))
    photo = tf.image.resize(photo, [96, 128])[tf.newaxis]
    for seed in range(3):  # unscaled: 12%, 1% and 4% of the values pinned
        keras.utils.set_random_seed(seed)
        output = TransformerNet(width=0.5, decoder_normalization="demodulated")(photo).numpy()
        assert np.mean((output < 3) | (output > 252)) < 0.001


def test_centred_norm_removes_the_mean_and_keeps_the_contrast():
    x = tf.random.normal([2, 8, 8, 3], mean=5.0, stddev=3.0, seed=1)
    full = InstanceNormalization()(x)
    centred = InstanceNormalization(divide_by_std=False)(x)
    assert np.allclose(np.mean(centred, axis=(1, 2)), 0.0, atol=1e-4)
    assert np.allclose(np.std(full, axis=(1, 2)), 1.0, atol=1e-2)
    assert np.allclose(np.std(centred, axis=(1, 2)), np.std(x, axis=(1, 2)), rtol=1e-4)


@pytest.mark.parametrize("options", [dict(decoder_normalization="centred"),
                                     dict(decoder_normalization="demodulated"),
                                     dict(output_head="clip"), dict(output_head="linear")])
def test_recipe_networks_keep_their_config_and_size(options):
    net = TransformerNet(width=0.125, **options)
    assert net(tf.zeros([1, 33, 47, 3])).shape == (1, 33, 47, 3)
    rebuilt = TransformerNet.from_config(net.get_config())
    assert {k: rebuilt.get_config()[k] for k in options} == options
    norms = [layer for layer in net._flatten_layers() if isinstance(layer, InstanceNormalization)]
    if options.get("decoder_normalization") == "demodulated":
        assert len(norms) == 3  # the encoder's; the rest read their kernels
    elif "decoder_normalization" in options:  # encoder full, residuals and decoder centred
        assert [n.divide_by_std for n in norms[:3]] == [True] * 3
        assert not any(n.divide_by_std for n in norms[3:])


def test_schedule_warms_up_then_decays_to_its_final_fraction():
    schedule = loop.LearningRateSchedule(peak=2e-3, warmup_steps=10, decay="cosine",
                                             final_fraction=0.1).build(110)
    rates = [float(schedule(step)) for step in (0, 5, 10, 60, 110)]
    assert rates[0] == pytest.approx(0.0, abs=1e-9)
    assert rates[1] == pytest.approx(1e-3, rel=1e-3)
    assert rates[2] == pytest.approx(2e-3, rel=1e-3)
    assert rates[3] == pytest.approx(2e-3 * (0.1 + 0.9 * 0.5), rel=1e-3)  # half-way
    assert rates[4] == pytest.approx(2e-4, rel=1e-3)
    constant = loop.LearningRateSchedule(peak=1e-3, warmup_steps=4).build(50)
    assert float(constant(40)) == pytest.approx(1e-3)
    assert loop.LearningRateSchedule(peak=1e-3).build(50) == 1e-3


def test_phases_switch_crop_size_at_their_step_and_resume_in_the_right_one(photo_dir):
    phases = style_recipe.crop_phases(10, 64, 2, small_crop_size=32, small_crop_fraction=0.6,
                                        small_batch_size=3)
    assert [(p.crop_size, p.scale_to, p.batch_size, p.until_step) for p in phases] == [
        (32, 64, 3, 6), (64, 64, 2, None)]
    shapes = [tuple(b.shape) for b in data.phased_dataset(phases, 0, str(photo_dir)).take(8)]
    assert shapes == [(3, 32, 32, 3)] * 6 + [(2, 64, 64, 3)] * 2
    resumed = [tuple(b.shape) for b in data.phased_dataset(phases, 4, str(photo_dir)).take(3)]
    assert resumed == [(3, 32, 32, 3)] * 2 + [(2, 64, 64, 3)]
    late = [tuple(b.shape) for b in data.phased_dataset(phases, 8, str(photo_dir)).take(2)]
    assert late == [(2, 64, 64, 3)] * 2


def test_scale_to_cuts_every_phase_from_larger_photos_at_the_same_crop_sizes(photo_dir):
    phases = style_recipe.crop_phases(10, 64, 2, small_crop_size=32, small_crop_fraction=0.5,
                                        scale_to=128)
    assert [(p.crop_size, p.scale_to, p.until_step) for p in phases] == [
        (32, 128, 5), (64, 128, None)]
    shapes = [tuple(b.shape) for b in data.phased_dataset(phases, 0, str(photo_dir)).take(6)]
    assert shapes == [(2, 32, 32, 3)] * 5 + [(2, 64, 64, 3)]
    with pytest.raises(ValueError, match="--scale_to must be >= --image_size"):
        StyleConfig(image_size=64, scale_to=32).validate()


def test_no_small_phase_when_the_small_crop_is_not_smaller():
    phases = style_recipe.crop_phases(10, 64, 2, small_crop_size=128, small_crop_fraction=0.75)
    assert [(p.crop_size, p.until_step) for p in phases] == [(64, None)]


def test_small_crops_are_cut_at_the_large_crops_scale():
    # a photo whose left half is black, right half white, 100 × 200: scaled so its
    # shorter side is 64, a 32 crop from the centre sees the edge at the same place
    photo = np.zeros([100, 200, 3], np.uint8)
    photo[:, 100:] = 255
    small = data.resize_and_crop(photo, 32, random=False, scale_to=64)
    large = data.resize_and_crop(photo, 64, random=False)
    assert small.shape == (32, 32, 3)
    np.testing.assert_allclose(small, large[16:48, 16:48], atol=1.0)


TINY = StyleConfig(content_layers=("relu2_2",), style_layers=("relu1_2", "relu2_2"),
                   style_weight=1.0, tv_weight=1e-6, image_size=32, batch_size=2, width=0.125,
                   vgg_weights="random", checkpoint_every=2, style_size=32, seed=0,
                   small_crop_size=32, small_crop_fraction=0.5, mixed_precision="float32")
RUN_ARGUMENTS = ("init_from", "on_start", "sample_image")


def _train(tmp_path, style_path, photo_dir, steps, name="run", **kwargs):
    """A tiny run: `kwargs` are TINY's settings to change, or RUN_ARGUMENTS."""
    config = dataclasses.replace(TINY, steps=steps, **{k: v for k, v in kwargs.items()
                                                       if k not in RUN_ARGUMENTS})
    return style_recipe.train_style_network(
        str(style_path), str(tmp_path / name), config, train_dir=str(photo_dir), verbose=0,
        **{k: v for k, v in kwargs.items() if k in RUN_ARGUMENTS})


@pytest.mark.slow
def test_a_progressive_run_killed_in_either_phase_resumes_and_extends(tmp_path, style_path,
                                                                      photo_dir):
    started = []

    def note(step, init_from):
        started.append(step)

    _train(tmp_path, style_path, photo_dir, 2, image_size=64, on_start=note)
    # the phases were fixed by the first start (2 steps → 1 small): a resumed run keeps them
    config = json.load(open(tmp_path / "run" / run_folder.RUN_CONFIG_FILE))
    assert config["crop_phases"][0]["until_step"] == 1
    _, record = _train(tmp_path, style_path, photo_dir, 6, image_size=64, on_start=note)
    assert started == [0, 2]
    assert record.train["steps"] == 6
    assert record.train["crop_phases"][0]["until_step"] == 1


@pytest.mark.slow
def test_a_run_folder_refuses_another_network_or_painting(tmp_path, style_path, photo_dir):
    _train(tmp_path, style_path, photo_dir, 2)
    with pytest.raises(ValueError, match="--width=0.125, not 0.25"):
        _train(tmp_path, style_path, photo_dir, 4, width=0.25)
    other = tmp_path / "other.png"
    keras.utils.save_img(str(other), np.full([40, 40, 3], 9, np.uint8))
    with pytest.raises(ValueError, match="another painting"):
        style_recipe.train_style_network(str(other), str(tmp_path / "run"),
                                         StyleConfig(steps=4, width=0.125,
                                                     vgg_weights="random"),
                                         train_dir=str(photo_dir), verbose=0)


@pytest.mark.slow
def test_a_resume_with_another_kind_of_schedule_is_refused(tmp_path, style_path, photo_dir):
    _train(tmp_path, style_path, photo_dir, 2)
    with pytest.raises(ValueError, match="optimizer state"):
        _train(tmp_path, style_path, photo_dir, 4, warmup_steps=0, lr_decay="constant")


@pytest.mark.slow
def test_init_from_starts_at_the_exported_models_weights(tmp_path, style_path, photo_dir):
    path, record = _train(tmp_path, style_path, photo_dir, 2, name="first",
                          output_head="clip")
    from kerastransfer.inference.exported_model import ExportedModel
    exported = ExportedModel(path).keras_network()
    seen = {}

    def look(step, init_from):
        seen["step"], seen["init_from"] = step, init_from

    _, second = _train(tmp_path, style_path, photo_dir, 0 + 1, name="second",
                       output_head="clip", init_from=path, learning_rate=1e-12,
                       on_start=look)
    assert seen == {"step": 0, "init_from": path} and second.train["init_from"] == path
    from kerastransfer.inference.exported_model import ExportedModel as Again
    continued = Again(second and os.path.join(tmp_path, "second", "export")).keras_network()
    for a, b in zip(exported.get_weights(), continued.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)  # lr 1e-12: one step moves nothing
    with pytest.raises(ValueError, match="output_head"):
        _train(tmp_path, style_path, photo_dir, 1, name="third", init_from=path)


@pytest.mark.slow
def test_a_resume_keeps_the_warm_start_it_began_with(tmp_path, style_path, photo_dir):
    """The warm start is chosen once: a resume neither re-checks its --init_from (the
    source may be gone) nor changes what the record says the run started from."""
    path, _ = _train(tmp_path, style_path, photo_dir, 1, name="source")
    _train(tmp_path, style_path, photo_dir, 1, init_from=path)
    seen = []
    _, record = _train(tmp_path, style_path, photo_dir, 2, init_from="/gone/model",
                       on_start=lambda step, source: seen.append((step, source)))
    assert seen == [(1, path)] and record.train["init_from"] == path
    # its 2 steps on top of the source's 1, and a stage after it counts all three
    assert (record.train["steps"], record.train["steps_in_all"]) == (2, 3), str(record.train)
    _, third = _train(tmp_path, style_path, photo_dir, 1, name="third",
                      init_from=str(tmp_path / "run" / "export"))
    assert third.train["steps_in_all"] == 4
    _train(tmp_path, style_path, photo_dir, 1, name="scratch", init_from=None)
    _, record = _train(tmp_path, style_path, photo_dir, 2, name="scratch")
    assert "init_from" not in record.train  # not the default it was resumed with
    assert record.train["steps_in_all"] == 2


def test_the_shipped_content_only_network_is_the_default_network_and_passes_photos():
    """The default warm start fits the default recipe's network and already reproduces a
    photo (content loss only): its brightness follows the photo's, a new network's not."""
    network = warm_start.content_only_network()
    default = StyleConfig().network_config()
    assert warm_start.network_mismatch(network, TransformerNet(**default)) is None
    assert style_recipe.warm_start_source(warm_start.CONTENT_ONLY, default) == "content_only"
    photo = np.asarray(keras.utils.load_img(os.path.join(REPO, "examples", "chelsea.jpg"),
                                            target_size=(96, 128)), "float32")[None]

    def brightness_correlation(net):
        return np.corrcoef(net(photo).numpy().mean(-1).ravel(), photo.mean(-1).ravel())[0, 1]

    assert brightness_correlation(network) > 0.9  # measured 0.94
    keras.utils.set_random_seed(0)
    assert abs(brightness_correlation(TransformerNet(**default))) < 0.5  # measured -0.03


def test_another_network_starts_from_scratch_and_is_told_why():
    narrow = dataclasses.replace(StyleConfig(), width=0.125).network_config()
    assert style_recipe.warm_start_source(warm_start.CONTENT_ONLY, narrow) is None
    said = style_recipe.describe_warm_start(None, narrow)
    assert said.startswith("scratch: the shipped content-only network has width=0.5")
    assert style_recipe.describe_warm_start(None, narrow, requested=None) == "scratch"
    default = StyleConfig().network_config()
    assert style_recipe.describe_warm_start("content_only", default) == (
        "the shipped content-only network")


@pytest.mark.slow
def test_a_default_network_run_starts_from_the_content_only_network(tmp_path, style_path,
                                                                     photo_dir):
    _, record = _train(tmp_path, style_path, photo_dir, 1, width=0.5, learning_rate=1e-12)
    assert record.train["init_from"] == warm_start.CONTENT_ONLY
    from kerastransfer.inference.exported_model import ExportedModel
    trained = ExportedModel(str(tmp_path / "run" / "export")).keras_network()
    assert len(trained.get_weights()) == len(warm_start.content_only_network().get_weights())
    for a, b in zip(warm_start.content_only_network().get_weights(), trained.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)  # lr 1e-12: one step moves nothing


def test_samples_show_the_whole_photo_at_a_size_one_can_judge(tmp_path, style_path, photo_dir):
    sample = tmp_path / "wide.png"
    keras.utils.save_img(str(sample), np.random.RandomState(0).randint(0, 255, [60, 90, 3]))
    _train(tmp_path, style_path, photo_dir, 2, sample_image=str(sample), sample_every=2)
    written = keras.utils.load_img(str(tmp_path / "run" / "samples" / "step_000002.png"))
    scale = style_recipe.SAMPLE_SIZE / 90
    assert written.size == (round(90 * scale), 2 * round(60 * scale))  # photo over result
