"""Training an image transformation network against a perceptual objective with `fit`.

`PerceptualTrainer` owns the transformer and the frozen loss network and implements
`train_step`; `train` wires data, callbacks (resume after a kill, TensorBoard, samples,
loss curve) together and returns the loss history and wall time; the transformer is
trained in place.
"""
import csv
import dataclasses
import datetime
import json
import math
import os
import platform
import shutil
import time

import keras
import numpy as np
import tensorflow as tf

from kerastransfer import image_io
from kerastransfer.perceptual.vgg_weights import weights_fingerprint
from kerastransfer.progress import Progress
from kerastransfer.training import distribute

TERMS = ("total", "content", "style", "tv", "pixel", "range")


class PerceptualTrainer(keras.Model):
    """Trains `transformer` so that `objective.terms(transformer(x), x)["total"]` falls.

    Batches are float32 content images [B, H, W, 3] in [0, 255]. For super-resolution
    pass `inputs_fn`, mapping the high-resolution batch to the network's input.
    """

    def __init__(self, transformer, objective, inputs_fn=None, **kwargs):
        super().__init__(**kwargs)
        self.transformer = transformer
        self.objective = objective
        self.inputs_fn = inputs_fn
        self.trackers = {t: keras.metrics.Mean(name=t) for t in TERMS}

    def call(self, images, training=False):
        return self.transformer(images, training=training)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def train_step(self, targets):
        inputs = self.inputs_fn(targets) if self.inputs_fn else targets
        with tf.GradientTape() as tape:
            outputs = self.transformer(inputs, training=True)
            terms = self.objective.terms(outputs, targets)
            # Replicas' gradients are summed: each replica's mean loss counts 1/replicas.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            scaled = self.optimizer.scale_loss(terms["total"] / replicas)
        variables = self.transformer.trainable_variables
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply(grads, variables)
        for name, tracker in self.trackers.items():
            tracker.update_state(terms[name])
        logs = {name: tracker.result() for name, tracker in self.trackers.items()}
        if distribute.multi_worker(tf.distribute.get_strategy()):
            # Keras 3 averages multi-worker logs along axis 0, which scalars lack
            # (tensorflow/tensorflow#72388): give each a length-1 axis.
            logs = {name: value[tf.newaxis] for name, value in logs.items()}
        return logs


def optimizer_step(model):
    """Steps the optimizer has taken (its counter is a MirroredVariable under a strategy,
    which int() refuses)."""
    return int(keras.ops.convert_to_numpy(model.optimizer.iterations))


def set_precision(mode):
    """`mode`: "float32", "mixed" (float16 on GPU, bfloat16 on CPU), "mixed_float16" or
    "mixed_bfloat16". Returns the policy name set globally."""
    if mode == "mixed":
        mode = "mixed_float16" if tf.config.list_physical_devices("GPU") else "mixed_bfloat16"
    if mode not in ("float32", "mixed_float16", "mixed_bfloat16"):
        raise ValueError(f"unknown precision {mode!r}")
    keras.mixed_precision.set_global_policy(mode)
    return mode


