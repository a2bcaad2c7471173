"""kerastransfer-models: the shipped models, what each does and how it was trained.

  kerastransfer-models                     # a table of every shipped model
  kerastransfer-models --models=udnie,sr_x4 --format=markdown

Every cell comes from the model's own record (assets/kerastransfer.json) and files:
task, style painting, network, training steps (in all, for a model trained in stages), batch ×
crop, training wall time (of the last stage) and
precision, loss weights (content / style / TV), and the result: the final weighted
training loss terms (content / style / TV) of a style model, or Set5 PSNR-Y against
bicubic of a super-resolution model. Shipped models are looked up in
$KERASTRANSFER_MODELS, else saved_models/.
"""
import json
import sys

from absl import flags

from kerastransfer.cli.common import run_app

flags.DEFINE_list("models", None, "Model names or SavedModel paths (default: every shipped "
                  "model, style models first).")
flags.DEFINE_enum("format", "table", ["table", "markdown", "json"], "table: aligned text; "
                  "markdown: a table for a README; json: one object per model.")
FLAGS = flags.FLAGS

COLUMNS = [("model", "model"), ("task", "task"), ("style", "style"), ("network", "network"),
           ("steps", "steps"), ("batch_crop", "batch × crop"),
           ("training_time", "training time"), ("precision", "precision"),
           ("loss_weights", "weights (content / style / TV)"),
           ("result", "final loss (content / style / TV) or Set5")]
TABLE_COLUMNS = ["model", "task", "style", "steps", "training_time", "result"]
# result: a style model's final weighted training loss terms (content / style / TV), an
# SR model's Set5 PSNR-Y against bicubic (the docstring says so under --help)


def format_rows(rows, fmt):
    """The table as text: `table` (the columns a user needs, aligned), `markdown` (every
    column) or `json`."""
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    titles = dict(COLUMNS)
    if fmt == "markdown":
        keys = [key for key, _ in COLUMNS] + ["megabytes"]
        titles["megabytes"] = "MB"
        lines = ["| " + " | ".join(titles[k] for k in keys) + " |",
                 "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(f"`{r[k]}`" if k == "model" else r[k] for k in keys) + " |"
                  for r in rows]
        return "\n".join(lines)
    titles["result"] = "result"
    table = [[titles[k] for k in TABLE_COLUMNS]] + [[r[k] for k in TABLE_COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(TABLE_COLUMNS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()
                     for line in table)


def main(argv):
    from kerastransfer import artifact
    if len(argv) > 1:
        sys.exit(f"error: unexpected arguments: {' '.join(argv[1:])}")
    names = FLAGS.models or artifact.available_models()
    if not names:
        sys.exit(f"error: {artifact.models_root()}: no shipped models found "
                 "(set KERASTRANSFER_MODELS to the folder holding them)")
    try:
        rows = [artifact.summary(name) for name in names]
    except (ValueError, OSError) as e:
        sys.exit(f"error: {e}")
    if not FLAGS.models:
        rows.sort(key=lambda r: (r["task"] != "style", r["model"]))
    try:
        print(format_rows(rows, FLAGS.format), flush=True)
    except BrokenPipeError:  # e.g. piped into head: stop quietly, as other tools do
        sys.stdout = None


def run():
    run_app(main)


if __name__ == "__main__":
    run()
