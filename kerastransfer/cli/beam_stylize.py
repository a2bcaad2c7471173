"""kerastransfer-beam-stylize: stylise every image matching a pattern on Apache Beam.

  kerastransfer-beam-stylize --model=udnie --input_pattern='photos/**/*.jpg' --output_dir=styled/
  kerastransfer-beam-stylize --model=gs://bucket/models/udnie/1 \\
      --input_pattern='gs://bucket/photos/*.jpg' --output_dir=gs://bucket/styled \\
      --runner=DataflowRunner --project=P --region=R --temp_location=gs://bucket/tmp \\
      --requirements_file=requirements-beam.txt

Flags this command does not know (--runner and the rest) go to Beam's PipelineOptions.
Needs `pip install -e ".[beam]"`.
"""
import os
import sys

from absl import flags

from kerastransfer.cli.common import check, main_wrapper, run_app

flags.DEFINE_string("model", None, "Shipped model name (e.g. udnie) or SavedModel path; a "
                    "remote runner's workers must be able to read it (e.g. gs://).")
flags.DEFINE_string("input_pattern", None, "Files to stylise: a glob, local or gs://, "
                    "** for subfolders.")
flags.DEFINE_string("output_dir", None, "Where results go, each at its input's path below "
                    "the pattern's folder (GIF → .png).")
flags.DEFINE_enum("precision", "float32", ["float32", "bfloat16"], "Network arithmetic "
                  "(bfloat16: the serving_bfloat16 signature, fast on AVX512-BF16/AMX).")
flags.DEFINE_integer("max_pixels", 4096 * 4096, "Refuse images with more pixels, >= 1024.")
flags.DEFINE_bool("overwrite", False, "Replace output files that already exist.")
FLAGS = flags.FLAGS


def import_beam(pipeline_args):
    """(apache_beam, kerastransfer.beam_stylize, PipelineOptions of `pipeline_args`).
    Importing Beam's file IO warns about Google Cloud clients even where none is needed:
    hidden here. An option Beam does not know is an error, not a warning it discards."""
    import logging
    root = logging.getLogger()  # that warning is logged on the root logger
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        import apache_beam as beam
        from apache_beam.options.pipeline_options import PipelineOptions
        from kerastransfer.inference import beam_stylize
    except ImportError:
        check(False, 'Apache Beam is not installed: pip install -e ".[beam]"')
    finally:
        root.setLevel(level)
    known = PipelineOptions([]).get_all_options(drop_default=False)
    for arg in pipeline_args:
        name = arg.lstrip("-").split("=", 1)[0].replace("-", "_")
        check(arg.startswith("--") and name in known, f"unknown flag or argument: {arg}")
    return beam, beam_stylize, PipelineOptions(pipeline_args)


@main_wrapper
def main(argv):
    check(FLAGS.model, "--model is required (a shipped name such as udnie, or a path)")
    check(FLAGS.input_pattern, "--input_pattern is required")
    check(FLAGS.output_dir, "--output_dir is required")
    check(FLAGS.max_pixels >= 1024, "--max_pixels must be >= 1024")
    from kerastransfer import artifact
    try:
        path = FLAGS.model if "://" in FLAGS.model else artifact.resolve(FLAGS.model)
    except ValueError as e:
        check(False, str(e))
    if "://" not in path:
        task = artifact.read_record(path).task
        check(task == "style", f"{FLAGS.model}: a {task} model, not a style model")
    beam, beam_stylize, options = import_beam(argv[1:])
    from apache_beam.io.filesystems import FileSystems
    try:
        matched = FileSystems.match([FLAGS.input_pattern])[0].metadata_list
    except Exception as e:  # noqa: BLE001 -- Beam wraps every file system's errors
        check(False, f"{FLAGS.input_pattern}: cannot list ({e})")
    check(matched, f"{FLAGS.input_pattern}: no files match")
    check("://" in FLAGS.output_dir or not os.path.isfile(FLAGS.output_dir),
          f"{FLAGS.output_dir}: is a file, not a folder")
    pipeline = beam.Pipeline(options=options)
    beam_stylize.stylize_files(pipeline, FLAGS.input_pattern, FLAGS.output_dir, path,
                               FLAGS.precision, FLAGS.overwrite, FLAGS.max_pixels)
    try:
        result = pipeline.run()
        result.wait_until_finish()
    except Exception as e:  # noqa: BLE001 -- a runner failure: one line, not its traceback
        message = str(e).strip().splitlines()
        print(f"error: pipeline failed: {message[-1] if message else type(e).__name__}",
              file=sys.stderr)
        sys.exit(1)
    counts = beam_stylize.counters(result)
    print(f"stylised {counts['written']} images into {FLAGS.output_dir}; "
          f"{counts['refused']} refused")
    if counts["refused"]:
        sys.exit(1)


def run():
    run_app(main, known_only=True)  # flags this command does not know go to Beam


if __name__ == "__main__":
    run()
