"""The README's super-resolution picture: crops of ground truth, bicubic and each SR
model's output on benchmark images, labelled with the whole image's PSNR-Y / SSIM-Y.

    python tools/make_sr_comparison.py [--models=sr_x4_pixel,sr_x4,sr_x8_pixel,sr_x8] \
        [--images=Set5/butterfly.png,...] [--crop=144] [--zoom=2] \
        [--output=docs/sr_comparison.jpg]

One block of rows per scale (×4 first), one row per image: ground truth, bicubic, then
that scale's models (a scale with fewer models leaves its last cells blank). The
low-resolution input is made with the training degradation (blur σ=1 + bicubic), as in
`kerastransfer-evaluate-sr`.
"""
import os

import numpy as np
from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS = os.path.join(os.path.dirname(REPO), "shared", "data", "sr_benchmarks")

flags.DEFINE_list("models", ["sr_x4_pixel", "sr_x4", "sr_x8_pixel", "sr_x8"], "SR models: one column "
                  "each within their scale's block of rows.")
flags.DEFINE_list("images", ["Set5/butterfly.png", "Set14/zebra.png", "BSD100/img_012.png"],
                  "Ground-truth images (relative to shared/data/sr_benchmarks), one row each.")
flags.DEFINE_integer("crop", 144, "Side of the square crop, in high-resolution pixels.")
flags.DEFINE_integer("zoom", 2, "Nearest-neighbour enlargement of each crop.")
flags.DEFINE_string("output", os.path.join(REPO, "docs", "sr_comparison.jpg"), "Output image.")
FLAGS = flags.FLAGS


def centre_crop(image, size):
    top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
    return image[top:top + size, left:left + size]


def labelled(cell, text, zoom):
    """The crop enlarged, with a caption strip above it."""
    from PIL import Image, ImageDraw
    big = np.kron(cell, np.ones((zoom, zoom, 1), np.uint8))
    canvas = Image.new("RGB", (big.shape[1], big.shape[0] + 28), "white")
    canvas.paste(Image.fromarray(big), (0, 28))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(text.split("\n")):
        draw.text((3, 2 + 12 * i), line, fill="black")
    return np.asarray(canvas)


def main(argv):
    del argv
    import tensorflow as tf
    from kerastransfer.models import degradation
    from kerastransfer import image_io
    from kerastransfer.evaluation import metrics, sr_evaluation
    from kerastransfer.inference import upscale
    from kerastransfer.inference.exported_model import ExportedModel

    models = [ExportedModel(name) for name in FLAGS.models]
    by_scale = {}
    for model in models:
        by_scale.setdefault(model.record.scale, []).append(model)
    columns = 2 + max(len(group) for group in by_scale.values())

    def scores(image, hr, scale):
        pair = [tf.constant(image[np.newaxis], tf.float32), tf.constant(hr[np.newaxis], tf.float32)]
        return (f"{float(metrics.psnr_y(*pair, border=scale)[0]):.2f} dB / "
                f"{float(metrics.ssim_y(*pair, border=scale)[0]):.3f}")

    rows = []
    for scale, group in sorted(by_scale.items()):
        for name in FLAGS.images:
            hr = image_io.read_image(os.path.join(BENCHMARKS, name))
            hr = np.asarray(degradation.crop_to_multiple(hr, scale))
            lr = sr_evaluation.low_resolution(hr, scale)
            outputs = [("bicubic", upscale.bicubic(lr, scale))] + [
                (m.record.name, upscale.upscale(m, lr, scale)) for m in group]
            cells = [labelled(centre_crop(hr, FLAGS.crop), f"{name}\nground truth", FLAGS.zoom)]
            cells += [labelled(centre_crop(out, FLAGS.crop),
                               f"{label} x{scale}\n{scores(out, hr, scale)}", FLAGS.zoom)
                      for label, out in outputs]
            cells += [np.full_like(cells[0], 255)] * (columns - len(cells))
            rows.append(np.concatenate(cells, axis=1))
    grid = np.concatenate(rows, axis=0)
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.output)), exist_ok=True)
    image_io.write_image(FLAGS.output, grid, overwrite=True, quality=90)
    print(f"wrote {FLAGS.output}: {len(FLAGS.images)} images at "
          + ", ".join(f"×{s} ({len(g)} models)" for s, g in sorted(by_scale.items())))


if __name__ == "__main__":
    app.run(main)
