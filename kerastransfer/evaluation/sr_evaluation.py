"""Evaluating super-resolution the way the paper and the SR literature do.

For each high-resolution image: crop to a multiple of the scale, make the low-resolution
input with the training degradation (blur σ=1 + bicubic), upscale it with the model and
with plain bicubic, and score both against the original: PSNR-Y and SSIM-Y with `scale`
pixels shaved, and LPIPS (VGG).
"""
import os

import numpy as np
import tensorflow as tf

from kerastransfer.training import data

from kerastransfer.models import degradation

from kerastransfer import image_io

from kerastransfer.evaluation import metrics

from kerastransfer.inference import tiling


def match_histograms(image, reference):
    """Per-channel histogram matching of uint8 `image` to `reference` (the paper applies
    it to ℓfeat outputs to undo small colour shifts). Returns uint8 like `image`."""
    out = np.empty_like(image)
    for c in range(image.shape[-1]):
        source = image[..., c].ravel()
        values, inverse, counts = np.unique(source, return_inverse=True, return_counts=True)
        ref_values, ref_counts = np.unique(reference[..., c].ravel(), return_counts=True)
        source_cdf = np.cumsum(counts) / source.size
        ref_cdf = np.cumsum(ref_counts) / reference[..., c].size
        mapped = np.interp(source_cdf, ref_cdf, ref_values)
        out[..., c] = np.clip(np.round(mapped[inverse]), 0, 255).reshape(image.shape[:-1])
    return out


def upscale(model, image, scale, histogram_match=False, tile_size=tiling.TILE_SIZE,
            tile_above_pixels=None):
    """uint8 LR [H, W, 3] → uint8 [scale·H, scale·W, 3] with `model` (uint8 batch → batch),
    optionally histogram-matched to the bicubic upscale of the input. Outputs over
    `tile_above_pixels` (None: `tiling.SR_TILE_ABOVE_PIXELS`) are made in tiles of
    `tile_size` output pixels (0 = never)."""
    out = tiling.transform(model, image, tile_size, tile_above_pixels)
    if histogram_match:
        out = match_histograms(out, bicubic(image, scale))
    return out


def _to_uint8(images):
    return tf.cast(tf.clip_by_value(tf.round(images), 0, 255), tf.uint8).numpy()


def bicubic(lr, scale):
    """uint8 LR [H, W, 3] → uint8 bicubic upscale, the baseline every table compares to."""
    return _to_uint8(degradation.bicubic_upscale(lr[np.newaxis].astype(np.float32), scale))[0]


def low_resolution(hr, scale):
    """uint8 HR [H, W, 3] (multiple of scale) → uint8 LR, as stored images would be."""
    return _to_uint8(degradation.degrade(hr[np.newaxis].astype(np.float32), scale))[0]


def evaluate_folder(model, hr_dir, scale, lpips=None, histogram_match=False, limit=None):
    """Scores `model` and bicubic on every image in `hr_dir`.

    Returns {"images": [{"image", "model": {...}, "bicubic": {...}}, ...],
             "mean": {"model": {...}, "bicubic": {...}}} with psnr_y, ssim_y, lpips.
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
            row[kind] = scores
        rows.append(row)
    mean = {kind: {m: float(np.mean([r[kind][m] for r in rows])) for m in rows[0][kind]}
            for kind in ("model", "bicubic")}
    return {"images": rows, "mean": mean}


def markdown_table(results_by_set):
    """One row per set: model and bicubic PSNR-Y / SSIM-Y / LPIPS."""
    lines = ["| set | images | PSNR-Y model | PSNR-Y bicubic | SSIM-Y model | SSIM-Y bicubic "
             "| LPIPS model | LPIPS bicubic |", "|---|---|---|---|---|---|---|---|"]
    for name, result in results_by_set.items():
        m, b = result["mean"]["model"], result["mean"]["bicubic"]
        lp = (f"{m['lpips']:.4f} | {b['lpips']:.4f}" if "lpips" in m else "- | -")
        lines.append(f"| {name} | {len(result['images'])} | {m['psnr_y']:.2f} | {b['psnr_y']:.2f} "
                     f"| {m['ssim_y']:.4f} | {b['ssim_y']:.4f} | {lp} |")
    return "\n".join(lines)