class StopAtStep(keras.callbacks.Callback):
    """Ends training once the optimizer has taken `steps` steps in all (across resumes)."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def on_train_batch_end(self, batch, logs=None):
        if optimizer_step(self.model) >= self.steps:
            self.model.stop_training = True


class StopOnNaN(keras.callbacks.Callback):
    """Stops on a non-finite loss and records the step, so the caller can say which."""

    def __init__(self):
        super().__init__()
        self.bad_step = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("total")
        if loss is not None and not math.isfinite(float(loss)):
            self.bad_step = optimizer_step(self.model)
            self.model.stop_training = True


class SampleImages(keras.callbacks.Callback):
    """Every `every` steps writes the network's output on fixed images to
    `directory/step_NNNNNN.png` (one row: the inputs over their outputs)."""

    def __init__(self, images, directory, every):
        super().__init__()
        self.images = tf.convert_to_tensor(images, tf.float32)
        self.directory = directory
        self.every = every
        os.makedirs(directory, exist_ok=True)

    def on_train_batch_end(self, batch, logs=None):
        step = optimizer_step(self.model)
        if step % self.every == 0:
            inputs = self.model.inputs_fn(self.images) if self.model.inputs_fn else self.images
            outputs = self.model.transformer(inputs, training=False)
            grid = tf.concat([tf.concat(tf.unstack(self.images), 1),
                              tf.concat(tf.unstack(tf.cast(outputs, tf.float32)), 1)], 0)
            image_io.write_image(os.path.join(self.directory, f"step_{step:06d}.png"),
                                 np.asarray(tf.cast(tf.round(grid), tf.uint8)), overwrite=True)


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` whose files are replaced whole. Keras writes the weights and
    the metadata JSON in place; a kill inside the JSON write leaves it empty, and an
    empty file fails every resume (JSONDecodeError, where Keras only falls back to the
    previous copy on OSError). The previous copies are kept as before."""

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        for current, previous in ((self._weights_path, self._prev_weights_path),
                                  (self._training_metadata_path,
                                   self._prev_training_metadata_path)):
            if os.path.exists(current):
                partial = previous + ".partial"
                shutil.copyfile(current, partial)
                os.replace(partial, previous)
        partial = self._weights_path[:-len(".weights.h5")] + ".partial.weights.h5"
        self.model.save_weights(partial, overwrite=True)
        os.replace(partial, self._weights_path)
        image_io.write_json(self._training_metadata_path,
                            {"epoch": self._current_epoch, "batch": self._last_batch_seen})


class TrainingClock(keras.callbacks.Callback):
    """Adds up training seconds across resumed runs in `path` (JSON), per checkpoint:
    wall time, and this process's CPU time over all its threads, the measure of what a
    run cost on a machine with a given number of cores. CPU time is None for a run
    resumed from a clock that did not keep it: a partial sum would understate it."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.previous = self.previous_cpu = 0.0
        if os.path.exists(path):
            with open(path) as f:
                state = json.load(f)
            self.previous = state.get("wall_seconds", 0.0)
            self.previous_cpu = state.get("cpu_seconds", 0.0 if not self.previous else None)

    def on_train_begin(self, logs=None):
        self.start = time.time()
        self.start_cpu = time.process_time()

    def seconds(self):
        return self.previous + time.time() - self.start

    def cpu_seconds(self):
        if self.previous_cpu is None:
            return None
        return self.previous_cpu + time.process_time() - self.start_cpu

    def on_epoch_end(self, epoch, logs=None):
        state = {"wall_seconds": self.seconds(), "step": optimizer_step(self.model)}
        cpu_seconds = self.cpu_seconds()
        if cpu_seconds is not None:
            state["cpu_seconds"] = cpu_seconds
        image_io.write_json(self.path, state)


@dataclasses.dataclass(frozen=True)
class LearningRateSchedule:
    """Adam's learning rate over the run: a linear warm-up from 0 to `peak` over
    `warmup_steps`, then constant ("constant") or a cosine decay to `final_fraction`·peak
    at the run's last step ("cosine", Loshchilov & Hutter 2017)."""
    peak: float = 1e-3
    warmup_steps: int = 0
    decay: str = "constant"
    final_fraction: float = 0.0

    def __post_init__(self):
        if self.decay not in ("constant", "cosine"):
            raise ValueError(f"decay must be 'constant' or 'cosine', got {self.decay!r}")
        if self.peak <= 0 or self.warmup_steps < 0 or not 0 <= self.final_fraction <= 1:
            raise ValueError(f"bad learning-rate schedule {self}")

    def build(self, steps):
        """A float (constant, no warm-up) or a Keras schedule for a run of `steps`
        optimizer steps in all. Adam holds one more variable for a float than for a
        schedule, so a run must be resumed with the same kind (`resume_state` says so)."""
        if self.decay == "constant" and not self.warmup_steps:
            return self.peak
        warmup = min(self.warmup_steps, max(steps - 1, 0))
        constant = self.decay == "constant"
        return keras.optimizers.schedules.CosineDecay(
            0.0 if warmup else self.peak,
            decay_steps=1 if constant else max(steps - warmup, 1),
            alpha=1.0 if constant else self.final_fraction,
            warmup_target=self.peak if warmup else None, warmup_steps=warmup)

    def to_json(self):
        return dataclasses.asdict(self)


