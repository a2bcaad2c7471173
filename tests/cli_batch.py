"""Many runs of one command line in one Python process, for tests that need dozens.

Each run starts from the flags' defaults, goes through absl's `app.run` and the
command's `main_wrapper` as a console script does, and has its exit status (from
SystemExit) and its stdout and stderr captured at the file-descriptor level, so C-level
output and tracebacks are seen too. Only the TensorFlow import is shared.

  python tests/cli_batch.py kerastransfer.cli.stylize RUNS.json RESULTS.json
  (RUNS.json: a list of argument lists; RESULTS.json: [{"returncode", "stdout", "stderr"}])
"""
import importlib
import json
import os
import subprocess
import sys
import tempfile
import traceback
import types


def _captured_run(run):
    """Calls run() with fds 1 and 2 sent to temporary files; returns (code, out, err)."""
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            code = run()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out.seek(0)
        err.seek(0)
        return code, out.read().decode(errors="replace"), err.read().decode(errors="replace")


def run_many(module_name, runs):
    from absl import app, flags

    from kerastransfer.cli import common
    module = importlib.import_module(module_name)
    results = []
    for args in runs:
        def one():
            flags.FLAGS.unparse_flags()
            try:
                app.run(module.main, argv=[module_name, *args],
                        flags_parser=common.parse_flags_one_line)
            except SystemExit as e:
                return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except BaseException:  # what a console script would print as a traceback
                traceback.print_exc()
                return 1
            return 0

        code, out, err = _captured_run(one)
        results.append({"returncode": code, "stdout": out, "stderr": err})
    return results


def run_cli_batch(module_name, runs):
    """Runs `module_name`'s command line once per argument list in `runs`, in one
    subprocess; returns objects with returncode, stdout and stderr, like run_cli."""
    with tempfile.TemporaryDirectory() as tmp:
        runs_path, results_path = os.path.join(tmp, "runs.json"), os.path.join(tmp, "out.json")
        with open(runs_path, "w") as f:
            json.dump([[str(a) for a in args] for args in runs], f)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        done = subprocess.run([sys.executable, __file__, module_name, runs_path, results_path],
                              capture_output=True, text=True, env=env, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        with open(results_path) as f:
            return [types.SimpleNamespace(**r) for r in json.load(f)]


if __name__ == "__main__":
    name, runs_file, results_file = sys.argv[1:]
    with open(runs_file) as f:
        all_runs = json.load(f)
    with open(results_file, "w") as f:
        json.dump(run_many(name, all_runs), f)
