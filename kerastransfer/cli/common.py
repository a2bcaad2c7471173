"""What every command-line script shares: quiet TensorFlow start-up and one-line errors."""
import functools
import os
import shutil
import sys
import tempfile


def import_tensorflow_quietly():
    """Imports TensorFlow and finds its devices with the C-level stderr redirected.

    TF 2.21 prints oneDNN/CUDA notices through absl before logging is initialised, which
    ignores TF_CPP_MIN_LOG_LEVEL; users of a command line should see only its own
    messages. Whatever was printed is replayed if the import itself fails.
    """
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf
            # Finds the devices (where the CUDA notices come from) without starting the
            # runtime, which MultiWorkerMirroredStrategy must still be able to configure.
            tf.config.list_physical_devices()
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class UsageError(ValueError):
    """A bad flag value or input: reported as one line, exit status 2."""


def main_wrapper(main=None, *, before_tensorflow=None):
    """Wraps an absl main so expected failures print one line and exit non-zero.

    `before_tensorflow()`, if given, runs first, before TensorFlow is imported (seconds),
    so the checks it makes (flags, a model's record, an input file's header) fail at once;
    its errors are reported the same way. Use as @main_wrapper or
    @main_wrapper(before_tensorflow=validate)."""
    if main is None:
        return functools.partial(main_wrapper, before_tensorflow=before_tensorflow)

    @functools.wraps(main)
    def wrapped(argv):
        from kerastransfer.image_io import ImageError
        try:
            if before_tensorflow:
                before_tensorflow()
            import_tensorflow_quietly()
            from absl import logging
            if logging.get_verbosity() == logging.INFO:  # the default; --verbosity=1 shows more
                logging.set_verbosity(logging.WARNING)  # hide e.g. the SavedModel writer's INFO
            return main(argv)
        except (UsageError, ImageError, FileExistsError, FloatingPointError) as e:
            print(f"error: {e}", file=sys.stderr)
            sys.exit(2 if isinstance(e, UsageError) else 1)
        except OSError as e:  # e.g. the disk filling up mid-run: say which file, no traceback
            where = f"{e.filename}: " if e.filename else ""
            print(f"error: {where}{e.strerror or e}", file=sys.stderr)
            sys.exit(1)
        except KeyboardInterrupt:
            print("error: interrupted", file=sys.stderr)
            sys.exit(130)
    return wrapped


def check(condition, message):
    if not condition:
        raise UsageError(message)


def parse_flags_one_line(argv, known_only=False):
    """absl's flag parsing, but a bad flag is one line on stderr and exit status 2.
    `known_only` leaves unknown flags in the returned argv (for another parser: Beam's)."""
    from absl import flags
    try:
        return flags.FLAGS(argv, known_only=known_only)
    except flags.Error as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


HELP_ARGUMENTS = ("--help", "-help", "-h", "-?", "--helpshort", "-helpshort")


def flag_lines(flag):
    """One flag as `--help` shows it: name, help (an enum's starts with its choices),
    default; wrapped to 88 columns."""
    import textwrap
    name = f"--[no]{flag.name}" if flag.boolean else f"--{flag.name}"
    text = f"{name}: {flag.help}"
    if flag.default is not None:
        text += f" (default: {flag.default_as_str[1:-1]})"
    return textwrap.fill(text, 88, initial_indent="  ", subsequent_indent="      ")


def tool_help(main):
    """The text `--help` prints: the tool's module docstring, then its own flags in the
    order its module defines them (the kerastransfer modules it shares flags with next),
    then where absl's common flags are listed."""
    from absl import flags
    module = sys.modules.get(getattr(main, "__module__", ""), None)
    names = [getattr(module, "__name__", None), sys.argv[0]]
    by_module = flags.FLAGS.flags_by_module_dict()
    ours = [m for m in names if m in by_module]
    ours += sorted(m for m in by_module if m.startswith("kerastransfer") and m not in ours)
    listed = ["\n".join(flag_lines(flag) for flag in by_module[m]) for m in ours]
    parts = [(getattr(module, "__doc__", None) or "").strip(), "flags:\n" + "\n\n".join(listed)]
    parts.append("Also --flagfile=FILE (flags from a file, one a line) and absl's logging "
                 "flags: see --helpfull.")
    return "\n\n".join(p for p in parts if p) + "\n"


def run_app(main, known_only=False):
    """absl's app.run with one-line flag errors, and a --help that shows the tool's own
    flags and exits 0 (absl's prints only those of the __main__ module, which for a
    console script is the generated launcher, and exits 1)."""
    from absl import app
    if any(arg in HELP_ARGUMENTS for arg in sys.argv[1:]):
        sys.stdout.write(tool_help(main))
        sys.exit(0)
    app.run(main, flags_parser=functools.partial(parse_flags_one_line, known_only=known_only))


