"""Runs the L-BFGS curves of `make_curve_bundle.py`'s jobs on a GPU machine without
TensorFlow, for tools/lbfgs_curves.

    python3 tools/gpu_zoo/lbfgs_jax.py --bundle=.gpu/curves --out=$OUT [--seconds=200]

Each curve is `gatys.optimize_image(method="lbfgs")` as `style_evaluation.lbfgs_history`
runs it: SciPy's L-BFGS-B on float64 pixels bounded to [0, 255] (maxcor 20, ftol and gtol
0, at most 3 evaluations an iteration), from uniform [0, 255] noise of
`np.random.RandomState(0)` or from the photo, stopping at the first iteration at or below
the network's objective (here, half a percent below it). Only the objective and its gradient run elsewhere: in JAX, in
float32 (convolutions and products at full float32 precision, not TF32), with
`train_jax.py`'s network-free objective, which `check_parity.py --precision=float32`
compares with the Keras one. A process per photo, --processes at a time; a curve cut off by
--seconds comes back as far as it got. Writes curves.json: each job with its history,
and, where the cache already held a curve from the Keras objective, how far the two
agree over their common iterations.
"""
import argparse
import json
import multiprocessing
import os
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MARGIN = 0.005


def run_photo(bundle, jobs, deadline):
    """Every job on one photo, in this process; returns the jobs with their curves."""
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import sys

    import jax
    import jax.numpy as jnp
    import scipy.optimize
    sys.path.insert(0, HERE)
    import train_jax as tj
    jax.config.update("jax_default_matmul_precision", "highest")
    tj.BF16 = jnp.float32  # the evaluation's objective is float32 throughout
    vgg = {k: jnp.asarray(v, jnp.float32)
           for k, v in np.load(os.path.join(bundle, "vgg16.npz")).items()}
    photo = np.load(os.path.join(bundle, "photos.npz"))[str(jobs[0]["photo"])]
    content = jnp.asarray(photo[None].astype(np.float32))

    @jax.jit
    def value_and_grad(image, content, vgg, grams, weights):
        # content and vgg are arguments, not constants: XLA would fold the photo's
        # whole VGG pass into the program at compile time
        def total(x):
            named = dict(zip(("content_weight", "style_weight", "tv_weight"), weights))
            return tj.objective_terms(x, content, vgg, grams, named)["total"]
        return jax.value_and_grad(total)(image)

    done = []
    for job in jobs:
        objective = np.load(os.path.join(bundle, f"{job['objective']}.npz"))
        grams = {k[len("gram/"):]: jnp.asarray(objective[k]) for k in objective.files
                 if k.startswith("gram/")}
        weights = jnp.asarray(objective["weights"])
        shape = content.shape
        if job["init"] == "noise":
            start = np.random.RandomState(0).uniform(0, 255, shape).astype(np.float32)
        else:
            start = np.asarray(content)
        history = []
        # a little past the network (the curve's count uses its TensorFlow objective,
        # which this one matches to about 1e-4, so the cached curve surely reaches it)
        stop_at = job["target"] * (1 - MARGIN)

        def fun(flat):
            value, grad = value_and_grad(jnp.asarray(flat.reshape(shape), jnp.float32),
                                         content, vgg, grams, weights)
            return float(value), np.asarray(grad, np.float64).ravel()

        def record(intermediate_result):
            history.append(float(intermediate_result.fun))
            if history[-1] <= stop_at or time.time() > deadline:
                raise StopIteration

        began = time.time()
        iterations = job["iterations"]
        scipy.optimize.minimize(
            fun, start.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
            bounds=scipy.optimize.Bounds(0.0, 255.0), callback=record,
            options={"maxiter": iterations, "maxfun": iterations * 3, "maxcor": 20,
                     "ftol": 0.0, "gtol": 0.0})
        cached = job.pop("cached")
        common = min(len(cached), len(history))
        done.append({**job, "history": history, "seconds": round(time.time() - began, 1),
                     "reached": bool(history) and history[-1] <= job["target"],
                     "cached_length": len(cached),
                     "largest_relative_difference_from_cached": max(
                         (abs(a - b) / b for a, b in zip(history[:common], cached[:common])),
                         default=None)})
    return done


def run_photo_args(args):
    return run_photo(*args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", default=".gpu/curves")
    parser.add_argument("--out", default=os.environ.get("OUT", "runs/gpu_curves"))
    parser.add_argument("--seconds", type=float, default=200,
                        help="Stop every curve after this long (it comes back cut off).")
    parser.add_argument("--processes", type=int, default=4,
                        help="Photos run side by side (each process compiles and holds "
                        "its own programs on the one GPU).")
    args = parser.parse_args()
    deadline = time.time() + args.seconds
    with open(os.path.join(args.bundle, "jobs.json")) as f:
        jobs = json.load(f)
    by_photo = {}
    for job in sorted(jobs, key=lambda j: j["init"] != "noise"):  # noise curves first
        by_photo.setdefault(job["photo"], []).append(job)
    os.makedirs(args.out, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    curves = []
    with context.Pool(min(len(by_photo), args.processes)) as pool:
        # curves.json is rewritten as each photo finishes, so a run cut off keeps those
        for photo_jobs in pool.imap_unordered(run_photo_args, [
                (args.bundle, photo_jobs, deadline) for photo_jobs in by_photo.values()]):
            curves.extend(photo_jobs)
            with open(os.path.join(args.out, "curves.json"), "w") as f:
                json.dump(curves, f)
    for job in curves:
        print(f"{job['objective']} photo {job['photo']} {job['init']}: "
              f"{len(job['history'])} iterations, reached {job['reached']}, "
              f"{job['seconds']} s, vs cached ({job['cached_length']}): "
              f"{job['largest_relative_difference_from_cached']}", flush=True)


if __name__ == "__main__":
    main()