class StepProgress(keras.callbacks.Callback):
    """Progress in optimizer steps out of the run's `steps` (across resumes), with the
    loss terms: a live bar on a terminal, plain lines otherwise (`progress.Progress`)."""

    def __init__(self, steps, every_fraction=0.02):
        super().__init__()
        self.steps = steps
        self.every_fraction = every_fraction

    def on_train_begin(self, logs=None):
        self.progress = Progress(self.steps, "step", label="training",
                                 every_fraction=self.every_fraction)

    def on_train_batch_end(self, batch, logs=None):
        values = [(t, float(logs[t])) for t in TERMS if logs and t in logs and float(logs[t])]
        self.progress.update(optimizer_step(self.model), values)


def resume_state(trainer, backup):
    """Loads the newest checkpoint of `backup` (an `AtomicBackupAndRestore`) into
    `trainer` now, as `fit` would at its start, and returns the optimizer step it holds
    (0 when there is none), so the data can start in the right crop-size phase.

    Raises ValueError when a checkpoint exists but its optimizer state did not load
    (Keras only warns, and training would silently start again from step 0)."""
    backup.set_model(trainer)
    backup.on_train_begin()
    step = optimizer_step(trainer)
    if step == 0 and os.path.exists(backup._weights_path):
        raise ValueError(f"{os.path.dirname(backup.backup_dir)}: its checkpoint's optimizer "
                         "state does not fit this run's (another learning-rate schedule, "
                         "constant or not?); resume with the run's own flags, or train in a "
                         "new --output_dir (with --init_from to keep the weights)")
    return step


