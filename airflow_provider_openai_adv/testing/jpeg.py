"""A small baseline JPEG encoder and reader for the emulator's images (Pillow is not a runtime dependency).

The picture's bands (:mod:`.pictures`) are cut at multiples of 8 rows, so each 8x8 block
has equal rows and its DCT only the first row of coefficients, found from one row of
pixels. A restart marker ends each row of blocks: the block rows of one band are then
the same bytes, encoded once. The Huffman tables are fixed (every DC category 4 bits,
every AC symbol 8 bits): files a little larger than optimised tables give, read by any
decoder. ``quality`` (the request's ``output_compression``) scales the quantisation table
as libjpeg does.
"""

from __future__ import annotations

import math
import struct

from airflow_provider_openai_adv.testing.pictures import bands, check_size

LARGEST = 65535  # a JPEG frame's width and height are 16-bit
# Annex K.1's luminance quantisation table, row by row (used for every component here).
_LUMINANCE = (
    (16, 11, 10, 16, 24, 40, 51, 61), (12, 12, 14, 19, 26, 58, 60, 55), (14, 13, 16, 24, 40, 57, 69, 56),
    (14, 17, 22, 29, 51, 87, 80, 62), (18, 22, 37, 56, 68, 109, 103, 77), (24, 35, 55, 64, 81, 104, 113, 92),
    (49, 64, 78, 87, 103, 121, 120, 101), (72, 92, 95, 98, 112, 100, 103, 99),
)  # fmt: skip
# The row-major index of each zig-zag position: anti-diagonals, alternating direction.
_ZIGZAG = tuple(sorted(range(64), key=lambda i: (i // 8 + i % 8, i // 8 if (i // 8 + i % 8) % 2 else i % 8)))
_FIRST_ROW = tuple(_ZIGZAG.index(u) for u in range(8))  # zig-zag positions of the coefficients (u, 0)
# The DCT of a block whose rows are equal: F(u, 0) = sum over x of _BASIS[u][x] * pixel[x].
_BASIS = tuple(
    tuple((1 if u == 0 else math.sqrt(2) * math.cos((2 * x + 1) * u * math.pi / 16)) for x in range(8))
    for u in range(8)
)
_AC_SYMBOLS = (0x00, *((run << 4) | size for run in range(16) for size in range(1, 11)), 0xF0)  # EOB, run/size, ZRL
_AC_CODES = {symbol: code for code, symbol in enumerate(_AC_SYMBOLS)}  # every code 8 bits long
_DC_CATEGORIES = 12  # every code 4 bits long: the category itself


def encode_jpeg(width: int, height: int, seed: int, *, quality: int = 100) -> bytes:
    """A valid baseline JPEG (YCbCr, no subsampling) of ``width`` × ``height``; the same
    seed and quality give the same bytes."""
    check_size(width, height, LARGEST)
    table = _quantisation(quality)
    block_rows = []
    for band in bands(width, height, seed, step=8):
        block_rows += [_block_row(band.row, table[:8])] * -(-band.height // 8)
    scan = bytearray(block_rows[0])
    for index, encoded in enumerate(block_rows[1:]):
        scan += bytes((0xFF, 0xD0 + index % 8)) + encoded  # RST0..RST7 in turn
    return b"".join(
        (
            b"\xff\xd8",
            _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            _segment(0xDB, b"\x00" + bytes(table[index] for index in _ZIGZAG)),
            _segment(0xC0, struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"),
            _segment(0xC4, b"\x00" + _counts(4, _DC_CATEGORIES) + bytes(range(_DC_CATEGORIES))),
            _segment(0xC4, b"\x10" + _counts(8, len(_AC_SYMBOLS)) + bytes(_AC_SYMBOLS)),
            _segment(0xDD, struct.pack(">H", -(-width // 8))),  # a restart interval of one block row
            _segment(0xDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00"),
            bytes(scan),
            b"\xff\xd9",
        )
    )


def jpeg_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` from a JPEG's frame header; ``ValueError`` when it is not a JPEG."""
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG file")
    position = 2
    while position + 9 <= len(data) and data[position] == 0xFF:
        marker, (length,) = data[position + 1], struct.unpack(">H", data[position + 2 : position + 4])
        if marker in range(0xC0, 0xD0) and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + length
    raise ValueError("no JPEG frame header")


def _quantisation(quality: int) -> list[int]:
    """The luminance table scaled for ``quality`` (1-100) as libjpeg scales it; row-major."""
    quality = min(max(quality, 1), 100)
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return [min(max((base * scale + 50) // 100, 1), 255) for row in _LUMINANCE for base in row]


def _block_row(row: bytes, quantisers: list[int]) -> bytes:
    """One row of 8x8 blocks whose pixel rows all equal ``row`` (RGB), entropy-coded."""
    bits = _Bits()
    planes = _ycbcr(row)
    predictions = [0, 0, 0]
    for left in range(0, len(planes[0]), 8):
        for component, plane in enumerate(planes):
            block = plane[left : left + 8]
            coefficients = [
                round(sum(b * p for b, p in zip(basis, block, strict=True)) / quantiser)
                for basis, quantiser in zip(_BASIS, quantisers, strict=True)
            ]
            bits.dc(coefficients[0] - predictions[component])
            predictions[component] = coefficients[0]
            bits.ac(coefficients)
    return bits.finish()


def _ycbcr(row: bytes) -> list[list[float]]:
    """The row's Y, Cb and Cr planes, level-shifted, padded to whole blocks with the last pixel."""
    pixels = [row[i : i + 3] for i in range(0, len(row), 3)]
    pixels += [pixels[-1]] * (-len(pixels) % 8)
    return [
        [0.299 * r + 0.587 * g + 0.114 * b - 128 for r, g, b in pixels],
        [-0.168736 * r - 0.331264 * g + 0.5 * b for r, g, b in pixels],
        [0.5 * r - 0.418688 * g - 0.081312 * b for r, g, b in pixels],
    ]


class _Bits:
    """The entropy-coded segment: bits most significant first, a 0 stuffed after each 0xFF."""

    def __init__(self) -> None:
        self.value, self.count, self.out = 0, 0, bytearray()

    def put(self, bits: int, length: int) -> None:
        self.value, self.count = (self.value << length) | bits, self.count + length
        while self.count >= 8:
            self.count -= 8
            byte = (self.value >> self.count) & 0xFF
            self.out += b"\xff\x00" if byte == 0xFF else bytes((byte,))
        self.value &= (1 << self.count) - 1

    def dc(self, difference: int) -> None:
        size, extra = _magnitude(difference)
        self.put(size, 4)
        self.put(extra, size)

    def ac(self, coefficients: list[int]) -> None:
        """The seven AC coefficients of the first row, at their zig-zag positions; zeros elsewhere."""
        last = 0
        for position, coefficient in zip(_FIRST_ROW[1:], coefficients[1:], strict=True):
            if coefficient == 0:
                continue
            run = position - last - 1
            while run > 15:
                self.put(_AC_CODES[0xF0], 8)  # sixteen zeros
                run -= 16
            size, extra = _magnitude(coefficient)
            self.put(_AC_CODES[(run << 4) | size], 8)
            self.put(extra, size)
            last = position
        if last != 63:
            self.put(_AC_CODES[0x00], 8)  # end of block

    def finish(self) -> bytes:
        if self.count:
            self.put((1 << (8 - self.count)) - 1, 8 - self.count)  # pad with 1-bits
        return bytes(self.out)


def _magnitude(value: int) -> tuple[int, int]:
    """A coefficient as JPEG codes it: its category (bit length), and the bits that follow it."""
    size = abs(value).bit_length()
    return size, value if value >= 0 else value + (1 << size) - 1


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _counts(length: int, symbols: int) -> bytes:
    """A DHT's 16 counts of codes per length: ``symbols`` codes, all ``length`` bits long."""
    return bytes(symbols if bits == length else 0 for bits in range(1, 17))
