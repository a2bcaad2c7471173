"""Evaluating super-resolution the way the paper and the SR literature do.

For each high-resolution image: crop to a multiple of the scale, make the low-resolution
input with the training degradation (blur σ=1 + bicubic), upscale it with the model and
with plain bicubic, and score both against the original: PSNR-Y and SSIM-Y with `scale`
pixels shaved, LPIPS (VGG), and the energy of a grid of period 2 and 4 pixels relative
to the original's (`metrics.period_ratio`: 1 as much, above 1 a grid the original lacks).
"""
import os

import numpy as np

from kerastransfer import image_io
from kerastransfer.evaluation import metrics
from kerastransfer.inference.upscale import bicubic, to_uint8, upscale
from kerastransfer.models import degradation
from kerastransfer.training import data

PERIODS = (2, 4)  # the grids `period_ratio` measures: period2_ratio, period4_ratio


def low_resolution(hr, scale):
    """uint8 HR [H, W, 3] (multiple of scale) → uint8 LR, as stored images would be."""
    return to_uint8(degradation.degrade(hr[np.newaxis].astype(np.float32), scale))[0]


def evaluate_folder(model, hr_dir, scale, lpips=None, histogram_match=False, limit=None):
    """Scores `model` and bicubic on every image in `hr_dir`.

    Returns {"images": [{"image", "model": {...}, "bicubic": {...}}, ...],
             "mean": {"model": {...}, "bicubic": {...}}} with psnr_y, ssim_y, lpips,
    period2_ratio and period4_ratio.
    """
    rows = []
    for path in data.list_images(hr_dir)[:limit]:
        hr = image_io.read_image(path)
        hr = np.asarray(degradation.crop_to_multiple(hr, scale))
        lr = low_resolution(hr, scale)
        candidates = {"model": upscale(model, lr, scale, histogram_match),
                      "bicubic": bicubic(lr, scale)}
        reference = hr[np.newaxis].astype(np.float32)
        row = {"image": os.path.basename(path)}
        for kind, image in candidates.items():
            image = image[np.newaxis].astype(np.float32)
            scores = {"psnr_y": float(metrics.psnr_y(image, reference, scale)[0]),
                      "ssim_y": float(metrics.ssim_y(image, reference, scale)[0])}
            if lpips is not None:
                scores["lpips"] = float(lpips(image, reference)[0])
            for period in PERIODS:
                scores[f"period{period}_ratio"] = float(
                    metrics.period_ratio(image, reference, period, scale)[0])
            row[kind] = scores
        rows.append(row)
    mean = {kind: {m: float(np.mean([r[kind][m] for r in rows])) for m in rows[0][kind]}
            for kind in ("model", "bicubic")}
    return {"images": rows, "mean": mean}


def markdown_table(results_by_set):
    """One row per set: model and bicubic PSNR-Y / SSIM-Y / LPIPS / period-2 and period-4
    energy ratios."""
    columns = [("PSNR-Y", "psnr_y", "{:.2f}"), ("SSIM-Y", "ssim_y", "{:.4f}"),
               ("LPIPS", "lpips", "{:.4f}")]
    columns += [(f"period-{p} ratio", f"period{p}_ratio", "{:.3g}") for p in PERIODS]
    header = "| set | images | " + " | ".join(f"{title} {kind}" for title, _, _ in columns
                                               for kind in ("model", "bicubic")) + " |"
    lines = [header, "|---|---|" + "---|" * (2 * len(columns))]
    for name, result in results_by_set.items():
        means = result["mean"]
        cells = [fmt.format(means[kind][key]) if key in means[kind] else "-"
                 for _, key, fmt in columns for kind in ("model", "bicubic")]
        lines.append(f"| {name} | {len(result['images'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
