"""kerastransfer-models: the table of shipped models comes from their records."""
import json
import os
import shutil

import pytest

from conftest import REPO, run_cli

pytestmark = pytest.mark.slow  # command lines, the shipped models

SHIPPED = os.path.join(REPO, "saved_models")


def read_record(name):
    """The record of the newest version, the one the table describes."""
    newest = max((v for v in os.listdir(os.path.join(SHIPPED, name)) if v.isdigit()), key=int)
    with open(os.path.join(SHIPPED, name, newest, "assets", "kerastransfer.json")) as f:
        return json.load(f)


def test_table_lists_every_shipped_model_with_its_recorded_training():
    result = run_cli("kerastransfer.cli.models", env={"KERASTRANSFER_MODELS": SHIPPED})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["model", "task", "style"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {n for n in os.listdir(SHIPPED) if os.path.isdir(os.path.join(SHIPPED, n))}
    for name, line in rows.items():
        record = read_record(name)
        # every stage's steps where the record counts them (a model trained in stages)
        train = record["train"]
        assert f" {train.get('steps_in_all', train['steps'])} " in line
        assert f"{record['train']['wall_seconds'] / 60:.0f} min" in line
        if record["task"] == "style":
            final = record["metrics"]["final_train_loss"]
            assert f"{final['content']:.2f} / {final['style']:.2f} / {final['tv']:.2f}" in line
        else:
            assert f"Set5 {record['metrics']['Set5']['model']['psnr_y']:.2f} dB" in line


def test_json_and_markdown_formats(tmp_path, tiny_saved_model):
    models = tmp_path / "models"
    shutil.copytree(os.path.dirname(tiny_saved_model), models / "tiny")
    env = {"KERASTRANSFER_MODELS": str(models)}
    rows = json.loads(run_cli("kerastransfer.cli.models", "--format=json", env=env).stdout)
    assert [(r["model"], r["task"], r["steps"]) for r in rows] == [("tiny", "style", "-")]
    markdown = run_cli("kerastransfer.cli.models", "--format=markdown", env=env).stdout
    assert markdown.splitlines()[2].startswith("| `tiny` | style | tiny_style |")


def test_unknown_model_is_one_line(tmp_path):
    result = run_cli("kerastransfer.cli.models", "--models=no_such_model",
                     env={"KERASTRANSFER_MODELS": str(tmp_path)})
    assert result.returncode != 0
    assert result.stderr.strip().startswith("error: no_such_model: not a SavedModel")
    assert len(result.stderr.strip().splitlines()) == 1
