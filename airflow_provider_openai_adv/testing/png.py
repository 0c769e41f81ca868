"""A tiny PNG encoder and reader for the emulator's images (Pillow is not a runtime dependency).

A picture is a stack of horizontal bands, each one colour gradient: every row of a band
is the same, so only its first row holds pixels and the others are PNG's "Up" filter
over that row — rows of zeros, which zlib compresses at memory speed even at 1792 px.
"""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RGB = 2  # PNG colour type: truecolour, no alpha
_FILTER_NONE = b"\x00"
_FILTER_UP = b"\x02"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _gradient(width: int, start: int, end: int) -> bytes:
    return bytes(start + (end - start) * x // width for x in range(width))


def encode_png(width: int, height: int, seed: int) -> bytes:
    """A valid 8-bit RGB PNG of ``width`` × ``height``; the same seed gives the same bytes."""
    if not (0 < width < 1 << 31 and 0 < height < 1 << 31):
        raise ValueError(f"invalid PNG size {width}x{height}")
    rng = random.Random(seed)
    row = bytearray(3 * width)
    for channel in range(3):
        row[channel::3] = _gradient(width, rng.randrange(256), rng.randrange(256))
    band_height = max(1, height // rng.randint(3, 9))
    blank = _FILTER_UP + bytes(3 * width)
    compressor = zlib.compressobj(1)
    idat = []
    for top in range(0, height, band_height):
        shade = rng.randint(96, 256)  # the band's brightness, in 1/256ths
        idat.append(compressor.compress(_FILTER_NONE + row.translate(bytes(v * shade >> 8 for v in range(256)))))
        idat.append(compressor.compress(blank * (min(band_height, height - top) - 1)))
    idat.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, _RGB, 0, 0, 0)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(idat)) + _chunk(b"IEND", b"")


def png_size(data_or_path: bytes | str | Path) -> tuple[int, int]:
    """``(width, height)`` from a PNG's header; ``ValueError`` when it is not a PNG.

    Only the signature and the IHDR chunk (with its CRC) are checked: enough to tell a
    PNG from another file without decoding it.
    """
    if isinstance(data_or_path, bytes):
        head = data_or_path[:33]
    else:
        with Path(data_or_path).open("rb") as handle:
            head = handle.read(33)
    if len(head) < 33 or not head.startswith(SIGNATURE) or head[8:16] != b"\x00\x00\x00\x0dIHDR":
        raise ValueError("not a PNG file")
    if struct.unpack(">I", head[29:33])[0] != zlib.crc32(head[12:29]):
        raise ValueError("corrupt PNG header")
    width, height = struct.unpack(">II", head[16:24])
    return width, height
