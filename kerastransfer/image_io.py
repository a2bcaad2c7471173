"""Reading and writing images and records safely.

Reads accept only the formats in READ_FORMATS (Pillow has many more decoders, some of
them rarely exercised attack surface), refuse images over a pixel limit from the header
before decoding them, apply EXIF orientation, flatten alpha onto white and take the
first frame of an animation. Every decoder failure becomes an ImageError naming the
file. Writes go to a temporary file in the target folder and are renamed into place, so
a failure never leaves a half-written file and an existing file is only replaced when
the caller says so.
"""
import io
import json
import os
import tempfile
import warnings

import numpy as np
from PIL import Image, ImageOps

MAX_PIXELS = 64_000_000  # refuse larger images (8000×8000) before decoding them
READ_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP")
READ_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp")
WRITABLE_EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP",
                       ".bmp": "BMP"}


class ImageError(ValueError):
    """An image could not be read or written; the message names the file and why."""


def _open_image_file(path, read):
    """`read(open binary file)` for the image file at `path`; a missing file, a folder or
    an OS error becomes a one-line ImageError naming the file."""
    if not os.path.exists(path):
        raise ImageError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ImageError(f"{path}: is a directory, not an image")
    try:
        with open(path, "rb") as f:
            return read(f)
    except OSError as e:
        raise ImageError(f"{path}: cannot read ({e.strerror or e})") from None


def read_image(path, max_pixels=MAX_PIXELS):
    """Reads `path` as uint8 RGB [H, W, 3], orientation applied, alpha flattened on white."""
    return _open_image_file(path, lambda f: decode_image(f, path, max_pixels))


def decode_image(file, name="image", max_pixels=MAX_PIXELS):
    """Decodes an open binary file (or bytes) like `read_image`; `name` is for messages."""
    return _with_image(file, name, max_pixels, lambda image: _to_rgb(ImageOps.exif_transpose(image)))


def probe_image(path, max_pixels=MAX_PIXELS):
    """(width, height) of the image file at `path`, from its header: the checks
    `read_image` makes before it decodes (exists, a supported format, under the pixel
    limit), without decoding the pixels and without TensorFlow, so a command can refuse
    a bad input at once. A damaged body is only found by `read_image`."""
    return _open_image_file(
        path, lambda f: _with_image(f, path, max_pixels, lambda image: image.size))


def _with_image(file, name, max_pixels, use):
    """use(PIL image) on `file` opened as one of READ_FORMATS, after the pixel-limit check
    on its header.

    Pillow's decoders raise many exception types on malformed input (OSError,
    SyntaxError, struct.error, IndexError, ...): all of them become one ImageError.
    """
    if isinstance(file, (bytes, bytearray, memoryview)):
        file = io.BytesIO(bytes(file))
    if not file.read(1):
        raise ImageError(f"{name}: empty file")
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "corrupt EXIF": stderr stays one line
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=READ_FORMATS) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageError(f"{name}: {width}x{height} pixels is over the limit of "
                                     f"{max_pixels} pixels")
                return use(image)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageError(f"{name}: image too large to decode safely ({e})") from None
    except Image.UnidentifiedImageError:
        raise ImageError(f"{name}: not a supported image "
                         f"({', '.join(READ_FORMATS)})") from None
    except MemoryError:
        raise ImageError(f"{name}: not enough memory to decode the image") from None
    except Exception as e:  # noqa: BLE001 -- any decoder failure is a bad file, see above
        raise ImageError(f"{name}: cannot decode image ({_reason(e)})") from None


def _reason(error):
    text = str(error).strip()
    return text if text else type(error).__name__


def _to_rgb(image):
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
            image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    elif image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit greyscale PNG: scale the full 16-bit range, whatever the image's values
        array = np.asarray(image, dtype=np.float64)
        return np.repeat(np.clip(array / 257.0, 0, 255).round().astype(np.uint8)[..., None],
                         3, axis=2)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _atomic_write(path, write, overwrite):
    """Calls write(file_object) on a temp file beside `path`, then moves it to `path`.

    Without `overwrite` the move is a hard link, which fails if `path` appeared in the
    meantime, so a file created by someone else is never replaced."""
    if os.path.exists(path) and not overwrite:
        raise ImageError(f"{path}: already exists (use --overwrite to replace it)")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ImageError(f"{path}: folder {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=os.path.splitext(path)[1], dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would surprise the user
        if overwrite or not _link(tmp, path):
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _link(tmp, path):
    """Hard-links `tmp` to `path`; False where the file system has no hard links."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise ImageError(f"{path}: already exists (use --overwrite to replace it)") from None
    except OSError:
        return False
    return True


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def image_format(path):
    """The PIL format name for `path`'s extension, or ImageError."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in WRITABLE_EXTENSIONS:
        raise ImageError(f"{path}: unsupported output extension {ext or '(none)'}; "
                         f"use one of {', '.join(sorted(WRITABLE_EXTENSIONS))}")
    return WRITABLE_EXTENSIONS[ext]


def output_name(input_path):
    """The input's file name, with .png for formats that are read but not written (GIF)."""
    name = os.path.basename(input_path)
    stem, ext = os.path.splitext(name)
    return name if ext.lower() in WRITABLE_EXTENSIONS else stem + ".png"


def save_image(file, array, fmt, quality=95):
    """Encodes uint8 RGB [H, W, 3] into an open binary file in PIL format `fmt`."""
    image = Image.fromarray(np.asarray(array, dtype=np.uint8), "RGB")
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    image.save(file, format=fmt, **options)


def write_image(path, array, overwrite=False, quality=95):
    """Writes uint8 RGB [H, W, 3] to `path` (format from the extension), atomically."""
    fmt = image_format(path)
    try:
        _atomic_write(path, lambda f: save_image(f, array, fmt, quality), overwrite)
    except OSError as e:
        raise ImageError(f"{path}: cannot write ({e.strerror or e})") from None


def write_text(path, text, overwrite=True):
    """Writes `text` (UTF-8) to `path`, atomically."""
    data = text.encode()
    _atomic_write(path, lambda f: f.write(data), overwrite=overwrite)


def write_json(path, record):
    """Writes `record` as indented JSON to `path`, atomically, replacing any old file."""
    write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
