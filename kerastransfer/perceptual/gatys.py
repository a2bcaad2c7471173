"""The optimisation baseline (Gatys et al. 2016): minimise the perceptual objective over
the pixels of one image, with the same `PerceptualObjective` the networks train on.

L-BFGS (SciPy's L-BFGS-B, pixels bounded to [0, 255]) as in the paper; the fixed-step
L-BFGS of Torch's optim.lbfgs, the paper's framework, to measure against its counts; Adam
as an option.
"""
import numpy as np
import scipy.optimize
import tensorflow as tf

from kerastransfer.perceptual.vgg_weights import CAFFE_MEAN_RGB

# The starting images optimize_image knows (the CLIs list them again: they import
# TensorFlow only once their flags are parsed).
INITS = ("content", "noise", "grey_noise")


def _value_and_gradient(objective, content, content_targets):
    @tf.function(input_signature=[tf.TensorSpec(content.shape, tf.float32)])
    def value_and_gradient(image):
        with tf.GradientTape() as tape:
            tape.watch(image)
            total = objective.terms(image, content, content_targets)["total"]
        return total, tape.gradient(total, image)
    return value_and_gradient


def optimize_image(objective, content, iterations, method="lbfgs", init="content",
                   learning_rate=10.0, seed=0, on_iteration=None, stop_at=None):
    """Optimises an image for `objective` starting from `content` (or noise).

    Args:
        objective: a `PerceptualObjective` with its style already set.
        content: float32 [1, H, W, 3] in [0, 255].
        iterations: L-BFGS iterations or Adam steps.
        method: "lbfgs" (SciPy, with a line search), "lbfgs_fixed_step" (Torch's
            optim.lbfgs defaults: no line search, one evaluation an iteration) or "adam".
        init: "content", "noise" (i.i.d. uniform [0, 255]) or "grey_noise" (the ImageNet
            mean colour plus N(0, 1) per pixel and channel: the start of the Torch
            baseline released with the paper, fast-neural-style's slow_neural_style.lua).
        on_iteration: called as on_iteration(iteration, objective) after each one
            (1-based), e.g. for a progress bar.
        stop_at: stop after the first iteration whose objective is at or below it (to
            count the iterations that reach a network's objective without running on).
    Returns:
        (image float32 [1, H, W, 3], objective after each iteration as a list of floats).
    """
    content = tf.convert_to_tensor(content, tf.float32)
    content_targets = objective.content_targets(content)
    step = _value_and_gradient(objective, content, content_targets)
    if init == "content":
        start = content.numpy()
    elif init == "noise":
        start = np.random.RandomState(seed).uniform(0, 255, content.shape).astype(np.float32)
    elif init == "grey_noise":
        start = (CAFFE_MEAN_RGB + np.random.RandomState(seed).standard_normal(
            content.shape)).astype(np.float32)
    else:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    history = _History(on_iteration, stop_at)
    if method == "lbfgs":
        return _lbfgs(step, start, iterations, history)
    if method == "lbfgs_fixed_step":
        return _lbfgs_fixed_step(step, start, iterations, history)
    if method == "adam":
        return _adam(step, start, iterations, learning_rate, history)
    raise ValueError(f"method must be 'lbfgs', 'lbfgs_fixed_step' or 'adam', got {method!r}")


class _History(list):
    """The objective after each iteration, telling `on_iteration` as it grows; `reached`
    once an objective is at or below `stop_at`."""

    def __init__(self, on_iteration=None, stop_at=None):
        super().__init__()
        self.on_iteration = on_iteration
        self.stop_at = stop_at

    def append(self, value):
        super().append(value)
        if self.on_iteration:
            self.on_iteration(len(self), value)

    @property
    def reached(self):
        return self.stop_at is not None and bool(self) and self[-1] <= self.stop_at


def _on_flat_float64(step, shape):
    """`step` for the flat float64 vectors both L-BFGS loops work on."""
    def evaluate(flat):
        value, grad = step(tf.constant(flat.reshape(shape), tf.float32))
        return float(value), grad.numpy().astype(np.float64).ravel()
    return evaluate


