"""Regenerates the README gallery from the shipped models: one row per content photo,
the photo first, then its stylisation by each model; the top row shows the style images
(each model's own, from its assets/).

    python tools/make_gallery.py [--models=udnie,...] [--photos=a.jpg,...] \
        [--size=320] [--output=docs/gallery.jpg]
"""
import os

import numpy as np
from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")

flags.DEFINE_list("models", None, "Model names (default: every shipped style model).")
flags.DEFINE_list("photos", [os.path.join(SHARED, "content", p) for p in
                             ("chicago.jpg", "hoovertowernight.jpg", "stata.jpg")]
                  + [os.path.join(REPO, "examples", p) for p in ("chelsea.jpg", "coffee.jpg")],
                  "Content photos, one row each (default: the paper's three, then the two "
                  "sample photos, which no network trained on).")
flags.DEFINE_integer("size", 320, "Each cell's longer side in pixels; photos are stylised at "
                     "this size.")
flags.DEFINE_string("styles_dir", os.path.join(SHARED, "styles"), "Where style images are "
                    "for models that do not carry theirs in assets/ (older exports).")
flags.DEFINE_string("output", os.path.join(REPO, "docs", "gallery.jpg"), "Output image.")
FLAGS = flags.FLAGS


def fit_cell(image, size):
    """Scales the image to cover a size × 3/4·size cell (landscape 4:3), centre-cropped."""
    import tensorflow as tf
    h, w = size * 3 // 4, size
    scale = max(h / image.shape[0], w / image.shape[1])
    covered = tf.image.resize(tf.cast(image, tf.float32),
                              [max(h, round(image.shape[0] * scale)),
                               max(w, round(image.shape[1] * scale))], antialias=True)
    cropped = tf.image.resize_with_crop_or_pad(covered, h, w)
    return tf.cast(tf.clip_by_value(tf.round(cropped), 0, 255), tf.uint8).numpy()


def main(argv):
    del argv
    from kerastransfer import image_io, artifact
    from kerastransfer.inference import exported_model, stylize
    names = FLAGS.models or [n for n in artifact.available_models()
                             if artifact.read_record(artifact.resolve(n)).task == "style"]
    models = [exported_model.ExportedModel(n) for n in names]
    size = FLAGS.size
    blank = np.full((size * 3 // 4, size, 3), 255, np.uint8)
    paintings = [artifact.style_image_path(m.path, m.record, [FLAGS.styles_dir])
                 for m in models]
    missing = [m.name for m, p in zip(models, paintings) if not p]
    if missing:
        raise SystemExit(f"error: no painting for {', '.join(missing)} in assets/ or "
                         f"{FLAGS.styles_dir}")
    header = [blank] + [fit_cell(image_io.read_image(p), size) for p in paintings]
    rows = [header]
    for path in FLAGS.photos:
        photo = stylize.limit_size(image_io.read_image(path), size)
        rows.append([fit_cell(photo, size)] + [fit_cell(stylize.stylize(m, photo), size)
                                               for m in models])
    gap = 4
    grid = np.full((len(rows) * (blank.shape[0] + gap), len(header) * (size + gap), 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            y, x = r * (blank.shape[0] + gap), c * (size + gap)
            grid[y:y + cell.shape[0], x:x + cell.shape[1]] = cell
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.output)), exist_ok=True)
    image_io.write_image(FLAGS.output, grid, overwrite=True, quality=88)
    print(f"wrote {FLAGS.output}: {len(FLAGS.photos)} photos × {len(models)} styles")


if __name__ == "__main__":
    app.run(main)
