import csv
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastransfer.models.transformer_net import TransformerNet
from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
from kerastransfer.training import loop

TINY_WEIGHTS = LossWeights(content_layers=("relu2_2",), style_layers=("relu1_2", "relu2_2"),
                           style_weight=1.0, tv_weight=1e-6)


def tiny_trainer(seed=0):
    keras.utils.set_random_seed(seed)
    style = tf.random.uniform([1, 40, 40, 3], 0, 255, seed=seed)
    objective = PerceptualObjective.build(TINY_WEIGHTS, style, vgg_weights="random")
    return loop.PerceptualTrainer(TransformerNet(width=0.125), objective)


def fixed_batch():
    return tf.random.uniform([2, 32, 32, 3], 0, 255, seed=7)


@pytest.mark.slow
def test_a_few_steps_lower_the_objective(tmp_path):
    trainer = tiny_trainer()
    batch = fixed_batch()
    trainer(batch)
    before = float(trainer.objective.terms(trainer(batch), batch)["total"])
    dataset = tf.data.Dataset.from_tensors(batch).repeat()
    result = loop.train(trainer, dataset, steps=20, output_dir=str(tmp_path),
                            checkpoint_every=10, learning_rate=1e-2, verbose=0)
    after = float(trainer.objective.terms(trainer(batch), batch)["total"])
    assert result["steps"] == 20
    assert after < 0.8 * before
    assert set(result["history"]) >= {"total", "content", "style", "tv"}


@pytest.mark.slow
def test_resume_continues_to_the_requested_step_count(tmp_path):
    dataset = tf.data.Dataset.from_tensors(fixed_batch()).repeat()
    first = loop.train(tiny_trainer(), dataset, steps=4, output_dir=str(tmp_path),
                           checkpoint_every=2, verbose=0)
    assert first["steps"] == 4
    trainer = tiny_trainer(seed=5)  # fresh weights: must be replaced by the checkpoint
    second = loop.train(trainer, dataset, steps=7, output_dir=str(tmp_path),
                            checkpoint_every=2, verbose=0)
    assert second["steps"] == 7
    assert len(second["history"]["total"]) == 4  # intervals 0-1, 2-3, 4-5, 6
    # The clock adds the second run's time to the first's, in wall and in CPU seconds.
    assert second["wall_seconds"] > first["wall_seconds"] > 0
    assert second["cpu_seconds"] > first["cpu_seconds"] > 0
    # 7 stopped inside an interval; extending from there still trains the step left
    third = loop.train(tiny_trainer(seed=6), dataset, steps=8, output_dir=str(tmp_path),
                       checkpoint_every=2, verbose=0)
    assert third["steps"] == 8


def test_a_clock_resumed_without_cpu_time_reports_none_rather_than_a_partial_sum(tmp_path):
    state = tmp_path / "train_state.json"
    state.write_text(json.dumps({"wall_seconds": 120.0, "step": 50}))  # an older clock
    resumed = loop.TrainingClock(str(state))
    resumed.on_train_begin()
    assert resumed.seconds() >= 120.0 and resumed.cpu_seconds() is None
    fresh = loop.TrainingClock(str(tmp_path / "none.json"))
    fresh.on_train_begin()
    assert fresh.cpu_seconds() >= 0.0


@pytest.mark.slow
def test_nan_loss_stops_training_naming_the_step(tmp_path):
    trainer = tiny_trainer()
    original_terms = trainer.objective.terms

    def poisoned(outputs, content, content_targets=None):
        terms = original_terms(outputs, content, content_targets)
        step = tf.cast(trainer.optimizer.iterations, tf.float32)
        terms["total"] = terms["total"] + tf.where(step >= 2, np.nan, 0.0)
        return terms

    trainer.objective.terms = poisoned
    dataset = tf.data.Dataset.from_tensors(fixed_batch()).repeat()
    with pytest.raises(FloatingPointError, match="step 3"):
        loop.train(trainer, dataset, steps=10, output_dir=str(tmp_path),
                       checkpoint_every=5, verbose=0)


@pytest.mark.slow
def test_a_checkpoint_write_that_dies_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    """A kill inside a checkpoint write (here an exception after half a file) leaves the
    previous checkpoint whole, and the next run resumes from it."""
    dataset = tf.data.Dataset.from_tensors(fixed_batch()).repeat()
    loop.train(tiny_trainer(), dataset, steps=4, output_dir=str(tmp_path),
                   checkpoint_every=2, verbose=0)
    backup = tmp_path / "backup"
    before = {p.name: p.read_bytes() for p in backup.iterdir()}

    def dying_save(self, filepath, overwrite=True, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a weights file")
        raise KeyboardInterrupt("killed while writing")

    trainer = tiny_trainer(seed=5)
    monkeypatch.setattr(type(trainer), "save_weights", dying_save)
    with pytest.raises(KeyboardInterrupt):
        loop.train(trainer, dataset, steps=8, output_dir=str(tmp_path),
                       checkpoint_every=2, verbose=0)
    monkeypatch.undo()
    for name in ("latest.weights.h5", "training_metadata.json"):  # the .bkp copies rotate
        assert (backup / name).read_bytes() == before[name]
    result = loop.train(tiny_trainer(seed=6), dataset, steps=8, output_dir=str(tmp_path),
                            checkpoint_every=2, verbose=0)
    assert result["steps"] == 8 and len(result["history"]["total"]) == 4


def _train_command(photo_dir, style_path, output_dir, steps):
    return [sys.executable, "-m", "kerastransfer.cli.train_style",
            f"--style_image={style_path}", f"--train_dir={photo_dir}",
            f"--output_dir={output_dir}", f"--steps={steps}", "--checkpoint_every=3",
            "--image_size=32", "--batch_size=2", "--style_size=32", "--width=0.125",
            "--mixed_precision=float32", "--vgg_weights=random", "--sample_every=1000",
            "--style_layers=relu1_2,relu2_2", "--seed=0"]


@pytest.mark.slow
def test_sigkill_mid_run_resumes_and_finishes(tmp_path, photo_dir, style_path):
    output_dir = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = _train_command(photo_dir, style_path, output_dir, steps=60)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env)
    metadata = output_dir / "backup" / "training_metadata.json"
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None:
        if metadata.exists():
            try:
                if json.loads(metadata.read_text())["epoch"] >= 2:
                    break
            except (ValueError, KeyError):
                pass
        time.sleep(0.2)
    assert process.poll() is None, "training ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = json.loads(metadata.read_text())["epoch"] * 3
    assert killed_at < 60

    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((output_dir / "export" / "assets" / "kerastransfer.json").read_text())
    assert record["train"]["steps"] == 60
    with open(output_dir / "history.csv") as f:
        epochs = [int(row["epoch"]) for row in csv.DictReader(f)]
    # Every checkpoint interval appears once the resumed run is done; the one the kill
    # interrupted (if any) is simply run again, so epochs are consecutive from 0.
    assert sorted(set(epochs)) == list(range(20))
