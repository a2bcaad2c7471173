"""How good a trained style network is: its own objective on photos it never saw, the
Gatys L-BFGS iterations that objective is worth, and the blob score.

The blob score measures the artefact short training runs leave: compact discs of one
saturated colour (orange or black, about 1/8 of the image wide) painted on bright flat
patches, wherever the photo is. Their cores sit at the bound of the output head (the
tanh's floor): orange is red near 255 with blue at 0, black is every channel at 0. A blob
is a region where

1. some channel of the output is pinned at 0 or 255 (within `PINNED_LEVELS`) and more
   than `FAR_FROM_PHOTO` levels from the photo's value in that channel (so a photo's own
   black shadows and white highlights do not count, nor a style that keeps them);
2. after an opening that removes strokes thinner than about 1/128 of the image, the
   pixels form a connected patch of at least `MIN_AREA` of the image that fills at least
   `MIN_FILL` of its bounding box (a disc fills 79%, a stroke much less).

The score is the share of the image such regions cover, in percent: the blobs' cores,
not their orange halo. A photo scores 0 by construction; docs/training_recipe.md gives
the calibration against L-BFGS outputs and against labels given by eye.
"""
import hashlib
import json
import os

import numpy as np
import scipy.ndimage as ndimage

from kerastransfer.image_io import write_json

PINNED_LEVELS = 3       # a channel within this of 0 or 255 sits at the head's bound
FAR_FROM_PHOTO = 64     # ... and this far from the photo's value in that channel
MIN_AREA = 0.001        # share of the image a blob covers at least
MIN_FILL = 0.3          # share of its bounding box a blob fills at least

# Photos the networks never train on (Set14 and BSD100 share no image with
# train_photos), chosen for bright flat skies, snow and studio backgrounds, where blobs
# appear, and for faces and fine texture, where content must survive.
VALIDATION_PHOTOS = (
    "BSD100/img_006.png", "BSD100/img_014.png", "BSD100/img_019.png", "BSD100/img_020.png",
    "BSD100/img_029.png", "BSD100/img_034.png", "BSD100/img_043.png", "BSD100/img_053.png",
    "Set14/lenna.png", "Set14/pepper.png", "Set14/monarch.png", "Set14/flowers.png",
)


def pinned_far_from_photo(output, photo):
    """Boolean [H, W]: some channel of the output sits at 0 or 255 (within
    `PINNED_LEVELS`) where the photo's same channel is more than `FAR_FROM_PHOTO` away."""
    output = np.asarray(output, np.float64)
    photo = np.asarray(photo, np.float64)
    pinned = (output <= PINNED_LEVELS) | (output >= 255 - PINNED_LEVELS)
    return (pinned & (np.abs(output - photo) > FAR_FROM_PHOTO)).any(axis=-1)


def blob_mask(output, photo):
    """Boolean [H, W]: the pixels of the output that belong to blobs (module docstring)."""
    candidate = pinned_far_from_photo(output, photo)
    height, width = candidate.shape
    radius = max(1, round(max(height, width) / 256))
    candidate = ndimage.binary_opening(candidate, ndimage.generate_binary_structure(2, 1),
                                       iterations=radius)
    labels, _ = ndimage.label(candidate)
    mask = np.zeros_like(candidate)
    min_pixels = MIN_AREA * height * width
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        region = labels[box] == index
        area = region.sum()
        if area >= min_pixels and area >= MIN_FILL * region.size:
            mask[box] |= region
    return mask


def blob_score(output, photo):
    """Percentage of the image covered by blobs (0 for a clean stylisation)."""
    return 100.0 * float(blob_mask(output, photo).mean())


def load_photo(path, longer_side):
    """A validation photo as uint8 [H, W, 3], resized (Lanczos, antialiased) so its longer
    side is `longer_side`: Set14 and BSD100 photos are about 500 px, so 1024 enlarges."""
    import tensorflow as tf
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    height, width = image.shape[:2]
    scale = longer_side / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    resized = tf.image.resize(tf.cast(image, tf.float32), size, method="lanczos3",
                              antialias=True)
    return np.asarray(tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8))


