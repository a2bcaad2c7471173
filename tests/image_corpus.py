"""A corpus of malformed and unusual image files, made from code (nothing binary is
checked in), and what reading each one must give.

  python tests/image_corpus.py DIR     # writes the corpus to DIR and prints the table

Each `Case` says what `kerastransfer.image_io.read_image` must do with its file: decode
it to `expected` (uint8 RGB as displayed: EXIF orientation applied, alpha flattened on
white, the first frame of an animation), within `tolerance` for lossy formats, or refuse
it with a message containing `error`. The expected pixels are computed here from the
pixels written, independently of Pillow's reading code.
"""
import dataclasses
import io
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

LIBRARY_MAX_PIXELS = 64_000_000  # kerastransfer.image_io.MAX_PIXELS, restated on purpose


@dataclasses.dataclass(frozen=True)
class Case:
    name: str                 # file name in the corpus folder
    data: bytes
    what: str                 # one line for the table
    expected: np.ndarray = None
    error: str = None         # fragment of the one-line message (case-insensitive)
    tolerance: int = 0        # max |difference| per channel for lossy files

    @property
    def valid(self):
        return self.expected is not None


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def blocks(height, width, block=16, seed=0):
    """An image of flat `block`×`block` squares in distinct colours: any flip or turn
    shows, and JPEG keeps flat squares aligned to its 8×8 grid nearly exact."""
    rng = np.random.RandomState(seed)
    rows, cols = -(-height // block), -(-width // block)
    colours = rng.choice(np.arange(16, 240, 32), size=(rows, cols, 3))
    return np.kron(colours, np.ones((block, block, 1))).astype(np.uint8)[:height, :width]


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_from_rows(width, height, bit_depth, colour_type, raw_rows):
    """A PNG written chunk by chunk: for what Pillow will not write (16-bit RGB) and for
    headers that lie (the decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(raw_rows)) + png_chunk(b"IEND", b""))


def gif_claiming(width, height):
    """A GIF whose screen and image descriptor claim width×height but whose data is a
    few bytes."""
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0)
            + b"\x00\x00\x00\xff\xff\xff"                       # 2-colour global table
            + b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
            + b"\x02\x02\x44\x01\x00" + b"\x3b")                # one LZW block, trailer


# EXIF orientation n: how the stored pixels are turned for display (EXIF 2.32, 4.6.4),
# and its inverse, used to write a file that displays as the given image.
TO_DISPLAY = {
    1: lambda s: s,
    2: lambda s: s[:, ::-1],
    3: lambda s: s[::-1, ::-1],
    4: lambda s: s[::-1],
    5: lambda s: s.transpose(1, 0, 2),
    6: lambda s: np.rot90(s, -1),
    7: lambda s: s.transpose(1, 0, 2)[::-1, ::-1],
    8: lambda s: np.rot90(s, 1),
}
FROM_DISPLAY = {**TO_DISPLAY, 6: lambda d: np.rot90(d, 1), 8: lambda d: np.rot90(d, -1)}


def flatten_on_white(rgb, alpha):
    a = alpha[..., None].astype(np.float64) / 255.0
    return np.round(rgb * a + 255.0 * (1.0 - a)).astype(np.uint8)


def _exif_cases():
    displayed = blocks(48, 64, seed=3)
    for n in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = n
        stored = np.ascontiguousarray(FROM_DISPLAY[n](displayed))
        assert np.array_equal(TO_DISPLAY[n](stored), displayed)
        yield Case(f"exif_{n}.jpg", encode(Image.fromarray(stored), "JPEG", quality=95,
                                           subsampling=0, exif=exif.tobytes()),
                   f"JPEG with EXIF orientation {n}", expected=displayed, tolerance=4)


def _alpha_cases():
    rgb = blocks(40, 48, seed=4)
    alpha = np.tile(np.linspace(0, 255, 48).round().astype(np.uint8), (40, 1))
    yield Case("rgba.png", encode(Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), "PNG"),
               "RGBA, alpha 0..255 left to right", expected=flatten_on_white(rgb, alpha),
               tolerance=1)
    grey = rgb[..., 0]
    yield Case("grey_alpha.png", encode(Image.fromarray(np.dstack([grey, alpha]), "LA"), "PNG"),
               "greyscale + alpha", tolerance=1,
               expected=flatten_on_white(np.repeat(grey[..., None], 3, 2), alpha))
    palette = [0, 0, 0, 250, 20, 20, 20, 250, 20, 20, 20, 250]
    indices = (np.arange(40 * 48).reshape(40, 48) // 7 % 4).astype(np.uint8)
    colours = np.array(palette, np.uint8).reshape(4, 3)
    image = Image.fromarray(indices, "P")
    image.putpalette(palette)
    yield Case("palette.png", encode(image, "PNG"), "palette (P), 4 colours",
               expected=colours[indices])
    transparent = colours[indices].copy()
    transparent[indices == 0] = 255
    yield Case("palette_transparent.png", encode(image, "PNG", transparency=0),
               "palette with a transparent index", expected=transparent)


def _depth_and_colour_cases():
    ramp = np.tile(np.linspace(0, 65535, 50).round().astype(np.uint16), (36, 1))
    yield Case("deep16_grey.png", encode(Image.fromarray(ramp), "PNG"),
               "16-bit greyscale, full range", tolerance=0,
               expected=np.repeat(np.round(ramp / 257.0).astype(np.uint8)[..., None], 3, 2))
    dark = np.tile(np.arange(0, 250, 5, dtype=np.uint16), (36, 1))
    yield Case("deep16_dark.png", encode(Image.fromarray(dark), "PNG"),
               "16-bit greyscale, values all below 256 (nearly black)",
               expected=np.repeat(np.round(dark / 257.0).astype(np.uint8)[..., None], 3, 2))
    rgb16 = (blocks(36, 44, seed=5).astype(np.uint16) * 257).astype(">u2")
    rows = b"".join(b"\x00" + row.tobytes() for row in rgb16)
    yield Case("deep16_rgb.png", png_from_rows(44, 36, 16, 2, rows), "16-bit RGB",
               expected=blocks(36, 44, seed=5), tolerance=1)
    grey = blocks(34, 46, seed=6)[..., 1]
    yield Case("grey.png", encode(Image.fromarray(grey, "L"), "PNG"), "greyscale (L)",
               expected=np.repeat(grey[..., None], 3, 2))
    rgb = blocks(48, 64, seed=7)
    yield Case("cmyk.jpg", encode(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=95),
               "CMYK JPEG (Adobe)", expected=rgb, tolerance=4)


def _format_cases():
    rgb = blocks(40, 52, seed=1)
    png = encode(Image.fromarray(rgb), "PNG")
    jpeg = encode(Image.fromarray(rgb), "JPEG", quality=95, subsampling=0)
    yield Case("photo.png", png, "plain RGB PNG", expected=rgb)
    yield Case("photo.jpg", jpeg, "plain RGB JPEG", expected=rgb, tolerance=4)
    yield Case("png_named.jpg", png, "a PNG named .jpg (wrong extension)", expected=rgb)
    yield Case("jpeg_named.PNG", jpeg, "a JPEG named .PNG (wrong extension)", expected=rgb,
               tolerance=4)
    yield Case("photo.bmp", encode(Image.fromarray(rgb), "BMP"), "BMP", expected=rgb)
    yield Case("photo.webp", encode(Image.fromarray(rgb), "WEBP", lossless=True),
               "lossless WebP", expected=rgb)
    frames = [blocks(40, 40, seed=s) // 128 * 255 for s in (8, 9, 10)]  # 8 colours: exact
    buffer = io.BytesIO()
    Image.fromarray(frames[0]).save(buffer, format="GIF", save_all=True, duration=100,
                                    append_images=[Image.fromarray(f) for f in frames[1:]])
    yield Case("animated.gif", buffer.getvalue(), "animated GIF, 3 frames (first is used)",
               expected=frames[0])
    yield Case("tiff_named.png", encode(Image.fromarray(rgb), "TIFF"),
               "a TIFF named .png (format not accepted)", error="not a supported image")
    yield Case("text.jpg", b"This is a text file, not a JPEG.\n", "text file named .jpg",
               error="not a supported image")
    yield Case("empty.jpg", b"", "empty file", error="empty file")
    yield Case("truncated.jpg", jpeg[:len(jpeg) * 3 // 5], "JPEG cut at 60%",
               error="truncated")
    yield Case("truncated.png", png[:len(png) * 3 // 5], "PNG cut at 60%", error="truncated")
    yield Case("header_only.png", png[:20], "PNG cut inside its header", error="truncated")
    corrupt = bytearray(png)
    corrupt[60:70] = b"\xff" * 10  # inside the compressed pixel data
    yield Case("corrupt.png", bytes(corrupt), "PNG with garbage in its pixel data",
               error="cannot decode")


def _size_cases():
    one = np.array([[[200, 100, 50]]], np.uint8)
    yield Case("one_pixel.png", encode(Image.fromarray(one), "PNG"), "1×1", expected=one)
    odd = blocks(31, 31, seed=11)
    yield Case("odd_31.png", encode(Image.fromarray(odd), "PNG"), "31×31", expected=odd)
    large = blocks(1200, 1600, block=64, seed=12)
    yield Case("large.jpg", encode(Image.fromarray(large), "JPEG", quality=95, subsampling=0),
               "1600×1200 photo-sized JPEG (allowed)", expected=large, tolerance=4)
    yield Case("bomb.png", png_from_rows(50000, 50000, 8, 2, b"\x00" * 64),
               "decompression bomb: PNG header claims 50000×50000", error="too large")
    yield Case("bomb.gif", gif_claiming(50000, 50000),
               "decompression bomb: GIF header claims 50000×50000", error="too large")
    side = int(LIBRARY_MAX_PIXELS ** 0.5)
    huge = encode(Image.new("L", (side + 1, side)), "PNG", compress_level=1)
    yield Case("huge.png", huge, f"valid {side + 1}×{side} PNG, just over the "
               f"{LIBRARY_MAX_PIXELS} pixel limit", error="over the limit")


def corpus():
    """Every case, in a fixed order."""
    return [*_format_cases(), *_size_cases(), *_depth_and_colour_cases(), *_alpha_cases(),
            *_exif_cases()]


def write_corpus(directory, cases=None):
    """Writes each case's file into `directory`; returns the cases."""
    cases = corpus() if cases is None else cases
    os.makedirs(directory, exist_ok=True)
    for case in cases:
        with open(os.path.join(directory, case.name), "wb") as f:
            f.write(case.data)
    return cases


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/image_corpus.py DIR")
    for case in write_corpus(sys.argv[1]):
        outcome = (f"decodes to {case.expected.shape[1]}x{case.expected.shape[0]}"
                   if case.valid else f"refused: ...{case.error}...")
        print(f"{case.name:26} {len(case.data):>8} B  {case.what:60} {outcome}")
