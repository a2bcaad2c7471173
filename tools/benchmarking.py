"""Measurements the `tools/` benchmarks share: medians of repeated timings, the
training step, convolution FLOPs and this machine's matmul peak. Kept in the package so
every benchmark times things the same way."""
import statistics
import time

import keras
import tensorflow as tf


def median_seconds(fn, repeats, warmup=1):
    """Median wall time of `fn()` over `repeats` calls after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def train_step_seconds(width=0.5, precision="float32", jit=False, steps=4, image_size=256,
                       batch_size=4, vgg_weights="random"):
    """Median seconds of one style-training step (content relu2_2, four style layers),
    after two warm-up steps (tracing, XLA compile). Random VGG weights cost the same."""
    from kerastransfer.training import loop
    from kerastransfer.perceptual.objective import LossWeights, PerceptualObjective
    from kerastransfer.models.transformer_net import TransformerNet

    loop.set_precision(precision)
    try:
        keras.utils.set_random_seed(0)
        size = image_size
        style = tf.random.uniform([1, size, size, 3], 0, 255)
        objective = PerceptualObjective.build(LossWeights(), style, vgg_weights=vgg_weights)
        trainer = loop.PerceptualTrainer(TransformerNet(width=width), objective)
        trainer.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit)
        images = tf.random.uniform([batch_size, size, size, 3], 0, 255)
        trainer.make_train_function()
        iterator = iter(tf.data.Dataset.from_tensors(images).repeat())
        return median_seconds(lambda: float(trainer.train_function(iterator)["total"]),
                              steps, warmup=2)
    finally:
        loop.set_precision("float32")


def conv_flops(network, height, width):
    """FLOPs (multiply and add counted as two) of the Conv2D ops of `network` on one
    height×width image, from TensorFlow's profiler on a graph with static shapes."""
    spec = tf.TensorSpec([1, height, width, 3], tf.float32)
    graph = tf.function(network).get_concrete_function(spec).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(graph, cmd="op", options=options)
    return sum(child.total_float_ops for child in profile.children
               if child.name in ("Conv2D", "Conv2DBackpropInput"))


def matmul_peak_gflops(dtype=tf.float32, n=2048, repeats=10):
    """GFLOP/s of an n×n matmul, the machine's practical peak for this dtype."""
    a = tf.random.uniform([n, n], dtype=tf.float32)
    a, b = tf.cast(a, dtype), tf.cast(tf.transpose(a), dtype)
    matmul = tf.function(lambda: tf.linalg.matmul(a, b)[0, 0])
    seconds = median_seconds(lambda: matmul().numpy(), repeats, warmup=2)
    return 2 * n ** 3 / seconds / 1e9