def objective_terms(objective, image, photo):
    """The objective's weighted terms (floats) for `image` as a stylisation of `photo`."""
    import tensorflow as tf
    terms = objective.terms(tf.constant(image[np.newaxis], tf.float32),
                            tf.constant(photo[np.newaxis], tf.float32))
    return {name: float(value) for name, value in terms.items()}


def model_objective(model, styles_dirs):
    """The objective an exported style model was trained on, and the key its L-BFGS curves
    are kept under: the record's loss with the painting the model carries in its assets
    (else from `styles_dirs`), on the VGG-16 weights its training used. Raises ValueError
    saying why when it cannot be rebuilt."""
    from kerastransfer import artifact
    from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
    from kerastransfer.perceptual.vgg_weights import sha256_of_file
    from kerastransfer.training import data
    record = model.record
    if record.task != "style":
        raise ValueError(f"{record.name}: not a style model")
    style_path = artifact.style_image_path(model.path, record, styles_dirs)
    if style_path is None:
        raise ValueError(f"{record.name}: its style image {record.style_image} is neither in "
                         f"its assets nor in {', '.join(styles_dirs)}")
    weights = LossWeights.from_json(record.loss)
    objective = PerceptualObjective.build(
        weights, data.load_style_image(style_path, record.style_size))
    if objective.loss_network.fingerprint != record.vgg16_weights_sha256:
        raise ValueError(f"{record.name}: VGG-16 weights differ from its training's")
    key = {"loss": weights.to_json(), "style_sha256": sha256_of_file(style_path),
           "style_size": record.style_size, "vgg16": objective.loss_network.fingerprint}
    return objective, key


def curve_cache_entry(cache_dir, cache_key, photo, init, seed=0, method="lbfgs"):
    """(file path, key as JSON text) of the cached L-BFGS curve of `photo` from `init` under
    `cache_key` (a dict naming the objective); "lbfgs" keeps the key the cache has always
    had, another `method` is cached apart."""
    method_key = {} if method == "lbfgs" else {"method": method}
    key = json.dumps({**cache_key, **method_key, "init": init, "seed": seed,
                      "photo_sha256": hashlib.sha256(photo.tobytes()).hexdigest(),
                      "shape": list(photo.shape)}, sort_keys=True)
    return os.path.join(cache_dir, hashlib.sha256(key.encode()).hexdigest()[:24] + ".json"), key


def lbfgs_history(objective, photo, iterations, init, cache_dir=None, cache_key=None,
                  seed=0, target=None, method="lbfgs"):
    """The objective after each L-BFGS iteration on `photo` from `init` ("noise": i.i.d.
    uniform [0, 255] per pixel and channel, `seed`; "content": the photo; "grey_noise":
    the ImageNet mean plus N(0, 1)), cached in
    `cache_dir` under `cache_key` (a dict naming the objective), since every network of
    the same objective is compared with the same curve.

    With `target` (a network's objective) the run stops at the first iteration that
    reaches it, so counting iterations costs only those; a cached curve is reused when it
    is `iterations` long or already reaches `target`. `method` is `gatys.optimize_image`'s
    (its curves are cached apart; "lbfgs" keeps the key the cache has always had)."""
    path, cached = None, []
    if cache_dir and cache_key is not None:
        path, key = curve_cache_entry(cache_dir, cache_key, photo, init, seed, method)
        if os.path.exists(path):
            with open(path) as f:
                cached = json.load(f)["history"]
            if len(cached) >= iterations or (target is not None and min(cached) <= target):
                return cached[:iterations]
    from kerastransfer.perceptual import gatys
    _, history = gatys.optimize_image(objective, photo[np.newaxis].astype(np.float32),
                                      iterations, method=method, init=init, seed=seed,
                                      stop_at=target)
    if path and len(history) > len(cached):  # runs are deterministic: keep the longer one
        os.makedirs(cache_dir, exist_ok=True)
        write_json(path, {"key": json.loads(key), "history": history})
    return history
