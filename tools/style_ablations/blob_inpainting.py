"""Does the objective pay for a network's blobs? Compares its terms on the network's
output and on the same output with the blobs painted over by their blurred surroundings.

    python tools/style_ablations/blob_inpainting.py MODEL

If the style term rises when the blobs are removed, the style loss itself rewards them
(docs/training_recipe.md, "Where the blobs come from").
"""
import os
import sys

import numpy as np
from scipy import ndimage

from kerastransfer import artifact
from kerastransfer.evaluation import style_evaluation as se
from kerastransfer.inference.exported_model import ExportedModel
from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
from kerastransfer.training import data

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
DATA = os.path.join(SHARED, "sr_benchmarks")
PHOTOS = ("Set14/lenna.png", "BSD100/img_006.png", "BSD100/img_053.png")


def paint_over(image, mask, sigma=4):
    """`image` with the `mask` pixels replaced by the nearest unmasked pixel, blurred."""
    nearest = ndimage.distance_transform_edt(mask, return_distances=False, return_indices=True)
    filled = image[nearest[0], nearest[1]]
    blurred = np.stack([ndimage.gaussian_filter(filled[..., c], sigma) for c in range(3)], -1)
    return np.where(mask[..., None], blurred, image)


def main(model_name):
    model = ExportedModel(model_name)
    record = model.record
    # the painting in the model's assets, else the project's styles folder
    style_image = artifact.style_image_path(model.path, record, [os.path.join(SHARED, "styles")])
    objective = PerceptualObjective.build(LossWeights.from_json(record.loss),
                                          data.load_style_image(style_image, record.style_size))
    for relative in PHOTOS:
        for size in (256, 512):
            photo = se.load_photo(os.path.join(DATA, relative), size).astype(np.float32)
            output = np.asarray(model(photo[None])[0]).astype(np.float32)
            mask = ndimage.binary_dilation(se.blob_mask(output, photo), iterations=2)
            cells = []
            for image in (output, paint_over(output, mask)):
                terms = se.objective_terms(objective, image, photo)
                cells.append(" ".join(f"{k} {terms[k]:.3f}" for k in ("total", "content", "style")))
            print(f"{relative} at {size} px, blobs {100 * mask.mean():.1f}%: with them "
                  f"{cells[0]} | painted over {cells[1]}")


if __name__ == "__main__":
    main(sys.argv[1])
