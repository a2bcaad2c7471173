"""The README's super-resolution table, from the metrics stored in the shipped models'
records (written by `kerastransfer-evaluate-sr --update_record`), beside the paper's
and SRCNN's ×4 PSNR-Y. The period-2 ratio is the output's period-2 grid energy over the
ground truth's (above 1.5: a visible grid).

    python tools/sr_results_table.py [--models=sr_x4_pixel,sr_x4,sr_x8_pixel,sr_x8]
"""
from absl import app, flags

SETS = ("Set5", "Set14", "BSD100")
# ×4 PSNR-Y: SRCNN as quoted in the literature; the paper's Table 2 for its own models.
REFERENCE_X4 = {"SRCNN": (30.48, 27.49, 26.90), "paper ℓpixel": (28.40, 25.88, 25.83),
                "paper ℓfeat": (27.09, 24.99, 24.95), "paper bicubic": (28.43, 25.99, 25.96)}

flags.DEFINE_list("models", ["sr_x4_pixel", "sr_x4", "sr_x8_pixel", "sr_x8"],
                  "Shipped SR models.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    from kerastransfer import artifact
    header = " | ".join(f"{s} PSNR-Y / SSIM-Y / LPIPS / period-2 ratio" for s in SETS)
    print(f"| method | scale | steps | {header} |\n|---|---|---|" + "---|" * len(SETS))
    bicubic_done = set()
    for name in FLAGS.models:
        record = artifact.read_record(artifact.resolve(name))
        scale, metrics = record.scale, record.metrics

        def cells(kind):
            return " | ".join(f"{metrics[s][kind]['psnr_y']:.2f} / {metrics[s][kind]['ssim_y']:.4f}"
                              f" / {metrics[s][kind]['lpips']:.3f} / "
                              + (f"{metrics[s][kind]['period2_ratio']:.2f}"
                                 if "period2_ratio" in metrics[s][kind] else "-")
                              for s in SETS)
        if scale not in bicubic_done:
            bicubic_done.add(scale)
            print(f"| bicubic | ×{scale} | - | {cells('bicubic')} |")
        print(f"| `{name}` ({'ℓ' + ('feat' if record.loss['kind'] == 'feature' else 'pixel')}) "
              f"| ×{scale} | {record.train['steps']} | {cells('model')} |")
    for method, psnr in REFERENCE_X4.items():
        steps = "200k" if method in ("paper ℓpixel", "paper ℓfeat") else "-"
        print(f"| {method} | ×4 | {steps} | " + " | ".join(f"{p:.2f} / - / - / -" for p in psnr) + " |")


if __name__ == "__main__":
    app.run(main)
