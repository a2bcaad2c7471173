"""Runs kerastransfer-train-sr from a copy of the package: launch.py SRC_DIR FLAGS...

The editable install's import hook would send `import kerastransfer` to the checkout;
dropping it makes SRC_DIR's copy the one imported, so edits to the checkout during a run
cannot change the code the run's export traces."""
import sys

sys.meta_path = [finder for finder in sys.meta_path if "__editable__" not in repr(finder)]
sys.path.insert(0, sys.argv.pop(1))

from kerastransfer.cli.train_sr import run  # noqa: E402

run()
