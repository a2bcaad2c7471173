"""Continues the zoo's style networks on a GPU machine that has JAX but no TensorFlow.

    python3 tools/gpu_zoo/train_jax.py --bundle=.gpu/bundle --out=$OUT \
        --styles=udnie,wave --seconds=480 [--max_steps=40000]

The network (`TransformerNet` with instance-norm encoder and demodulated decoder, mirror
padding, nearest upsampling, tanh head), the objective (`PerceptualObjective`: VGG-16
relu2_2 content, relu1_2..relu4_3 Gram style, ℓ1 total variation, each normalised as in
`perceptual.losses`), mixed bfloat16 precision, Adam and the second stage's schedule
(tools/train_zoo/second_stage_256.flags: 256-px crops of photos scaled to 256, random
left-right flips, batch 4, linear warm-up over 50 steps to 1e-3, cosine decay to a
tenth) are those of the Keras package, re-written here in JAX because the GPU machine
cannot install TensorFlow. `check_parity.py` compares the two on the same weights and
crops. Each style starts from the shipped network in the bundle (`make_bundle.py`) and
gets the same number of steps, as many as fit --seconds once compiled, up to
--max_steps; its weights come
back as NAME.npz (Keras variable paths) for `import_weights.py`, with a summary in
train_jax.json.
"""
import argparse
import io
import json
import math
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from PIL import Image

BF16 = jnp.bfloat16
F32 = jnp.float32
VGG_MEAN_BGR = (103.939, 116.779, 123.68)  # keras.applications.vgg16.preprocess_input
VGG_BLOCKS = (("block1_conv1", "block1_conv2"), ("block2_conv1", "block2_conv2"),
              ("block3_conv1", "block3_conv2", "block3_conv3"),
              ("block4_conv1", "block4_conv2", "block4_conv3"))
CONTENT_LAYER = "block2_conv2"
STYLE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3")
DEMODULATED_RESIDUAL_SCALE = 0.5 ** 0.5
CHUNK = 100  # optimizer steps per compiled scan
CROP = 256  # the second stage trains on 256-px crops only


# --- the transformation network (kerastransfer.models.layers / transformer_net) ---

