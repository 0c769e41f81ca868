"""The emulator's JPEG and WebP encoders: well-formed files of the picture PNG draws, deterministic.

The JPEG's entropy-coded data is decoded here with the Huffman tables the file itself
declares, block by block, and its DC coefficients compared with the PNG's pixels; the
WebP is checked to its RIFF and VP8L headers (a VP8L decoder would be longer than the
encoder it tests).
"""

from __future__ import annotations

import re
import struct
import zlib

import pytest

from airflow_provider_openai_adv.testing.jpeg import encode_jpeg, jpeg_size
from airflow_provider_openai_adv.testing.pictures import bands
from airflow_provider_openai_adv.testing.png import encode_png
from airflow_provider_openai_adv.testing.webp import encode_webp, webp_size

# -- JPEG -------------------------------------------------------------------------------


def segments(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The marker segments before the scan as ``(marker, payload)``, and the scan up to EOI."""
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    found, position = [], 2
    while True:
        marker, (length,) = data[position + 1], struct.unpack(">H", data[position + 2 : position + 4])
        found.append((marker, data[position + 4 : position + 2 + length]))
        position += 2 + length
        if marker == 0xDA:
            return found, data[position:-2]


def huffman_table(payload: bytes) -> dict[tuple[int, int], int]:
    """A DHT's canonical codes: ``(length, code) -> symbol``."""
    counts, symbols = payload[1:17], iter(payload[17:])
    table, code = {}, 0
    for length, count in enumerate(counts, start=1):
        for _ in range(count):
            table[(length, code)] = next(symbols)
            code += 1
        code <<= 1
    return table


class BitReader:
    def __init__(self, data: bytes) -> None:
        self.bits = "".join(f"{byte:08b}" for byte in data.replace(b"\xff\x00", b"\xff"))
        self.position = 0

    def take(self, count: int) -> int:
        value = int(self.bits[self.position : self.position + count] or "0", 2)
        self.position += count
        return value

    def symbol(self, table: dict[tuple[int, int], int]) -> int:
        code = 0
        for length in range(1, 17):
            code = code << 1 | self.take(1)
            if (length, code) in table:
                return table[(length, code)]
        raise AssertionError("no Huffman code matches")

    def value(self, size: int) -> int:
        bits = self.take(size)
        return bits if size == 0 or bits >> (size - 1) else bits - (1 << size) + 1


def decode_dc(data: bytes) -> list[list[int]]:
    """The Y, Cb and Cr DC coefficients of the first block of each block row (one restart interval)."""
    found, scan = segments(data)
    tables = {payload[0]: huffman_table(payload) for marker, payload in found if marker == 0xC4}
    (interval,) = [struct.unpack(">H", payload)[0] for marker, payload in found if marker == 0xDD]
    restarts = re.findall(rb"\xff([\xd0-\xd7])", scan)  # a 0xFF of data is followed by 0x00
    assert [marker[0] for marker in restarts] == [0xD0 + index % 8 for index in range(len(restarts))]
    firsts = []
    for row in re.split(rb"\xff[\xd0-\xd7]", scan):
        reader, dc = BitReader(row), [0, 0, 0]
        for block in range(interval * 3):
            dc[block % 3] += reader.value(reader.symbol(tables[0x00]))
            if block == 2:
                firsts.append(list(dc))
            position = 1
            while position < 64:  # the AC coefficients: run/size symbols until the end of the block
                symbol = reader.symbol(tables[0x10])
                if symbol == 0x00:
                    break
                reader.value(symbol & 15)
                position += (symbol >> 4) + 1
        assert reader.position > len(reader.bits) - 8  # the row's bits are used up, but the padding
    return firsts


def test_the_jpeg_is_well_formed_and_sized():
    data = encode_jpeg(300, 200, seed=7)
    found, _ = segments(data)
    assert [marker for marker, _ in found] == [0xE0, 0xDB, 0xC0, 0xC4, 0xC4, 0xDD, 0xDA]
    assert found[0][1].startswith(b"JFIF\x00")
    assert struct.unpack(">BHHB", found[2][1][:6]) == (8, 200, 300, 3)  # 8 bits, height, width, 3 components
    assert jpeg_size(data) == (300, 200)
    assert set(found[1][1][1:]) == {1}  # quality 100: every quantiser is 1


def test_every_block_row_decodes_with_the_files_own_tables_to_the_pngs_colours():
    width, height, seed = 64, 40, 11
    dc = decode_dc(encode_jpeg(width, height, seed))
    assert len(dc) == -(-height // 8)
    row = bands(width, height, seed, step=8)[0].row
    luma = sum(0.299 * r + 0.587 * g + 0.114 * b - 128 for r, g, b in zip(*[iter(row[:24])] * 3, strict=True))
    assert abs(dc[0][0] - luma) <= 1  # a DC coefficient is the sum of a block row's 8 pixels (quantiser 1)


def test_lower_quality_makes_a_smaller_jpeg_and_the_same_seed_the_same_bytes():
    assert len(encode_jpeg(256, 256, 1, quality=10)) < len(encode_jpeg(256, 256, 1, quality=90))
    assert encode_jpeg(64, 48, 1) == encode_jpeg(64, 48, 1) != encode_jpeg(64, 48, 2)


def test_jpeg_size_skips_the_segments_before_the_frame():
    data = encode_jpeg(40, 30, 1)
    exif = b"\xff\xe1" + struct.pack(">H", 2 + 1000) + bytes(1000)
    assert jpeg_size(data[:2] + exif + data[2:]) == (40, 30)


@pytest.mark.parametrize("data", [b"", b"GIF89a" + bytes(40), b"\xff\xd8\xff\xe0" + bytes(64)])
def test_jpeg_size_refuses_what_is_not_a_jpeg(data):
    with pytest.raises(ValueError):
        jpeg_size(data)


# -- WebP -------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height", "transparent"), [(1, 1, False), (300, 200, True), (3840, 2160, False)])
def test_the_webp_is_well_formed_and_sized(width, height, transparent):
    data = encode_webp(width, height, seed=3, transparent=transparent)
    assert data[:4] == b"RIFF" and struct.unpack("<I", data[4:8])[0] == len(data) - 8 and data[8:16] == b"WEBPVP8L"
    (chunk,) = struct.unpack("<I", data[16:20])
    assert len(data) == 20 + chunk + chunk % 2
    header = int.from_bytes(data[21:25], "little")
    assert data[20] == 0x2F and header >> 29 == 0  # the VP8L signature, version 0
    assert bool(header >> 28 & 1) == transparent  # "alpha is used"
    assert webp_size(data) == (width, height)


def test_the_same_seed_gives_the_same_webp():
    assert encode_webp(64, 48, 1) == encode_webp(64, 48, 1) != encode_webp(64, 48, 2)


@pytest.mark.parametrize("data", [b"", b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(20), encode_png(8, 8, 1)])
def test_webp_size_refuses_what_is_not_a_webp(data):
    with pytest.raises(ValueError):
        webp_size(data)


# -- the transparent PNG ----------------------------------------------------------------


def test_a_transparent_png_is_rgba_with_clear_top_and_bottom_bands():
    width, height = 16, 30
    data = encode_png(width, height, seed=5, transparent=True)
    assert data[25] == 6  # colour type: RGBA
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    stride = 4 * width + 1
    alphas = [raw[y * stride + 4] for y in range(height) if raw[y * stride] == 0]  # each band's first row
    assert alphas[0] == alphas[-1] == 0 and set(alphas[1:-1]) == {255}
