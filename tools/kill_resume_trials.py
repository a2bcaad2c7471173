"""Kill training with SIGKILL at random points and check that resuming loses nothing.

Each trial starts `kerastransfer-train-style` (a tiny network, random VGG-16 weights,
the default recipe with 32-px crops for 75% of the steps, then 48-px: minutes on 2 CPU
cores), kills it with SIGKILL at a random step of that
run (and a random moment up to 0.2 s after it, so kills also land inside checkpoint
writes and the export), `--kills` times, resumes it with the same command until it
exits, and checks:

- the resumed run exits 0 and its exported record says the requested steps;
- steps lost = steps done before the kill − the step the resume started from, which is
  at most one checkpoint interval;
- the loss curve (history.csv) has every checkpoint interval once and only finite values.

Steps are observed through the sample images, written atomically after every step
(--sample_every=1); the step a resume starts from is the one before the first sample
it rewrites. A step whose sample was not yet written when the kill came is not counted
as done, so "lost" can read one step low, never high.

  python tools/kill_resume_trials.py --trials=5 --steps=60 --checkpoint_every=10
"""
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
from absl import app, flags
from PIL import Image

flags.DEFINE_integer("trials", 5, "Independent train/kill/resume trials, >= 1.")
flags.DEFINE_integer("steps", 60, "Training steps each trial must reach, >= 4.")
flags.DEFINE_integer("checkpoint_every", 10, "Steps between checkpoints, >= 1.")
flags.DEFINE_integer("kills", 1, "SIGKILLs per trial before the final resume, >= 1.")
flags.DEFINE_integer("seed", 0, "Seed for the kill points and the training runs.")
flags.DEFINE_string("work_dir", None, "Where the runs go (default: a temporary folder, "
                    "removed afterwards).")
flags.DEFINE_string("json", None, "Also write the per-trial results here.")
FLAGS = flags.FLAGS

SAMPLE_PREFIX, SAMPLE_SUFFIX = "step_", ".png"  # loop.SampleImages names


def make_data(directory):
    """Six random photos and a style image."""
    photos = os.path.join(directory, "photos")
    os.makedirs(photos, exist_ok=True)
    rng = np.random.RandomState(0)
    for i in range(6):
        Image.fromarray(rng.randint(0, 256, (48 + i, 56 - i, 3), np.uint8)).save(
            os.path.join(photos, f"p{i}.png"))
    style = os.path.join(directory, "style.png")
    Image.fromarray(rng.randint(0, 256, (48, 48, 3), np.uint8)).save(style)
    return photos, style


SMALL_CROP_FRACTION = 0.75  # the recipe's: kills land in both crop-size phases


def phase_of(step, steps):
    """Which crop-size phase the step after `step` trains in."""
    return "32-px phase" if step < round(steps * SMALL_CROP_FRACTION) else "48-px phase"


def train_command(photos, style, output_dir, steps, checkpoint_every, seed):
    return [sys.executable, "-m", "kerastransfer.cli.train_style",
            f"--style_image={style}", f"--train_dir={photos}", f"--output_dir={output_dir}",
            f"--steps={steps}", f"--checkpoint_every={checkpoint_every}", "--image_size=48",
            "--small_crop_size=32", f"--small_crop_fraction={SMALL_CROP_FRACTION}",
            "--batch_size=2", "--style_size=32", "--width=0.125", "--mixed_precision=float32",
            "--vgg_weights=random", "--style_layers=relu1_2,relu2_2", f"--seed={seed}",
            "--sample_every=1", f"--sample_image={style}"]


def sample_steps(output_dir, newer_than=0.0):
    """{step: mtime} of the sample images written after `newer_than`."""
    directory = os.path.join(output_dir, "samples")
    steps = {}
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return steps
    for name in names:
        if name.startswith(SAMPLE_PREFIX) and name.endswith(SAMPLE_SUFFIX):
            try:
                mtime = os.path.getmtime(os.path.join(directory, name))
            except FileNotFoundError:
                continue
            if mtime > newer_than:
                steps[int(name[len(SAMPLE_PREFIX):-len(SAMPLE_SUFFIX)])] = mtime
    return steps


