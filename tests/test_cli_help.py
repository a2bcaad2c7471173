"""`--help` of every console script: the tool's docstring and its own flags, exit 0."""
import configparser
import os
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow  # command lines, servers, training runs


def console_scripts():
    config = configparser.ConfigParser()
    config.read(os.path.join(REPO, "setup.cfg"))
    lines = config["options.entry_points"]["console_scripts"].strip().splitlines()
    return dict(tuple(part.strip() for part in line.split("=")) for line in lines)


# Flags a user looks for first; every script must show its own within 30 lines.
KEY_FLAGS = {
    "kerastransfer-stylize": ["--model", "--input", "--output"],
    "kerastransfer-upscale": ["--model", "--input", "--output"],
    "kerastransfer-optimize": ["--content", "--style", "--output"],
    "kerastransfer-train-style": ["--style_image", "--train_dir", "--output_dir"],
    "kerastransfer-train-sr": ["--train_dir", "--output_dir"],
    "kerastransfer-evaluate-sr": ["--model"],
    "kerastransfer-serve": ["--port", "--rest_api_port", "--host"],
    "kerastransfer-remote": ["--server", "--model", "--input", "--output"],
    "kerastransfer-beam-stylize": ["--model", "--input_pattern", "--output_dir"],
    "kerastransfer-models": ["--models"],
}


def run_script(name, target, *args):
    """Runs a console script as its installed launcher does: `__main__` is a launcher
    without a docstring or flags of its own, which is what absl's help got wrong."""
    module, function = target.split(":")
    code = (f"import sys; sys.argv = {[name, *args]!r}; "
            f"from {module} import {function}; sys.exit({function}())")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=300)


def test_every_script_has_key_flags_listed():
    assert set(console_scripts()) == set(KEY_FLAGS)


@pytest.mark.parametrize("name,target", sorted(console_scripts().items()))
@pytest.mark.parametrize("help_flag", ["--help", "-h"])
def test_help_shows_the_tools_own_flags_and_exits_0(name, target, help_flag):
    result = run_script(name, target, help_flag)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{name}:"), lines[0]  # the module docstring comes first
    first = "\n".join(lines[:30])
    for flag in KEY_FLAGS[name]:
        assert f"  {flag}:" in first, f"{flag} not in the first 30 lines:\n{first}"
    assert "--helpfull" in result.stdout  # where absl's own flags are
    assert "--logtostderr" not in result.stdout  # ... and not here
    assert result.stderr == ""
