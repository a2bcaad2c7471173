"""How strongly each painting pulls: the unweighted style reconstruction loss of plain
photos against each style image, and the style weight that gives a style the same
starting pull as a reference style whose weight is known to work.

Gram statistics differ by painting (composition_vii's are about 8× udnie's against the
same photos), so one style weight for every painting swamps some and under-styles
others. The zoo's per-style weights in `tools/train_zoo` start from this table.

    python tools/style_weight_scale.py [--styles_dir=DIR] \
        [--reference=../shared/data/styles/udnie.jpg --reference_weight=3] \
        [--photos=8 --style_size=512]
"""
import glob
import os

from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")

flags.DEFINE_string("styles_dir", os.path.join(SHARED, "styles"), "Style images.")
flags.DEFINE_string("photos_dir", os.path.join(SHARED, "train_photos"), "Photos to measure on.")
flags.DEFINE_integer("photos", 8, "How many photos (first in sorted order), >= 1.")
flags.DEFINE_integer("image_size", 256, "Photo crop size in pixels, as in training.")
flags.DEFINE_integer("style_size", 512, "Style image longer side in pixels, as in training.")
flags.DEFINE_string("reference", os.path.join(SHARED, "styles", "udnie.jpg"),
                    "Style image whose weight is known to work.")
flags.DEFINE_float("reference_weight", 3.0, "That style's weight.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import tensorflow as tf
    from kerastransfer.training import data
    from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
    paths = data.list_images(FLAGS.photos_dir)[:FLAGS.photos]
    photos = tf.cast(tf.stack([data.resize_and_crop(data.decode_rgb(tf.io.read_file(p)),
                                                    FLAGS.image_size, random=False)
                               for p in paths]), tf.float32)
    styles = sorted(glob.glob(os.path.join(FLAGS.styles_dir, "*.jpg")))
    reference_name = os.path.splitext(os.path.basename(FLAGS.reference))[0]
    loss = {}
    for path in [FLAGS.reference] + styles:
        style = data.load_style_image(path, FLAGS.style_size)
        objective = PerceptualObjective.build(LossWeights(style_weight=1.0, tv_weight=0.0), style)
        name = os.path.splitext(os.path.basename(path))[0]
        loss[name] = float(objective.terms(photos, photos)["style"])
    reference = loss[reference_name]
    print(f"| style | style loss of photos (unweighted) | × {reference_name} | "
          f"weight for {reference_name}'s pull |\n|---|---|---|---|")
    for name, value in loss.items():
        print(f"| {name} | {value:.3f} | {value / reference:.2f} | "
              f"{FLAGS.reference_weight * reference / value:.2f} |")


if __name__ == "__main__":
    app.run(main)
