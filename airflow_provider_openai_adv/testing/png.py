"""A tiny PNG encoder and reader for the emulator's images (Pillow is not a runtime dependency).

The picture is :mod:`.pictures`' bands: only the first row of a band holds pixels, the
others are PNG's "Up" filter over that row — rows of zeros, which zlib compresses at
memory speed even at 3840 px. A transparent picture is RGBA, an opaque one RGB.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from airflow_provider_openai_adv.testing.pictures import bands, check_size

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RGB, _RGBA = 2, 6  # PNG colour types: truecolour, without and with alpha
_FILTER_NONE = b"\x00"
_FILTER_UP = b"\x02"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(width: int, height: int, seed: int, *, transparent: bool = False) -> bytes:
    """A valid 8-bit PNG of ``width`` × ``height``; the same seed gives the same bytes."""
    check_size(width, height)
    channels = 4 if transparent else 3
    blank = _FILTER_UP + bytes(channels * width)
    compressor = zlib.compressobj(1)
    idat = []
    for band in bands(width, height, seed, transparent=transparent):
        idat.append(compressor.compress(_FILTER_NONE + band.pixels(alpha=transparent)))
        idat.append(compressor.compress(blank * (band.height - 1)))
    idat.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, _RGBA if transparent else _RGB, 0, 0, 0)
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