def run_until_killed(command, output_dir, choose_step, delay_s, log):
    """Starts `command`; once it has written its first sample (step s0), kills it with
    SIGKILL `delay_s` after step choose_step(s0) is done. Returns (steps done at the
    kill, kill time), or (None, None) if it finished first."""
    started = time.time()
    process = subprocess.Popen(command, stdout=log, stderr=log,
                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    kill_step = None
    while process.poll() is None:
        done = sample_steps(output_dir, newer_than=started)  # this run's samples only
        if done and kill_step is None:
            kill_step = choose_step(min(done))
        if done and max(done) >= kill_step:
            time.sleep(delay_s)
            process.send_signal(signal.SIGKILL)
            killed_at = time.time()
            process.wait()
            if process.returncode != -signal.SIGKILL:
                return None, None, kill_step
            return max(sample_steps(output_dir, newer_than=started)), killed_at, kill_step
        time.sleep(0.005)
    return None, None, kill_step


def resumed_from(output_dir, killed_at):
    """The step a resume started from: the step before the first sample it wrote."""
    rewritten = sample_steps(output_dir, newer_than=killed_at)
    return min(rewritten) - 1 if rewritten else None


def check_history(output_dir, steps, checkpoint_every):
    from kerastransfer.cli.common import import_tensorflow_quietly
    import_tensorflow_quietly()
    from kerastransfer.training import loop
    history = loop.read_history(output_dir)["total"]
    intervals = math.ceil(steps / checkpoint_every)
    ok = len(history) == intervals and all(math.isfinite(v) for v in history)
    return ok, history


def one_trial(index, base_dir, photos, style, rng):
    output_dir = os.path.join(base_dir, f"trial_{index}")
    command = train_command(photos, style, output_dir, FLAGS.steps, FLAGS.checkpoint_every,
                            FLAGS.seed + index)
    kills, started = [], time.time()
    with open(os.path.join(base_dir, f"trial_{index}.log"), "wb") as log:
        def choose(first):  # a random step of this run, before its last
            return rng.randint(first, max(first, FLAGS.steps - 1))

        for _ in range(FLAGS.kills):
            done, killed_at, target = run_until_killed(command, output_dir, choose,
                                                       rng.uniform(0.0, 0.2), log)
            if done is None:
                break
            kills.append({"target": target, "done": done, "killed_at": killed_at})
        final = subprocess.run(command, stdout=log, stderr=log,
                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    curve_ok, curve = check_history(output_dir, FLAGS.steps, FLAGS.checkpoint_every)
    for kill in kills:
        kill["resumed_from"] = resumed_from(output_dir, kill["killed_at"])
        kill["lost"] = (None if kill["resumed_from"] is None
                        else kill["done"] - kill["resumed_from"])
        del kill["killed_at"]
        interval = (kill["resumed_from"] or 0) // FLAGS.checkpoint_every
        if curve_ok and interval > 0:  # the loss either side of the resume
            kill["loss_before_after"] = [round(curve[interval - 1], 2), round(curve[interval], 2)]
    record_path = os.path.join(output_dir, "export", "assets", "kerastransfer.json")
    final_steps = None
    if final.returncode == 0 and os.path.exists(record_path):
        with open(record_path) as f:
            final_steps = json.load(f)["train"]["steps"]
    ok = (bool(kills) and final_steps == FLAGS.steps and curve_ok
          and all(k["lost"] is not None and 0 <= k["lost"] <= FLAGS.checkpoint_every
                  for k in kills))
    return {"trial": index, "kills": kills, "exit": final.returncode,
            "final_steps": final_steps, "intervals": len(curve), "loss_curve": curve,
            "curve_ok": curve_ok, "ok": ok, "seconds": round(time.time() - started, 1)}


def main(argv):
    if len(argv) > 1:
        sys.exit(f"error: unexpected arguments: {' '.join(argv[1:])}")
    if FLAGS.trials < 1 or FLAGS.steps < 4 or FLAGS.checkpoint_every < 1 or FLAGS.kills < 1:
        sys.exit("error: need --trials >= 1, --steps >= 4, --checkpoint_every >= 1, --kills >= 1")
    rng = random.Random(FLAGS.seed)
    with tempfile.TemporaryDirectory(prefix="kill-resume-") as scratch:
        base_dir = FLAGS.work_dir or scratch
        os.makedirs(base_dir, exist_ok=True)
        photos, style = make_data(base_dir)
        results = []
        for index in range(FLAGS.trials):
            result = one_trial(index, base_dir, photos, style, rng)
            results.append(result)
            kills = "; ".join(f"kill after step {k['done']} (aimed at {k['target']}, "
                              f"{phase_of(k['done'], FLAGS.steps)}), "
                              f"resumed from {k['resumed_from']}, lost {k['lost']}"
                              + (" (loss {} -> {} across it)".format(*k["loss_before_after"])
                                 if "loss_before_after" in k else "")
                              for k in result["kills"]) or "finished before the kill"
            print(f"trial {index}: {kills}; final run exit {result['exit']}, "
                  f"{result['final_steps']} steps, {result['intervals']} loss intervals "
                  f"{'all finite' if result['curve_ok'] else 'MISSING OR NON-FINITE'}"
                  f" -> {'ok' if result['ok'] else 'FAILED'}", flush=True)
        if FLAGS.json:
            from kerastransfer.image_io import write_json
            write_json(FLAGS.json, results)
    resumed = sum(r["final_steps"] == FLAGS.steps for r in results)
    lost = [k["lost"] for r in results for k in r["kills"] if k["lost"] is not None]
    killed = sum(bool(r["kills"]) for r in results)
    print(f"{len(results)} trials, {killed} killed, {resumed} resumed to {FLAGS.steps} "
          f"steps; steps lost per kill: max {max(lost) if lost else 'n/a'}, mean "
          f"{np.mean(lost) if lost else float('nan'):.1f} (checkpoint interval "
          f"{FLAGS.checkpoint_every}) -> {'PASS' if all(r['ok'] for r in results) else 'FAIL'}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    app.run(main)
