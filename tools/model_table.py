"""The README's table of shipped models, from each model's own record and files, so the
table cannot drift from what is shipped. Same as `kerastransfer-models --format=markdown`.

    python tools/model_table.py [--models=udnie,...]   (default: every shipped model)
"""
from kerastransfer.cli import models

if __name__ == "__main__":
    import sys
    sys.argv.append("--format=markdown")
    models.run()
