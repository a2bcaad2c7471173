"""The README's table of shipped models, from each model's own record and files, so the
table cannot drift from what is shipped.

    python tools/model_table.py [--models=udnie,...]   (default: every shipped model)

Columns: size on disk, network, training steps, batch × crop, wall time and precision,
loss weights, and the final training loss terms (style models; each term already
weighted) or Set5 PSNR-Y against bicubic (SR models).
"""
import os

from absl import app, flags

flags.DEFINE_list("models", None, "Model names (default: every shipped model, styles first).")
FLAGS = flags.FLAGS


def disk_megabytes(directory):
    return sum(os.path.getsize(os.path.join(root, f))
               for root, _, files in os.walk(directory) for f in files) / 1e6


def network_cell(record):
    net = record["network"]
    if record["task"] == "style":
        return f"width {net['width']:g}, {net['normalization']} norm"
    return (f"SR ×{record['scale']}, {net['filters']} filters, {net['normalization']} norm"
            + (", residual" if net.get("residual") else ""))


def weights_cell(record):
    loss = record["loss"]
    if record["task"] == "style":
        return f"{loss['content_weight']:g} / {loss['style_weight']:g} / {loss['tv_weight']:g}"
    return ("ℓfeat relu2_2" if loss.get("kind") == "feature" else "ℓpixel")


def result_cell(record):
    metrics = record.get("metrics", {})
    if record["task"] == "style":
        final = metrics.get("final_train_loss", {})
        return " / ".join(f"{final[k]:.2f}" for k in ("content", "style", "tv")) if final else "-"
    set5 = metrics.get("Set5")
    if not set5:
        return "-"
    return f"Set5 {set5['model']['psnr_y']:.2f} dB (bicubic {set5['bicubic']['psnr_y']:.2f})"


def main(argv):
    del argv
    from kerastransfer import model_zoo
    names = FLAGS.models or model_zoo.available_models()
    records = {n: model_zoo.read_record(model_zoo.resolve(n)) for n in names}
    names = sorted(names, key=lambda n: (records[n].get("task") != "style", n))
    print("| model | MB | network | steps | batch × crop | wall time, 2 CPU cores | "
          "weights (content / style / TV) | final loss (content / style / TV) or Set5 |\n"
          "|---|---|---|---|---|---|---|---|")
    for name in names:
        record, train = records[name], records[name]["train"]
        print(f"| `{name}` | {disk_megabytes(model_zoo.resolve(name)):.1f} | {network_cell(record)} "
              f"| {train['steps']} | {train['batch_size']} × {train['image_size']}² "
              f"| {train['wall_seconds'] / 60:.0f} min ({train['precision'].replace('mixed_', '')}) "
              f"| {weights_cell(record)} | {result_cell(record)} |")


if __name__ == "__main__":
    app.run(main)
