"""Checks that `train_jax.py` computes what the Keras package computes: on the same
weights and crops, the network's output, each term of the objective and the gradient
of the total with respect to every weight. Two halves, one per environment:

    .venv/bin/python tools/gpu_zoo/check_parity.py --side=keras --style=udnie
    python3 tools/gpu_zoo/check_parity.py --side=jax --style=udnie   # where JAX is

The Keras half writes .gpu/parity/NAME_PRECISION_keras.npz; the JAX half reads it,
computes the same and prints the largest differences, exiting non-zero when one exceeds
--tolerance (relative). With --precision=float32 on both sides the two must agree to
float32's rounding (the structure check); under mixed_bfloat16, as training runs, each
side rounds to bfloat16 in its own places, and the gradients differ by that noise (about
10% of a weight's gradient, as much as Keras's bfloat16 gradients differ from its own
float32 ones; the objective's terms agree to 1%).
"""
import argparse
import io
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TERMS = ("content", "style", "tv", "total")


def fixed_crops(bundle_dir, count=2, size=256):
    """The top-left `size`-px square of the first `count` bundled photos, float32."""
    from PIL import Image
    bundle = np.load(os.path.join(bundle_dir, "photos.npz"))
    crops = []
    for i in range(count):
        data = bundle["bytes"][bundle["offsets"][i]:bundle["offsets"][i + 1]].tobytes()
        image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        crops.append(image[:size, :size].astype(np.float32))
    return np.stack(crops)


def keras_side(args):
    import tensorflow as tf

    from kerastransfer import artifact
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.models.transformer_net import TransformerNet
    from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
    from kerastransfer.training import data, loop
    path = artifact.resolve(args.style)
    record = artifact.read_record(path)
    shipped = ExportedModel(path).keras_network()
    crops = tf.constant(fixed_crops(args.bundle))
    loop.set_precision(args.precision)
    try:
        style = data.load_style_image(os.path.join(args.styles_dir, record.style_image),
                                      record.style_size)
        objective = PerceptualObjective.build(LossWeights.from_json(record.loss), style)
        net = TransformerNet(**record.network["config"] | {"dtype": None})
        net(crops[:, :32, :32])
        net.set_weights(shipped.get_weights())
        with tf.GradientTape() as tape:
            outputs = net(crops, training=True)
            terms = objective.terms(outputs, crops)
        grads = tape.gradient(terms["total"], net.trainable_variables)
    finally:
        loop.set_precision("float32")
    arrays = {"outputs": outputs.numpy(), **{f"term/{k}": terms[k].numpy() for k in TERMS},
              **{f"grad/{v.path}": g.numpy() for v, g in zip(net.trainable_variables, grads)}}
    os.makedirs(args.parity_dir, exist_ok=True)
    np.savez(os.path.join(args.parity_dir, f"{args.style}_{args.precision}_keras.npz"),
             **arrays)
    print(" ".join(f"{k} {float(terms[k]):.4f}" for k in TERMS))


def relative(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def jax_side(args):
    import jax
    import jax.numpy as jnp
    sys.path.insert(0, HERE)
    import train_jax as tj
    if args.precision == "float32":
        tj.BF16 = jnp.float32  # every bfloat16 cast of train_jax becomes a no-op
    keras = np.load(os.path.join(args.parity_dir, f"{args.style}_{args.precision}_keras.npz"))
    vgg = {k: jnp.asarray(v).astype(tj.BF16)
           for k, v in np.load(os.path.join(args.bundle, "vgg16.npz")).items()}
    params, grams, weights, _ = tj.load_style(args.bundle, args.style, vgg)
    crops = jnp.asarray(fixed_crops(args.bundle))
    named = dict(zip(("content_weight", "style_weight", "tv_weight"), weights))

    def total(p, crops, vgg, grams):
        terms = tj.objective_terms(tj.transformer(p, crops), crops, vgg, grams, named)
        return terms["total"], terms
    (_, terms), grads = jax.jit(jax.value_and_grad(total, has_aux=True))(params, crops, vgg,
                                                                          grams)
    outputs = jax.jit(tj.transformer)(params, crops)
    keras_grams = np.load(os.path.join(args.parity_dir, f"{args.style}_grams.npz"))
    worst = {"outputs (levels, largest |difference|)":
             float(np.abs(np.asarray(outputs) - keras["outputs"]).max()),
             "outputs (levels, mean |difference|)":
             float(np.abs(np.asarray(outputs) - keras["outputs"]).mean())}
    for k in TERMS:
        worst[f"term {k}"] = relative(np.asarray(terms[k]), keras[f"term/{k}"])
    for k in keras_grams.files:
        worst[f"gram {k}"] = relative(np.asarray(grams[k]), keras_grams[k])
    # ‖a − b‖ / ‖b‖ per weight; not the conv biases before an instance norm, which it
    # cancels: their gradient is rounding noise about zero on both sides
    cancelled = ("conv1/conv/bias", "conv2/conv/bias", "conv3/conv/bias")
    worst["gradient (worst weight, relative norm)"] = max(
        float(np.linalg.norm(np.asarray(grads[k.split("/", 2)[2]]) - keras[k])
              / np.linalg.norm(keras[k]))
        for k in keras.files if k.startswith("grad/") and not k.endswith(cancelled)
        or k.startswith("grad/") and "/res" in k)
    for k, v in worst.items():
        print(f"{k}: {v:.4g}")
    print("jax  " + " ".join(f"{k} {float(terms[k]):.4f}" for k in TERMS))
    print("keras " + " ".join(f"{k} {float(keras[f'term/{k}']):.4f}" for k in TERMS))
    limits = {"gradient": args.gradient_tolerance, "outputs": float("inf")}
    failed = [k for k, v in worst.items() if v > limits.get(k.split()[0], args.tolerance)]
    if failed:
        sys.exit(f"check_parity: over {args.tolerance}: {', '.join(failed)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", choices=("keras", "jax"), required=True)
    parser.add_argument("--style", default="udnie")
    parser.add_argument("--bundle", default=os.path.join(REPO, ".gpu", "bundle"))
    parser.add_argument("--parity_dir", default=os.path.join(REPO, ".gpu", "parity"))
    parser.add_argument("--styles_dir", default=os.path.join(os.path.dirname(REPO), "shared",
                                                             "data", "styles"))
    parser.add_argument("--precision", choices=("mixed_bfloat16", "float32"),
                        default="mixed_bfloat16")
    parser.add_argument("--tolerance", type=float, default=0.02,
                        help="For the objective's terms and the Gram targets.")
    parser.add_argument("--gradient_tolerance", type=float, default=0.3,
                        help="For the gradients: under mixed_bfloat16, Keras's own differ "
                        "from its float32 ones by up to 0.75 (0.11 for the median weight).")
    args = parser.parse_args()
    keras_side(args) if args.side == "keras" else jax_side(args)


if __name__ == "__main__":
    main()
