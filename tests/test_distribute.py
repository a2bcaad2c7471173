"""Training under tf.distribute: two workers on loopback end with the same weights."""
import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import run_cli

pytestmark = pytest.mark.slow  # command lines, servers, training runs


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def tiny_training_flags(photo_dir, style_path, output_dir):
    return [f"--style_image={style_path}", f"--train_dir={photo_dir}",
            f"--output_dir={output_dir}", "--steps=3", "--batch_size=1", "--image_size=32",
            "--style_size=32", "--width=0.125", "--vgg_weights=random",
            "--mixed_precision=float32", "--checkpoint_every=3", "--seed=0",
            "--content_layers=relu1_2", "--style_layers=relu1_2"]  # a 2-layer VGG: fast


def test_two_workers_on_loopback_finish_with_identical_weights(tmp_path, photo_dir, style_path):
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(2)]}
    workers = []
    for index in range(2):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
               "TF_CONFIG": json.dumps({"cluster": cluster,
                                        "task": {"type": "worker", "index": index}})}
        command = [sys.executable, "-m", "kerastransfer.cli.train_style",
                   *tiny_training_flags(photo_dir, style_path, tmp_path / f"worker{index}"),
                   "--distribute=multi_worker"]
        workers.append(subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env))
    try:
        outputs = [worker.communicate(timeout=240) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr[-3000:]
    chief_line, other_line = (stdout.strip().splitlines()[-1] for stdout, _ in outputs)
    assert chief_line.startswith("exported ") and "after 3 steps" in chief_line
    assert other_line.startswith("worker finished after 3 steps")
    assert chief_line.split("weights sha256 ")[1] == other_line.split("weights sha256 ")[1].split(";")[0]
    # The chief exports and logs; the other worker only keeps its own checkpoint.
    assert (tmp_path / "worker0" / "export" / "saved_model.pb").exists()
    assert (tmp_path / "worker0" / "history.csv").exists()
    assert not (tmp_path / "worker1" / "export").exists()
    assert (tmp_path / "worker1" / "worker_1" / "backup").is_dir()
    with open(tmp_path / "worker0" / "export" / "assets" / "kerastransfer.json") as f:
        assert json.load(f)["train"]["batch_size"] == 2  # 1 per replica × 2 replicas


def test_multi_worker_without_tf_config_is_one_line(tmp_path, photo_dir, style_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    result = subprocess.run(
        [sys.executable, "-m", "kerastransfer.cli.train_style",
         *tiny_training_flags(photo_dir, style_path, tmp_path / "run"),
         "--distribute=multi_worker"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --distribute=multi_worker: multi_worker training needs TF_CONFIG (the "
        "cluster and this worker's task), see the README"]


@pytest.mark.parametrize("command", ["train_style", "train_sr"])
def test_distribute_flag_rejects_unknown_strategies(command, tmp_path):
    result = run_cli(f"kerastransfer.cli.{command}", "--distribute=tpu",
                     f"--output_dir={tmp_path}")
    assert result.returncode == 2
    assert "--distribute" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_mirrored_on_one_device_trains_like_the_default(tmp_path, photo_dir, style_path):
    """MirroredStrategy with the one CPU: the same code path a multi-GPU machine takes."""
    result = run_cli("kerastransfer.cli.train_style",
                     *tiny_training_flags(photo_dir, style_path, tmp_path / "run"),
                     "--distribute=mirrored")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1].startswith("exported ")
