"""Packs what `train_jax.py` needs to continue the zoo's style networks on a GPU machine
that has JAX but no TensorFlow: one folder, small enough to travel with the repository.

    python tools/gpu_zoo/make_bundle.py --styles=udnie,wave --out=.gpu/bundle

Writes, all computed here by the package itself so the GPU run cannot drift from it:
- vgg16.npz: the loss network's convolutions up to relu4_3 (block1_conv1..block4_conv3,
  HWIO kernels, float16: training runs them in bfloat16, to which float16 rounds
  exactly but for the odd last bit);
- NAME.npz: per style, the shipped network's weights by Keras variable path, and the
  style image as the recipe loads it (`data.load_style_image` at the record's style
  size, float16); also the style's Gram targets as the Keras objective computes them
  under mixed_bfloat16 (`PerceptualObjective.style_grams`), in --parity_dir, for
  `check_parity.py` only;
- NAME.json: per style, the record of the shipped model the run starts from;
- photos.npz: every training photo resized as the 256-px crops of `data.resize_and_crop`
  resize it (shorter side 256, bilinear with antialiasing), WebP-encoded.
"""
import json
import os

import sys

import numpy as np
from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_weights import write_vgg16  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")

flags.DEFINE_list("styles", ["composition_vii", "starry_night", "the_scream",
                             "the_shipwreck_of_the_minotaur", "udnie", "wave"],
                  "Shipped style models to continue.")
flags.DEFINE_string("train_dir", os.path.join(SHARED, "train_photos"), "Training photos.")
flags.DEFINE_string("styles_dir", os.path.join(SHARED, "styles"), "The paintings.")
flags.DEFINE_integer("scale_to", 256, "Shorter side of the photos crops are cut from.")
flags.DEFINE_integer("photo_quality", 90, "WebP quality of the photos.")
flags.DEFINE_string("out", os.path.join(REPO, ".gpu", "bundle"), "Output folder.")
flags.DEFINE_string("parity_dir", os.path.join(REPO, ".gpu", "parity"),
                    "Where the Keras Gram targets go (not carried to the GPU machine).")
FLAGS = flags.FLAGS

def write_style(name, out_dir):
    from kerastransfer import artifact
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
    from kerastransfer.training import data, loop
    path = artifact.resolve(name)
    record = artifact.read_record(path)
    network = ExportedModel(path).keras_network()
    arrays = {f"net/{v.path}": np.asarray(v.numpy(), np.float32) for v in network.weights}
    loop.set_precision("mixed_bfloat16")
    try:
        style = data.load_style_image(os.path.join(FLAGS.styles_dir, record.style_image),
                                      record.style_size)
        objective = PerceptualObjective.build(LossWeights.from_json(record.loss), style)
        grams = {layer: np.asarray(gram, np.float32)
                 for layer, gram in objective.style_grams.items()}
    finally:
        loop.set_precision("float32")
    arrays["style"] = np.asarray(style[0], np.float16)
    np.savez(os.path.join(out_dir, f"{name}.npz"), **arrays)
    os.makedirs(FLAGS.parity_dir, exist_ok=True)
    np.savez(os.path.join(FLAGS.parity_dir, f"{name}_grams.npz"), **grams)
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump({"path": os.path.relpath(path, REPO), "record": record.to_json()}, f)


def write_photos(path):
    """Each photo resized as the 256-px crops' pipeline resizes it, as WebP (quality
    `--photo_quality`: the whole set then travels in about 26 MiB)."""
    import io

    import tensorflow as tf
    from PIL import Image

    from kerastransfer.training import data
    paths = data.list_images(FLAGS.train_dir)
    encoded, sizes = [], []
    for p in paths:
        image = data.decode_rgb(tf.io.read_file(p))
        h, w = image.shape[:2]
        scale = FLAGS.scale_to / min(h, w)
        new_hw = [max(int(np.ceil(h * scale)), FLAGS.scale_to),
                  max(int(np.ceil(w * scale)), FLAGS.scale_to)]
        resized = tf.image.resize(image, new_hw, method="bilinear", antialias=True).numpy()
        pixels = np.clip(np.round(resized), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "WEBP", quality=FLAGS.photo_quality)
        encoded.append(np.frombuffer(buffer.getvalue(), np.uint8))
        sizes.append(new_hw)
    offsets = np.cumsum([0] + [len(e) for e in encoded])
    np.savez(path, bytes=np.concatenate(encoded), offsets=offsets,
             sizes=np.asarray(sizes, np.int32))


def main(argv):
    del argv
    os.makedirs(FLAGS.out, exist_ok=True)
    # float16: training runs the loss network in bfloat16, to which float16 rounds exactly
    # but for the odd last bit
    write_vgg16(os.path.join(FLAGS.out, "vgg16.npz"), np.float16)
    for name in FLAGS.styles:
        write_style(name, FLAGS.out)
    write_photos(os.path.join(FLAGS.out, "photos.npz"))
    for f in sorted(os.listdir(FLAGS.out)):
        print(f"{f}: {os.path.getsize(os.path.join(FLAGS.out, f)) / 2**20:.1f} MiB")


if __name__ == "__main__":
    app.run(main)
