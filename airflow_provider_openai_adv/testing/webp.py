"""A small lossless WebP (VP8L) encoder and reader for the emulator's images.

Every row of a band (:mod:`.pictures`) repeats the row above, so a band's first row is
written as literal pixels and the rest as LZ77 copies of "the pixel one row up" (the
distance code of (0, 1)), 4096 pixels a copy. The prefix codes are fixed, so no
Huffman tree is built: 8 bits a red or blue value, 8 or 9 a green one (its alphabet also
holds the 24 length codes), alpha a simple code of one symbol (0 bits) or two (1 bit),
the distance a simple code of one symbol. Lossless: ``output_compression`` changes
nothing here.
"""

from __future__ import annotations

import struct

from airflow_provider_openai_adv.testing.pictures import bands, check_size

LARGEST = 16384  # VP8L stores width and height in 14 bits
_SIGNATURE = 0x2F
_CODE_LENGTH_ORDER = (17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
_GREEN_SYMBOLS = 256 + 24  # green values, then the length prefix codes (no colour cache)
_SHORT_GREEN = 232  # green symbols below it have 8-bit codes, the rest 9-bit ones: a complete code
_LONGEST_COPY = 4096


def _reversed(code: int, length: int) -> int:
    """A prefix code is read bit by bit from its first bit; the stream is least significant bit first."""
    return int(f"{code:0{length}b}"[::-1], 2)


def _canonical(lengths: list[int]) -> list[tuple[int, int]]:
    """``(bits to write, length)`` per symbol of the canonical code with these lengths (in increasing order)."""
    codes, code, previous = [], 0, lengths[0]
    for length in lengths:
        code <<= length - previous
        codes.append((_reversed(code, length), length))
        code, previous = code + 1, length
    return codes


_GREEN_LENGTHS = [8] * _SHORT_GREEN + [9] * (_GREEN_SYMBOLS - _SHORT_GREEN)
_GREEN = _canonical(_GREEN_LENGTHS)
_BYTE = _canonical([8] * 256)


def encode_webp(width: int, height: int, seed: int, *, transparent: bool = False) -> bytes:
    """A valid lossless WebP of ``width`` × ``height``; the same seed gives the same bytes."""
    check_size(width, height, LARGEST)
    bits = _Bits()
    bits.put(_SIGNATURE, 8)
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(int(transparent), 1)  # alpha is used
    bits.put(0, 3)  # version
    bits.put(0, 3)  # no transform, no colour cache, no meta prefix codes
    for lengths in (_GREEN_LENGTHS, [8] * 256, [8] * 256):  # green, red, blue
        _normal_code(bits, lengths)
    _simple_code(bits, (0, 255) if transparent else (255,))  # alpha
    _simple_code(bits, (0,))  # distance: code 0 is the distance value 1, the pixel one row up
    for band in bands(width, height, seed, transparent=transparent):
        _literal_row(bits, band.row, alpha=int(band.opaque) if transparent else None)
        _copies(bits, (band.height - 1) * width)
    data = bits.finish()
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) % 2)
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def webp_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` of a WebP (lossless, lossy or extended); ``ValueError`` otherwise."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    kind = data[12:16]
    if kind == b"VP8L" and data[20] == _SIGNATURE:
        header = int.from_bytes(data[21:25], "little")
        return (header & 0x3FFF) + 1, (header >> 14 & 0x3FFF) + 1
    if kind == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if kind == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    raise ValueError("not a WebP image chunk")


def _normal_code(bits: _Bits, lengths: list[int]) -> None:
    """Code lengths of 8 and 9 bits, themselves written with a code of two 1-bit symbols."""
    bits.put(0, 1)  # a normal code
    bits.put(13 - 4, 4)  # 13 code length code lengths: enough to reach symbol 9 in their order
    for symbol in _CODE_LENGTH_ORDER[:13]:
        bits.put(1 if symbol in (8, 9) else 0, 3)
    bits.put(0, 1)  # every symbol of the alphabet has a length
    for length in lengths:
        bits.put(length - 8, 1)  # symbol 8 is the code 0, symbol 9 the code 1


def _simple_code(bits: _Bits, symbols: tuple[int, ...]) -> None:
    """One symbol (written with 0 bits) or two (1 bit, the smaller symbol 0); each under 256."""
    bits.put(1, 1)  # a simple code
    bits.put(len(symbols) - 1, 1)
    bits.put(1, 1)  # the first symbol takes 8 bits
    for symbol in symbols:
        bits.put(symbol, 8)


def _literal_row(bits: _Bits, row: bytes, *, alpha: int | None) -> None:
    """The pixels of ``row`` (RGB) as literals; ``alpha`` is the 1-bit code of their alpha, if coded."""
    for index in range(0, len(row), 3):
        red, green, blue = row[index : index + 3]
        green_code, green_length = _GREEN[green]
        bits.put(green_code | _BYTE[red][0] << green_length | _BYTE[blue][0] << (green_length + 8), green_length + 16)
        if alpha is not None:
            bits.put(alpha, 1)


def _copies(bits: _Bits, pixels: int) -> None:
    """``pixels`` pixels, each the pixel one row up, in copies of at most 4096."""
    while pixels:
        length = min(pixels, _LONGEST_COPY)
        prefix, extra_length, extra = _prefix(length)
        bits.put(*_GREEN[256 + prefix])
        bits.put(extra, extra_length)
        pixels -= length  # the distance's code has one symbol: nothing is written for it


def _prefix(value: int) -> tuple[int, int, int]:
    """VP8L's prefix coding of a length: ``(prefix code, number of extra bits, extra bits)``."""
    if value <= 4:
        return value - 1, 0, 0
    offset = value - 1
    high = offset.bit_length() - 1
    extra_length = high - 1
    return 2 * high + (offset >> extra_length & 1), extra_length, offset & ((1 << extra_length) - 1)


class _Bits:
    """A VP8L bit stream: values least significant bit first."""

    def __init__(self) -> None:
        self.value, self.count, self.out = 0, 0, bytearray()

    def put(self, value: int, length: int) -> None:
        self.value |= value << self.count
        self.count += length
        if self.count >= 32:
            whole = self.count // 8
            self.out += (self.value & ((1 << (8 * whole)) - 1)).to_bytes(whole, "little")
            self.value >>= 8 * whole
            self.count -= 8 * whole

    def finish(self) -> bytes:
        return bytes(self.out) + self.value.to_bytes((self.count + 7) // 8, "little")