def check_training_flags(FLAGS, config):
    """The checks both training commands share, made before any training starts: the
    recipe's `config` (`training.config`) in range, one data source, a creatable and
    writable output folder, known VGG-16 weights."""
    try:
        config.validate()
    except ValueError as e:
        raise UsageError(str(e))
    check(bool(FLAGS.train_dir) != bool(FLAGS.tfds), "give exactly one of --train_dir or --tfds")
    check(not FLAGS.train_dir or os.path.isdir(FLAGS.train_dir),
          f"{FLAGS.train_dir}: no such folder")
    check(FLAGS.output_dir, "--output_dir is required")
    check(FLAGS.vgg_weights in ("torchvision", "imagenet", "random")
          or os.path.isfile(FLAGS.vgg_weights), f"{FLAGS.vgg_weights}: no such weights file")
    if FLAGS.sample_image:
        from kerastransfer.image_io import read_image
        read_image(FLAGS.sample_image)  # a bad sample photo fails now, not mid-run
    check_output_folder(FLAGS.output_dir)


MIN_FREE_BYTES = 256 * 1024 * 1024  # two checkpoints, logs, samples and the export


def check_output_folder(path, min_free_bytes=MIN_FREE_BYTES):
    """Creates `path` and proves it can be written (a real file, since permission bits
    say nothing to root or on a read-only mount) and has room for a run's checkpoints."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{path}: cannot create output folder ({e.strerror})")
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-") as probe:
            probe.write(b"x")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as e:
        raise UsageError(f"{path}: output folder is not writable ({e.strerror})")
    free = shutil.disk_usage(path).free
    check(free >= min_free_bytes,
          f"{path}: only {free // 2**20} MiB free on its disk; training needs at least "
          f"{min_free_bytes // 2**20} MiB for checkpoints, logs and the export")


TASK_COMMANDS = {"style": "kerastransfer-stylize", "super_resolution": "kerastransfer-upscale"}


def check_model_task(name_or_path, task):
    """The model's SavedModel path, after checking from its record alone (no TensorFlow)
    that it exists and is a `task` ("style" or "super_resolution") model; else a
    one-line UsageError naming the command that takes it."""
    from kerastransfer import artifact
    try:
        path = artifact.resolve(name_or_path)
    except ValueError as e:
        raise UsageError(str(e))
    record = artifact.read_record(path)
    kind = record.task
    if task == "super_resolution":
        check(kind == task and record.scale,
              f"{name_or_path}: not a super-resolution model (its record has no scale)")
    elif task and kind != task:
        what = "a super-resolution" if kind == "super_resolution" else f"a {kind}"
        other = TASK_COMMANDS.get(kind)
        raise UsageError(f"{name_or_path}: {what} model, not a {task.replace('_', '-')} one"
                         + (f"; use {other}" if other else ""))
    return path


def check_input_file(path):
    """A single input file's header checked without TensorFlow (`image_io.probe_image`):
    a missing file or one that is not an image is refused before anything loads.
    Folders are left to the run, which reports each bad file and goes on."""
    if path and os.path.isfile(path):
        from kerastransfer import image_io
        image_io.probe_image(path)


def load_exported_model(name_or_path, task=None, precision="float32"):
    """An `ExportedModel`, or a one-line UsageError when it cannot be found, is not a
    `task` ("style" or "super_resolution") model or lacks the `precision` asked for."""
    from kerastransfer.inference.exported_model import ExportedModel
    path = check_model_task(name_or_path, task)
    try:
        model = ExportedModel(path, precision=precision)
    except ValueError as e:
        raise UsageError(str(e))
    if precision == "auto":
        print(f"precision auto: {model.precision}, because {model.precision_reason}", flush=True)
    return model


def define_distribute_flag():
    """--distribute, for both training commands."""
    from absl import flags
    flags.DEFINE_enum("distribute", "none", ["none", "mirrored", "multi_worker"],
                      "none: one device; mirrored: every GPU of this machine; multi_worker: "
                      "one process per machine, cluster from TF_CONFIG (see the README). "
                      "--batch_size is per replica.")


def training_strategy(kind):
    """The tf.distribute strategy for --distribute (None for none), made before
    TensorFlow runs anything; a missing or bad TF_CONFIG is a one-line error."""
    from kerastransfer.training import distribute
    try:
        return distribute.make_strategy(kind)
    except (ValueError, KeyError, TypeError) as e:
        raise UsageError(f"--distribute={kind}: {e}")


def report_training(path, record):
    """The line a training command ends with; workers other than the chief export nothing."""
    train = record.train
    done = (f"after {train['steps']} steps ({train['wall_seconds']:.0f} s), "
            f"weights sha256 {train['weights_sha256']}")
    print(f"exported {path} {done}" if path else f"worker finished {done}; the chief exports")