def _conv(x, kernel, bias, stride=1, padding="VALID"):
    y = jax.lax.conv_general_dilated(x, kernel.astype(x.dtype), (stride, stride), padding,
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y + bias.astype(x.dtype)


def _reflect(x, p):
    return jnp.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")


def _instance_norm(x, gamma, beta, epsilon=1e-5):
    x32 = x.astype(F32)
    mean = jnp.mean(x32, axis=(1, 2), keepdims=True)
    variance = jnp.mean(jnp.square(x32 - mean), axis=(1, 2), keepdims=True)
    y = (x32 - mean) * jax.lax.rsqrt(variance + epsilon) * gamma + beta
    return y.astype(x.dtype)


def _demodulate(x, kernel, gamma, beta, epsilon=1e-8):
    inverse_norm = jax.lax.rsqrt(jnp.sum(jnp.square(kernel.astype(F32)), axis=(0, 1, 2))
                                 + epsilon)
    return (x.astype(F32) * (inverse_norm * gamma) + beta).astype(x.dtype)


def _conv_layer(p, name, x, size, stride=1, norm="instance", relu=True):
    kernel = p[f"{name}/conv/kernel"]
    x = _conv(_reflect(x, size // 2), kernel, p[f"{name}/conv/bias"], stride)
    if norm == "instance":
        x = _instance_norm(x, p[f"{name}/norm/gamma"], p[f"{name}/norm/beta"])
    elif norm == "demodulated":
        x = _demodulate(x, kernel, p[f"{name}/norm/gamma"], p[f"{name}/norm/beta"])
    return jax.nn.relu(x) if relu else x


def _upsample(x):
    return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


def transformer(p, images, residual_blocks=5, decoder="demodulated"):
    """TransformerNet.call for float [B, H, W, 3] in [0, 255] → float32 in [0, 255]."""
    height, width = images.shape[1:3]
    x = images.astype(BF16) / 127.5 - 1.0
    x = _conv_layer(p, "conv1", x, 9)
    x = _conv_layer(p, "conv2", x, 3, stride=2)
    half = x.shape[1:3]
    x = _conv_layer(p, "conv3", x, 3, stride=2)
    for i in range(1, residual_blocks + 1):
        y = _conv_layer(p, f"res{i}/conv1", x, 3, norm=decoder)
        y = _conv_layer(p, f"res{i}/conv2", y, 3, norm=decoder, relu=False)
        x = (x + y) * DEMODULATED_RESIDUAL_SCALE if decoder == "demodulated" else x + y
    x = _conv_layer(p, "up1/conv", _upsample(x), 3, norm=decoder)[:, :half[0], :half[1]]
    x = _conv_layer(p, "up2/conv", _upsample(x), 3, norm=decoder)[:, :height, :width]
    x = _conv_layer(p, "conv_out", x, 9, norm=None, relu=False)[:, :height, :width]
    return 127.5 * (jnp.tanh(x.astype(F32)) + 1.0)


# --- the loss network and objective (kerastransfer.perceptual) ---

def vgg_features(vgg, images, deepest):
    """{layer: bfloat16 activation} of Keras VGG16 with preprocess_input, up to `deepest`."""
    x = images.astype(BF16)[..., ::-1] - jnp.asarray(VGG_MEAN_BGR, F32).astype(BF16)
    out = {}
    for b, block in enumerate(VGG_BLOCKS):
        if b:
            x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1),
                                      "VALID")
        for name in block:
            x = jax.nn.relu(_conv(x, vgg[f"{name}/kernel"], vgg[f"{name}/bias"],
                                  padding="SAME"))
            out[name] = x
            if name == deepest:
                return out
    return out


def gram(features):
    x = features.astype(F32)
    b, h, w, c = x.shape
    psi = x.reshape(b, h * w, c)
    return jnp.einsum("bnc,bnd->bcd", psi, psi,
                      precision=jax.lax.Precision.HIGHEST) / (h * w * c)


def style_grams(vgg, style_image):
    features = vgg_features(vgg, style_image, STYLE_LAYERS[-1])
    return {n: gram(features[n])[0] for n in STYLE_LAYERS}


def total_variation(images):
    dh = jnp.abs(images[:, 1:] - images[:, :-1]).sum(axis=(1, 2, 3))
    dw = jnp.abs(images[:, :, 1:] - images[:, :, :-1]).sum(axis=(1, 2, 3))
    return jnp.mean(dh + dw)


def objective_terms(outputs, contents, vgg, grams, weights):
    """{'content', 'style', 'tv', 'total'}, weighted, as `PerceptualObjective.terms`."""
    target = vgg_features(vgg, contents, CONTENT_LAYER)[CONTENT_LAYER].astype(F32)
    features = vgg_features(vgg, outputs, STYLE_LAYERS[-1])
    content = jnp.mean(jnp.square(features[CONTENT_LAYER].astype(F32) - target))
    style = sum(jnp.mean(jnp.sum(jnp.square(gram(features[n]) - grams[n]), axis=(1, 2)))
                for n in STYLE_LAYERS)
    terms = {"content": weights["content_weight"] * content,
             "style": weights["style_weight"] * style,
             "tv": weights["tv_weight"] * total_variation(outputs)}
    terms["total"] = terms["content"] + terms["style"] + terms["tv"]
    return terms


# --- the schedule and the training loop (kerastransfer.training.loop) ---

def learning_rate(step, schedule):
    """keras.optimizers.schedules.CosineDecay(0, steps - warmup, final, warmup_target=peak,
    warmup_steps=warmup) at `step`, as `loop.LearningRateSchedule.build` makes it;
    `schedule` = [peak, warmup, steps, final] (warmup already capped at steps - 1)."""
    peak, warmup, steps, final = schedule[0], schedule[1], schedule[2], schedule[3]
    step = jnp.asarray(step, F32)
    decay_steps = jnp.maximum(steps - warmup, 1.0)
    warming = peak * step / jnp.maximum(warmup, 1.0)
    done = jnp.minimum(jnp.maximum(step - warmup, 0.0), decay_steps) / decay_steps
    decayed = peak * ((1 - final) * 0.5 * (1 + jnp.cos(math.pi * done)) + final)
    return jnp.where(step < warmup, warming, decayed)


def load_photos(path):
    """All training photos on the device as one zero-padded uint8 array, and their sizes."""
    bundle = np.load(path)
    data, offsets, sizes = bundle["bytes"], bundle["offsets"], bundle["sizes"]
    height, width = int(sizes[:, 0].max()), int(sizes[:, 1].max())
    photos = np.zeros((len(sizes), height, width, 3), np.uint8)
    for i, (h, w) in enumerate(sizes):
        image = Image.open(io.BytesIO(data[offsets[i]:offsets[i + 1]].tobytes()))
        photos[i, :h, :w] = np.asarray(image.convert("RGB"))
    return jnp.asarray(photos), jnp.asarray(sizes)


def random_crops(photos, sizes, indices, key, crop):
    """A random crop of `crop` px and a random left-right flip of each photo in
    `indices`, as `data.resize_and_crop` cuts them."""
    keys = jax.random.split(key, len(indices))

    def one(index, k):
        h, w = sizes[index, 0], sizes[index, 1]
        k_top, k_left, k_flip = jax.random.split(k, 3)
        top = jax.random.randint(k_top, (), 0, h - crop + 1)
        left = jax.random.randint(k_left, (), 0, w - crop + 1)
        patch = jax.lax.dynamic_slice(photos[index], (top, left, 0), (crop, crop, 3))
        flip = jax.random.bernoulli(k_flip)
        return jnp.where(flip, patch[:, ::-1], patch).astype(F32)
    return jax.vmap(one)(indices, keys)


# Adam's moments (keras.optimizers.Adam's defaults); the step is scaled by the schedule
ADAM = optax.scale_by_adam(b1=0.9, b2=0.999, eps=1e-7)


@jax.jit
def run_chunk(params, opt_state, grams, weights, schedule, vgg, photos, sizes, indices,
              keys):
    """len(indices) optimizer steps (one compiled scan, shared by every style: weights
    [content, style, tv] and schedule are arguments); returns the state and each step's
    terms."""
    def loss(params, contents):
        named = dict(zip(("content_weight", "style_weight", "tv_weight"), weights))
        terms = objective_terms(transformer(params, contents), contents, vgg, grams, named)
        return terms["total"], terms

    def step(carry, xs):
        params, opt_state = carry
        indices, key = xs
        contents = random_crops(photos, sizes, indices, key, CROP)
        (_, terms), grads = jax.value_and_grad(loss, has_aux=True)(params, contents)
        rate = learning_rate(opt_state.count, schedule)  # 0 at the first step, as Keras
        updates, opt_state = ADAM.update(grads, opt_state, params)
        updates = jax.tree_util.tree_map(lambda u: -rate * u, updates)
        return (optax.apply_updates(params, updates), opt_state), terms

    (params, opt_state), terms = jax.lax.scan(step, (params, opt_state), (indices, keys))
    return params, opt_state, terms


def epoch_indices(rng, count, steps, batch):
    """Photo indices for `steps` batches: each photo once per epoch, reshuffled each
    epoch (the folder pipeline's shuffle over the whole folder)."""
    needed = steps * batch
    order = np.concatenate([rng.permutation(count)
                            for _ in range(needed // count + 1)])[:needed]
    return order.reshape(steps, batch).astype(np.int32)


def load_style(bundle_dir, name, vgg):
    """(network weights by Keras path, Gram targets, loss weights, source) of a style."""
    bundle = np.load(os.path.join(bundle_dir, f"{name}.npz"))
    with open(os.path.join(bundle_dir, f"{name}.json")) as f:
        source = json.load(f)
    loss = source["record"]["loss"]
    weights = jnp.asarray([loss["content_weight"], loss["style_weight"], loss["tv_weight"]],
                          F32)
    params = {k[len("net/"):]: jnp.asarray(bundle[k]) for k in bundle.files
              if k.startswith("net/")}
    grams = jax.jit(style_grams)(vgg, jnp.asarray(bundle["style"], F32)[None])
    return params, grams, weights, source


def train_style(name, args, vgg, photos, sizes, steps, out):
    params, grams, weights, source = load_style(args.bundle, name, vgg)
    warmup = min(args.warmup_steps, max(steps - 1, 0))
    schedule = jnp.asarray([args.learning_rate, warmup, steps, args.final_lr_fraction], F32)
    opt_state = ADAM.init(params)
    indices = epoch_indices(np.random.default_rng(args.seed), len(sizes), steps,
                            args.batch_size)
    key = jax.random.key(args.seed)
    history = []
    start = time.time()
    for c in range(steps // CHUNK):
        key, sub = jax.random.split(key)
        params, opt_state, terms = run_chunk(
            params, opt_state, grams, weights, schedule, vgg, photos, sizes,
            jnp.asarray(indices[c * CHUNK:(c + 1) * CHUNK]), jax.random.split(sub, CHUNK))
        history.append({k: float(jnp.mean(v)) for k, v in terms.items()})
        if c % 50 == 0 or c == steps // CHUNK - 1:
            print(f"{name} step {(c + 1) * CHUNK}/{steps} "
                  + " ".join(f"{k} {v:.3f}" for k, v in history[-1].items()), flush=True)
    jax.block_until_ready(params)
    wall = time.time() - start
    np.savez(os.path.join(out, f"{name}.npz"),
             **{k: np.asarray(v, np.float32) for k, v in params.items()})
    return {"name": name, "init_from": source["path"], "steps": steps,
            "batch_size": args.batch_size, "crop": CROP, "wall_seconds": round(wall, 1),
            "learning_rate_schedule": {"peak": args.learning_rate, "warmup_steps": warmup,
                                       "decay": "cosine",
                                       "final_fraction": args.final_lr_fraction},
            "final_train_loss": history[-1], "history_every_100_steps": history}


def time_steps(args, vgg, photos, sizes):
    """(seconds per optimizer step once compiled, seconds to compile), on the first
    style's weights with a zero learning rate."""
    params, grams, weights, _ = load_style(args.bundle, args.styles[0], vgg)
    indices = jnp.asarray(epoch_indices(np.random.default_rng(0), len(sizes), CHUNK,
                                        args.batch_size))
    keys = jax.random.split(jax.random.key(0), CHUNK)
    schedule = jnp.zeros(4, F32)
    state = ADAM.init(params)
    t0 = time.time()
    jax.block_until_ready(run_chunk(params, state, grams, weights, schedule, vgg, photos,
                                    sizes, indices, keys))
    compile_seconds = time.time() - t0
    t0 = time.time()
    jax.block_until_ready(run_chunk(params, state, grams, weights, schedule, vgg, photos,
                                    sizes, indices, keys))
    return (time.time() - t0) / CHUNK, compile_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", default=".gpu/bundle")
    parser.add_argument("--out", default=os.environ.get("OUT", "runs/gpu_zoo"))
    parser.add_argument("--styles", default="composition_vii,starry_night,the_scream,"
                        "the_shipwreck_of_the_minotaur,udnie,wave")
    parser.add_argument("--seconds", type=float, default=0,
                        help="Training time for all styles together (0: --max_steps each).")
    parser.add_argument("--max_steps", type=int, default=40000)
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--warmup_steps", type=int, default=50)
    parser.add_argument("--final_lr_fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.styles = args.styles.split(",")
    os.makedirs(args.out, exist_ok=True)
    began = time.time()
    vgg = {k: jnp.asarray(v).astype(BF16) for k, v in np.load(
        os.path.join(args.bundle, "vgg16.npz")).items()}
    photos, sizes = load_photos(os.path.join(args.bundle, "photos.npz"))
    summary = {"device": str(jax.devices()[0].device_kind), "jax": jax.__version__,
               "photos": int(len(sizes)), "styles": []}
    steps = args.max_steps
    if args.seconds:
        step_seconds, compile_seconds = time_steps(args, vgg, photos, sizes)
        summary.update(step_seconds=step_seconds, compile_seconds=compile_seconds)
        left = args.seconds - (time.time() - began)
        steps = int(min(args.max_steps, left / len(args.styles) / step_seconds))
        print(f"{step_seconds * 1000:.2f} ms a step, compiled in {compile_seconds:.0f} s: "
              f"{steps} steps a style", flush=True)
    steps = max(steps // CHUNK * CHUNK, CHUNK)
    for name in args.styles:
        summary["styles"].append(train_style(name, args, vgg, photos, sizes, steps, args.out))
        with open(os.path.join(args.out, "train_jax.json"), "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
