"""Transforming many image files at speed: reading, the network and writing overlap.

A `tf.data` pipeline decodes the next photos on parallel threads (Pillow releases the
GIL while it decodes) while the network works on the current one, and a writer thread
encodes and writes the previous result. Photos go through the network one at a time, at
their own size: a folder's photos rarely share one, and the style networks' instance
norm makes each image's output independent of what else is in a batch anyway.

On a CPU the overlap buys little: at 512 px the network is 98% of the time. On two cores
the extra threads even cost more than they save, so there it is off by default
(`overlap_pays_off`).

Bad files never stop the run: each job ends as written or as one error line.
"""
import collections
import concurrent.futures
import dataclasses
import os
import time

import numpy as np
import tensorflow as tf

from kerastransfer import image_io


@dataclasses.dataclass
class Job:
    """One input file and where its result goes."""
    input_path: str
    output_path: str


@dataclasses.dataclass
class Report:
    """What a run did: errors as (job index, one-line message), in job order."""
    written: int
    errors: list
    seconds: float

    @property
    def images_per_second(self):
        return self.written / self.seconds if self.seconds > 0 else 0.0


def read_ahead(paths, parallel_reads=2, read=image_io.read_image):
    """Yields (image or None, error message or None) for each path, in order, with up to
    `parallel_reads` files decoding ahead on tf.data's threads (1: one after another)."""
    def load(index):
        try:
            return read(paths[int(index)]), b""
        except (image_io.ImageError, MemoryError) as e:
            return np.zeros((0, 0, 3), np.uint8), str(e).encode()

    dataset = tf.data.Dataset.range(len(paths)).map(
        lambda i: tf.numpy_function(load, [i], (tf.uint8, tf.string), stateful=False),
        num_parallel_calls=max(1, parallel_reads), deterministic=True)
    if parallel_reads > 1:
        dataset = dataset.prefetch(1)
    for image, error in dataset.as_numpy_iterator():
        yield (None, error.decode()) if error else (image, None)


def overlap_pays_off():
    """Whether reading ahead and writing behind should be on by default: not on two cores
    or fewer, where the extra threads take CPU from the network (measured with
    tools/benchmark_folder.py: 0.90× the speed of one step after another, 100 photos at
    512 px on 2 cores). With more cores it is on; that case has not been measured."""
    return (os.cpu_count() or 1) > 2


def run_jobs(transform, jobs, overwrite=False, parallel=None, on_done=None):
    """Reads, transforms and writes every job; returns a `Report`.

    `transform`: uint8 [H, W, 3] → uint8 image; a ValueError (or out-of-memory) becomes
    that job's error. `parallel=False` does each step in turn (the baseline the folder
    benchmark compares with); None decides by `overlap_pays_off()`. `on_done(count)` is called as each job finishes."""
    if parallel is None:
        parallel = overlap_pays_off()
    start = time.perf_counter()
    errors, pending, written = [], collections.deque(), 0
    finished = 0

    def finish(index, error=None):
        nonlocal finished
        if error:
            errors.append((index, error))
        finished += 1
        if on_done:
            on_done(finished)

    def collect(limit):
        nonlocal written
        while len(pending) > limit:
            index, future = pending.popleft()
            try:
                future.result()
                written += 1
                finish(index)
            except image_io.ImageError as e:
                finish(index, str(e))

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as writer:
        images = read_ahead([job.input_path for job in jobs], parallel_reads=2 if parallel else 1)
        for index, (job, (image, error)) in enumerate(zip(jobs, images)):
            if error:
                finish(index, error)
                continue
            try:
                result = transform(image)
            except (ValueError, MemoryError, tf.errors.ResourceExhaustedError) as e:
                finish(index, f"{job.input_path}: {getattr(e, 'message', None) or e}")
                continue
            pending.append((index, writer.submit(image_io.write_image, job.output_path,
                                                 result, overwrite=overwrite)))
            collect(limit=1 if parallel else 0)  # at most one result waits in memory
        collect(limit=0)
    return Report(written, sorted(errors), time.perf_counter() - start)
