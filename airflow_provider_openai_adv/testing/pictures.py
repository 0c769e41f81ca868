"""The emulator's pictures, whatever the file format: a stack of horizontal bands.

Each band is one colour gradient, every row of a band the same, so an encoder works per
band, not per pixel: PNG repeats the band's first row with its "Up" filter, JPEG encodes
one block row per band, WebP copies the row above. The same seed gives the same bands.
A transparent picture (``background: transparent``) has its first and last bands clear.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    row: bytes  # the RGB pixels of each of its rows
    height: int
    opaque: bool = True

    def pixels(self, *, alpha: bool) -> bytes:
        """The row as RGB, or as RGBA when the picture has an alpha channel."""
        if not alpha:
            return self.row
        rgba = bytearray([255 if self.opaque else 0]) * (len(self.row) // 3 * 4)
        for channel in range(3):
            rgba[channel::4] = self.row[channel::3]
        return bytes(rgba)


def check_size(width: int, height: int, largest: int = (1 << 31) - 1) -> None:
    if not (0 < width <= largest and 0 < height <= largest):
        raise ValueError(f"invalid picture size {width}x{height}")


def bands(width: int, height: int, seed: int, *, step: int = 1, transparent: bool = False) -> list[Band]:
    """The picture's bands, top to bottom; each but the last is a multiple of ``step`` rows high."""
    rng = random.Random(seed)
    row = bytearray(3 * width)
    for channel in range(3):
        row[channel::3] = _gradient(width, rng.randrange(256), rng.randrange(256))
    band_height = -(-max(1, height // rng.randint(3, 9)) // step) * step
    found = []
    for top in range(0, height, band_height):
        shade = rng.randint(96, 256)  # the band's brightness, in 1/256ths
        shaded = bytes(row.translate(bytes(v * shade >> 8 for v in range(256))))
        found.append(Band(shaded, min(band_height, height - top)))
    if transparent:
        found[0] = Band(found[0].row, found[0].height, opaque=False)
        found[-1] = Band(found[-1].row, found[-1].height, opaque=False)
    return found


def _gradient(width: int, start: int, end: int) -> bytes:
    return bytes(start + (end - start) * x // width for x in range(width))
