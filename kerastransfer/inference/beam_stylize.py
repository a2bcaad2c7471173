"""Stylising collections too large for one machine, on Apache Beam: RunInference with
the model's SavedModel signature (the same artefact the CLI, TF Serving and the browser
use), on any runner: the DirectRunner here and in the tests, Dataflow or Flink at scale.

    MatchFiles → ReadMatches → decode ─→ RunInference(SavedModelHandler) → encode, write
                                  └─→ refused (unreadable, too small or large, output exists)

Outputs keep each input's path below the pattern's folder, so `photos/**/*.jpg` cannot
send two `a.jpg` to one output. Every image is written to a temporary name and renamed,
so a worker that dies mid-write leaves no half image under the real name. Needs the
optional extra: `pip install -e ".[beam]"`.
"""
import logging
import os
import posixpath
import uuid

import apache_beam as beam
import numpy as np
from apache_beam.io import fileio
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import (KeyedModelHandler, ModelHandler, PredictionResult,
                                           RunInference)

from kerastransfer import image_io
from kerastransfer.artifact import (BFLOAT16_SIGNATURE, DEFAULT_SIGNATURE, IMAGES,
                                    MIN_SIDE)

REFUSED = "refused"
METRICS_NAMESPACE = "kerastransfer"
SIGNATURES = {"float32": DEFAULT_SIGNATURE, "bfloat16": BFLOAT16_SIGNATURE}


class SavedModelHandler(ModelHandler):
    """Loads the SavedModel once per worker and runs its uint8 signature image by image
    (photos differ in size, so they are never stacked into one batch)."""

    def __init__(self, saved_model_dir, signature=DEFAULT_SIGNATURE):
        self._saved_model_dir = saved_model_dir
        self._signature = signature

    def load_model(self):
        import tensorflow as tf
        model = tf.saved_model.load(self._saved_model_dir)
        if self._signature not in model.signatures:
            raise ValueError(f"{self._saved_model_dir}: no signature {self._signature}")
        return model

    def run_inference(self, batch, model, inference_args=None):
        import tensorflow as tf
        serve = model.signatures[self._signature]
        for image in batch:
            styled = serve(**{IMAGES: tf.constant(image[np.newaxis])})[IMAGES][0]
            yield PredictionResult(image, styled.numpy())

    def get_num_bytes(self, batch):
        return sum(image.nbytes for image in batch)

    def get_metrics_namespace(self):
        return METRICS_NAMESPACE

    def batch_elements_kwargs(self):
        return {"max_batch_size": 1}


def pattern_folder(pattern):
    """The folder of `pattern` above its first wildcard, ending in '/'."""
    cut = min((pattern.index(c) for c in "*?[" if c in pattern), default=len(pattern))
    return pattern[:cut].rsplit("/", 1)[0] + "/" if "/" in pattern[:cut] else ""


def output_path(input_path, folder, output_dir):
    """Where `input_path`'s result goes: its path below `folder`, under `output_dir`,
    GIF and other read-only formats as .png."""
    relative = input_path[len(folder):] if input_path.startswith(folder) else \
        posixpath.basename(input_path)
    parts = [p for p in relative.split("/") if p]
    return FileSystems.join(output_dir, *parts[:-1], image_io.output_name(parts[-1]))


class DecodeImage(beam.DoFn):
    """(input, output) path pair and uint8 image; refusals go to the REFUSED output as
    one line each, before any inference is spent on them."""

    def __init__(self, folder, output_dir, overwrite, max_pixels):
        self._folder, self._output_dir = folder, output_dir
        self._overwrite, self._max_pixels = overwrite, max_pixels
        self._refused = Metrics.counter(METRICS_NAMESPACE, "refused")

    def process(self, readable_file):
        path = readable_file.metadata.path
        target = output_path(path, self._folder, self._output_dir)
        try:
            if target == path:
                raise image_io.ImageError(f"{path}: output would replace the input")
            if not self._overwrite and FileSystems.exists(target):
                raise image_io.ImageError(f"{target}: already exists (use --overwrite to "
                                          f"replace it)")
            image_io.image_format(target)
            try:
                data = readable_file.read()
            except OSError as e:  # BeamIOError is one too
                raise image_io.ImageError(f"{path}: cannot read ({e})") from None
            image = image_io.decode_image(data, path, self._max_pixels)
            if min(image.shape[:2]) < MIN_SIDE:
                raise image_io.ImageError(f"{path}: {image.shape[1]}x{image.shape[0]} is "
                                          f"smaller than {MIN_SIDE} pixels a side")
        except image_io.ImageError as e:
            self._refused.inc()
            logging.warning("refused: %s", e)
            yield beam.pvalue.TaggedOutput(REFUSED, str(e))
            return
        yield (path, target), image


class WriteImage(beam.DoFn):
    """Encodes the result in the output's format and writes it under a temporary name
    beside the output, then renames it into place. Without `overwrite` an output that
    exists by now (say, c.png from c.gif and c.png in one run) is refused, not replaced."""

    def __init__(self, overwrite):
        self._overwrite = overwrite
        self._written = Metrics.counter(METRICS_NAMESPACE, "written")
        self._refused = Metrics.counter(METRICS_NAMESPACE, "refused")

    def process(self, keyed_result):
        (source, target), result = keyed_result
        folder, name = posixpath.split(target)
        try:
            FileSystems.mkdirs(folder)
        except OSError:  # already there (another worker, or an earlier run)
            pass
        partial = FileSystems.join(folder, f".partial-{uuid.uuid4().hex}-{name}")
        try:
            with FileSystems.create(partial) as f:
                image_io.save_image(f, result.inference, image_io.image_format(target))
            if FileSystems.exists(target):
                if not self._overwrite:
                    self._refused.inc()
                    logging.warning("refused: %s: already exists (written for another input "
                                    "than %s; use --overwrite to replace it)", target, source)
                    return
                FileSystems.delete([target])
            FileSystems.rename([partial], [target])
        finally:
            if FileSystems.exists(partial):
                FileSystems.delete([partial])
        self._written.inc()
        yield target


def stylize_files(pipeline, pattern, output_dir, saved_model_dir, precision="float32",
                  overwrite=False, max_pixels=image_io.MAX_PIXELS):
    """Adds the stylisation of every file matching `pattern` to `pipeline`. Returns the
    PCollections (written output paths, refusal messages)."""
    pattern, output_dir = (p if "://" in p else os.path.abspath(p) for p in (pattern, output_dir))
    handler = KeyedModelHandler(SavedModelHandler(saved_model_dir, SIGNATURES[precision]))
    decoded = (pipeline
               | "Match" >> fileio.MatchFiles(pattern)
               | "Read" >> fileio.ReadMatches()
               | "Decode" >> beam.ParDo(DecodeImage(pattern_folder(pattern), output_dir,
                                                    overwrite, max_pixels)
                                        ).with_outputs(REFUSED, main="images"))
    written = (decoded.images
               | "Stylise" >> RunInference(handler)
               | "Write" >> beam.ParDo(WriteImage(overwrite)))
    return written, decoded[REFUSED]


def counters(result):
    """{"written": n, "refused": n} from a finished pipeline's metrics."""
    from apache_beam.metrics.metric import MetricsFilter
    found = {"written": 0, "refused": 0}
    query = result.metrics().query(MetricsFilter().with_namespace(METRICS_NAMESPACE))
    for counter in query["counters"]:
        if counter.key.metric.name in found:
            found[counter.key.metric.name] += counter.committed or counter.attempted or 0
    return found