def train(trainer, dataset, steps, output_dir, checkpoint_every=100, log_every=10,
          sample_images=None, sample_every=100, learning_rate=1e-3, jit_compile=False,
          verbose=1, strategy=None, init_weights=None, on_start=None):
    """Runs `fit` until the optimizer has taken `steps` steps, resuming from
    `output_dir/backup` if an earlier run left one. Returns a dict with the history of
    mean loss terms per checkpoint interval, the wall seconds over all runs and the step
    this run started from.

    `dataset`: a tf.data dataset, or a function of the step training starts from that
    returns one (so a recipe whose crop size changes mid-run resumes in the right phase).
    `learning_rate`: a float or a `LearningRateSchedule`.
    `init_weights`: a function called with the transformer when no checkpoint exists (a
    warm start); `on_start`: called with the step training resumes from, before any step.

    With a tf.distribute `strategy` (`distribute.make_strategy`; `trainer` created under
    its scope) `dataset` is batched per replica; only the chief writes logs and samples,
    and the other workers keep their checkpoint in `distribute.worker_dir`.

    Raises FloatingPointError naming the step if the loss becomes NaN or infinite.
    """
    own_dir = distribute.worker_dir(output_dir, strategy)
    os.makedirs(own_dir, exist_ok=True)
    dataset_from = dataset if callable(dataset) else (lambda start: dataset)
    if not isinstance(learning_rate, LearningRateSchedule):
        learning_rate = LearningRateSchedule(peak=learning_rate)
    backup = AtomicBackupAndRestore(
        os.path.join(own_dir, "backup"), save_freq="epoch", double_checkpoint=True,
        delete_checkpoint=False)
    with distribute.scope(strategy):
        trainer.compile(optimizer=keras.optimizers.Adam(learning_rate.build(steps)),
                        jit_compile=jit_compile)
        example = next(iter(dataset_from(0).take(1)))
        trainer(trainer.inputs_fn(example) if trainer.inputs_fn else example)  # build variables
        start = resume_state(trainer, backup)
        if start == 0 and init_weights is not None:
            init_weights(trainer.transformer)
    if on_start is not None:
        on_start(start)
    chief = distribute.is_chief(strategy)
    clock = TrainingClock(os.path.join(own_dir, "train_state.json"))
    nan_guard = StopOnNaN()
    # Order matters for a kill between callbacks: the loss row and the clock are written
    # before the checkpoint, so a kill in between repeats an interval (read_history keeps
    # the last row of each) instead of leaving a hole in the loss curve.
    callbacks = [StopAtStep(steps), nan_guard]
    if chief:
        if verbose:
            callbacks.append(StepProgress(steps))
        callbacks += [
            keras.callbacks.CSVLogger(os.path.join(output_dir, "history.csv"), append=True),
            keras.callbacks.TensorBoard(os.path.join(output_dir, "logs"), update_freq=log_every),
        ]
    callbacks.append(clock)
    if sample_images is not None and chief:
        callbacks.append(SampleImages(sample_images, os.path.join(output_dir, "samples"),
                                      sample_every))
    callbacks.append(backup)
    # counted from the epoch the checkpoint was taken in: a run that stopped between two
    # checkpoint intervals (--steps not a multiple of them) and is then extended has its
    # last epoch already counted, and fit would otherwise train no step at all
    epochs = (getattr(trainer, "_initial_epoch", None) or 0) + math.ceil(
        (steps - start) / checkpoint_every)
    trainer.fit(distribute.per_replica_input(dataset_from(start), strategy), epochs=epochs,
                steps_per_epoch=checkpoint_every, callbacks=callbacks, verbose=0,
                shuffle=False)
    if nan_guard.bad_step is not None:
        raise FloatingPointError(f"loss became NaN or infinite at step {nan_guard.bad_step}")
    return {"history": read_history(output_dir), "wall_seconds": clock.seconds(),
            "cpu_seconds": clock.cpu_seconds(),
            "steps": optimizer_step(trainer), "started_at": start,
            "weights_sha256": weights_fingerprint(trainer.transformer)}


def read_history(output_dir):
    """{term: [mean per checkpoint interval, ...]} over every run in `output_dir`.

    An interval a killed run finished but did not checkpoint is trained again on resume
    and logged twice; the later row (the one the final weights descend from) is kept."""
    path = os.path.join(output_dir, "history.csv")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = {}
        for row in csv.DictReader(f):
            if (row.get("epoch") or "").isdigit():  # skips a row cut short by a kill
                rows[int(row["epoch"])] = row
    rows = [rows[e] for e in sorted(rows)]
    return {t: [float(r[t]) for r in rows if r.get(t) not in (None, "", "NA")] for t in TERMS}


def machine_description():
    gpus = tf.config.list_physical_devices("GPU")
    return (f"{platform.machine()}, {os.cpu_count()} CPU cores"
            + (f", {len(gpus)} GPU" if gpus else ", no GPU") + f", TensorFlow {tf.__version__}")


def train_record(result, data_name, batch_size, image_size, learning_rate, precision,
                 jit_compile, replicas=1):
    """The `train` part of a model's kerastransfer.json, from `train`'s result.
    `batch_size` is per replica; the record holds the global batch (and the replica
    count when there was more than one)."""
    record = {"steps": result["steps"], "batch_size": batch_size * replicas,
              "image_size": image_size, "learning_rate": learning_rate, "optimizer": "Adam",
              "data": data_name, "precision": precision, "jit_compile": jit_compile,
              "wall_seconds": round(result["wall_seconds"], 1),
              "machine": machine_description(),
              "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "weights_sha256": result["weights_sha256"]}
    if result.get("cpu_seconds") is not None:
        record["cpu_seconds"] = round(result["cpu_seconds"], 1)
    if replicas > 1:
        record["replicas"] = replicas
    return record


def final_losses(history):
    """{term: mean over the last checkpoint interval} from `read_history`."""
    return {t: values[-1] for t, values in history.items() if values}
