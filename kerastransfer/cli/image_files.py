"""Applying an image → image function to a file or a folder, the way every command does:
outputs written atomically, existing files and inputs never replaced (unless overwrite,
and the input not even then), one bad file in a folder reported while the rest go on, a
summary and a non-zero exit if anything failed."""
import os
import sys

from kerastransfer.cli.common import UsageError, check
from kerastransfer.image_io import output_name


def check_image_size(image, min_side, max_pixels, hint=""):
    """ValueError unless both sides are >= `min_side` and the pixels <= `max_pixels`."""
    height, width = image.shape[:2]
    if min(height, width) < min_side:
        raise ValueError(f"image is {width}x{height}; at least {min_side}x{min_side} is needed")
    if height * width > max_pixels:
        raise ValueError(f"image is {width}x{height} = {height * width} pixels, over the "
                         f"limit of {max_pixels}{hint}")


def output_refusal(input_path, output_path, overwrite):
    """Why `output_path` must not be written from `input_path` (one line), or None: it is
    the input, its extension is not writable, or it exists and `overwrite` is off."""
    from kerastransfer import image_io
    if os.path.exists(output_path) and os.path.samefile(input_path, output_path):
        return f"{output_path}: output would overwrite the input"
    try:
        image_io.image_format(output_path)
    except image_io.ImageError as e:
        return str(e)
    if os.path.exists(output_path) and not overwrite:
        return f"{output_path}: already exists (use --overwrite to replace it)"
    return None


def transform_file(transform, input_path, output_path, overwrite):
    """One file, through the same steps as a folder's files; ImageError if it fails."""
    from kerastransfer.inference import folders
    from kerastransfer import image_io
    refusal = output_refusal(input_path, output_path, overwrite)
    if refusal:
        raise image_io.ImageError(refusal)
    report = folders.run_jobs(transform, [folders.Job(input_path, output_path)],
                                      overwrite, parallel=False)
    if report.errors:
        raise image_io.ImageError(report.errors[0][1])


def plan_round(queue, output_dir, overwrite, written):
    """One round of a folder run: (jobs, refused, later). `queue` is (index, path) pairs;
    `written` maps output names to the inputs already written to them. Refused: an output
    that is the input, an existing output without `overwrite`, or a name already written.
    Later: a second input for a name this round already claims; it gets its turn only if
    the first one fails (as if the folder were done one file after another)."""
    from kerastransfer.inference import folders
    jobs, refused, later, claimed = [], [], [], set()
    for index, path in queue:
        name = output_name(path)
        output_path = os.path.join(output_dir, name)
        if name in written:
            refused.append((index, f"{path}: output {name} is already written from {written[name]}"))
        elif name in claimed:
            later.append((index, path))
        elif refusal := output_refusal(path, output_path, overwrite):
            refused.append((index, refusal))
        else:
            claimed.add(name)
            jobs.append((index, folders.Job(path, output_path)))
    return jobs, refused, later


def transform_folder(transform, input_dir, output_dir, overwrite, verb):
    """Every image in `input_dir` through `transform` into `output_dir`, reading ahead and
    writing behind the network (`inference.folders`), with a progress bar (plain lines when
stdout is not a terminal) and the rate."""
    from kerastransfer.training import data
    from kerastransfer.inference import folders
    from kerastransfer import image_io
    from kerastransfer.progress import Progress
    try:
        paths = data.list_images(input_dir, image_io.READ_EXTENSIONS)
    except ValueError as e:
        raise UsageError(str(e))
    check(os.path.realpath(input_dir) != os.path.realpath(output_dir),
          "--output folder must differ from the --input folder")
    try:
        os.makedirs(output_dir, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{output_dir}: cannot create output folder ({e.strerror})")
    progress, shown = Progress(len(paths), "image", label=verb), [0]

    def show(count):
        shown[0] = count
        progress.update(count)
    failures, written, seconds, queue = [], {}, 0.0, list(enumerate(paths))
    while queue:
        jobs, refused, queue = plan_round(queue, output_dir, overwrite, written)
        failures += refused
        settled = len(paths) - len(queue) - len(jobs)
        report = folders.run_jobs(
            transform, [job for _, job in jobs], overwrite,
            on_done=lambda done, settled=settled: show(settled + done))
        failed = {jobs[i][0] for i, _ in report.errors}
        failures += [(jobs[i][0], error) for i, error in report.errors]
        written.update((output_name(job.input_path), os.path.basename(job.input_path))
                       for index, job in jobs if index not in failed)
        seconds += report.seconds
    if shown[0] < len(paths):
        show(len(paths))
    for _, failure in sorted(failures):
        print(f"error: {failure}", file=sys.stderr)
    rate = (len(paths) - len(failures)) / seconds if seconds else 0.0
    print(f"{len(paths) - len(failures)} of {len(paths)} images {verb} into {output_dir} "
          f"in {seconds:.1f} s ({rate:.2f} images/s)"
          + (f"; {len(failures)} failed" if failures else ""))
    if failures:
        sys.exit(1)


def transform_path(transform, input_path, output_path, overwrite, verb):
    """A folder goes to a folder; a file to a file (or into an existing folder)."""
    check(os.path.exists(input_path), f"{input_path}: no such file or folder")
    if os.path.isdir(input_path):
        transform_folder(transform, input_path, output_path, overwrite, verb)
        return
    if os.path.isdir(output_path):
        output_path = os.path.join(output_path, output_name(input_path))
    transform_file(transform, input_path, output_path, overwrite)
    print(f"wrote {output_path}")
