"""Runs a kerastransfer command from a copy of the package:

    python tools/run_from_copy.py SRC_DIR MODULE FLAGS...   (MODULE e.g. cli.train_style)

The editable install's import hook would send `import kerastransfer` to the checkout;
dropping it makes SRC_DIR's copy the one imported, so edits to the checkout during a long
run cannot change the code its export traces (the ablation scripts' `run.sh`)."""
import importlib
import sys

sys.meta_path = [finder for finder in sys.meta_path if "__editable__" not in repr(finder)]
sys.path.insert(0, sys.argv.pop(1))
importlib.import_module("kerastransfer." + sys.argv.pop(1)).run()
