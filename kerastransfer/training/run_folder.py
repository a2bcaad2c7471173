"""A run folder remembers the settings its first run started with, so a later run there
continues the same network, or stops with one line before Keras meets checkpoints of
another shape ("set_weights … expecting 26")."""
import json
import os

from kerastransfer import image_io

RUN_CONFIG_FILE = "run_config.json"


def check_same_run(output_dir, settings, first_run_extras=None, hint="", described=None):
    """Writes `settings` (flag name → value) and `first_run_extras` into `output_dir` when
    it holds no run yet; otherwise raises ValueError naming the first flag whose value
    differs from the saved one, or its phrase in `described` (flag → words, for values
    such as digests that mean nothing to a reader). `hint` ends the message. Returns what
    the folder's first run saved."""
    path = os.path.join(output_dir, RUN_CONFIG_FILE)
    if not os.path.exists(path):
        os.makedirs(output_dir, exist_ok=True)
        saved = {**settings, **(first_run_extras or {})}
        image_io.write_json(path, saved)
        return saved
    with open(path) as f:
        saved = json.load(f)
    for flag, value in settings.items():
        if flag in saved and saved[flag] != value:
            what = (described or {}).get(flag, f"--{flag}={saved[flag]}, not {value}")
            raise ValueError(f"{output_dir} holds a run with {what}; use a new "
                             f"--output_dir{hint}")
    return saved