def _lbfgs(step, start, iterations, history):
    shape = start.shape
    fun = _on_flat_float64(step, shape)

    def record(intermediate_result):
        history.append(float(intermediate_result.fun))
        if history.reached:
            raise StopIteration  # SciPy ends the run and returns this iterate

    result = scipy.optimize.minimize(
        fun, start.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
        bounds=scipy.optimize.Bounds(0.0, 255.0), callback=record,
        # ftol/gtol 0: run the requested iterations instead of stopping on a small relative
        # decrease, so iteration counts compare with the paper's (and time fairly).
        options={"maxiter": iterations, "maxfun": iterations * 3, "maxcor": 20,
                 "ftol": 0.0, "gtol": 0.0})
    return result.x.reshape(shape).astype(np.float32), list(history)


def _lbfgs_fixed_step(step, start, iterations, history, corrections=100):
    """L-BFGS as Torch's optim.lbfgs runs it with its defaults (the paper's framework):
    the two-loop direction with `corrections` pairs, no line search, a step of 1 (the
    first scaled by min(1, 1 / |gradient|_1)), one evaluation an iteration; projected onto
    [0, 255] after each step, as the paper says it clips its baseline. Hand-written:
    SciPy's L-BFGS-B always searches along the line, so its iterations do more than these.
    Keeps 2 x `corrections` float64 images (about 0.8 GB at 512 x 341 px)."""
    shape = start.shape
    evaluate = _on_flat_float64(step, shape)
    x = start.astype(np.float64).ravel()
    _, grad = evaluate(x)
    # oldest first: s = x_{k+1} - x_k, y = g_{k+1} - g_k and rho = 1 / (y . s)
    steps, gradient_changes, rhos = [], [], []
    inverse_hessian_scale = 1.0
    for iteration in range(iterations):
        direction = -grad
        if iteration == 0:
            direction = direction * min(1.0, 1.0 / np.abs(grad).sum())
        else:
            alphas = []
            for s, y, rho in zip(reversed(steps), reversed(gradient_changes), reversed(rhos)):
                alpha = rho * (s @ direction)
                direction = direction - alpha * y
                alphas.append(alpha)
            direction = direction * inverse_hessian_scale
            for s, y, rho, alpha in zip(steps, gradient_changes, rhos, reversed(alphas)):
                direction = direction + s * (alpha - rho * (y @ direction))
        new_x = np.clip(x + direction, 0.0, 255.0)
        value, new_grad = evaluate(new_x)
        s, y = new_x - x, new_grad - grad
        if y @ s > 1e-10:  # keep only pairs that keep the inverse Hessian positive definite
            steps.append(s)
            gradient_changes.append(y)
            rhos.append(1.0 / (y @ s))
            inverse_hessian_scale = (y @ s) / (y @ y)
            if len(steps) > corrections:
                del steps[0], gradient_changes[0], rhos[0]
        x, grad = new_x, new_grad
        history.append(value)
        if history.reached:
            break
    return x.reshape(shape).astype(np.float32), list(history)


def _adam(step, start, iterations, learning_rate, history):
    """Adam on the pixels, clipped to [0, 255]; history holds the objective after each step
    (evaluated at the start of the next, so the last one costs one extra evaluation)."""
    import keras
    image = keras.Variable(start, dtype="float32")
    optimizer = keras.optimizers.Adam(learning_rate)
    _, grad = step(tf.convert_to_tensor(image))
    for _ in range(iterations):
        optimizer.apply([grad], [image])
        image.assign(tf.clip_by_value(image, 0.0, 255.0))
        value, grad = step(tf.convert_to_tensor(image))
        history.append(float(value))
        if history.reached:
            break
    return np.asarray(image), list(history)


def first_iteration_reaching(history, target):
    """1-based index of the first iteration whose objective is <= target, or None."""
    for i, value in enumerate(history):
        if value <= target:
            return i + 1
    return None
