"""The emulator's PNG encoder: valid files (re-parsed chunk by chunk here), deterministic, fast."""

from __future__ import annotations

import struct
import zlib

import pytest

from airflow_provider_openai_adv.testing.png import SIGNATURE, encode_png, png_size


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG as ``(type, data)``, each CRC checked."""
    assert data[:8] == SIGNATURE
    found, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        found.append((kind, body))
        position += 12 + length
    assert position == len(data)
    return found


def pixel_rows(data: bytes) -> list[bytes]:
    """The RGB rows of an encoded picture; the encoder only uses filters None (0) and Up (2)."""
    parts = chunks(data)
    width, height = struct.unpack(">II", parts[0][1][:8])
    raw = zlib.decompress(b"".join(body for kind, body in parts if kind == b"IDAT"))
    stride = 3 * width + 1
    assert len(raw) == height * stride
    rows: list[bytes] = []
    for y in range(height):
        kind, line = raw[y * stride], raw[y * stride + 1 : (y + 1) * stride]
        assert kind in (0, 2)
        rows.append(line if kind == 0 else bytes((a + b) & 255 for a, b in zip(line, rows[-1], strict=True)))
    return rows


def test_the_png_is_well_formed():
    data = encode_png(300, 200, seed=7)
    parts = chunks(data)
    assert [kind for kind, _ in parts] == [b"IHDR", b"IDAT", b"IEND"]
    # width, height, bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace
    assert struct.unpack(">IIBBBBB", parts[0][1]) == (300, 200, 8, 2, 0, 0, 0)
    assert parts[-1][1] == b""
    rows = pixel_rows(data)
    assert len(rows) == 200 and {len(row) for row in rows} == {900}
    assert len(set(rows)) > 1 and len({rows[0][i : i + 3] for i in range(0, 900, 3)}) > 1  # not one flat colour


def test_the_picture_depends_only_on_the_seed():
    assert encode_png(64, 48, 1) == encode_png(64, 48, 1)
    assert pixel_rows(encode_png(64, 48, 1)) != pixel_rows(encode_png(64, 48, 2))


@pytest.mark.parametrize(("width", "height"), [(1, 1), (256, 256), (1024, 1792), (1792, 1024), (7, 3)])
def test_png_size_reads_the_header(tmp_path, width, height):
    data = encode_png(width, height, 3)
    path = tmp_path / "picture.png"
    path.write_bytes(data)
    assert png_size(data) == png_size(path) == png_size(str(path)) == (width, height)
    assert len(pixel_rows(data)) == height


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a" + bytes(40),
        encode_png(8, 8, 1)[:20],  # truncated header
        encode_png(8, 8, 1)[:16] + struct.pack(">II", 9, 8) + encode_png(8, 8, 1)[24:],  # size changed, CRC stale
    ],
)
def test_png_size_refuses_what_is_not_a_png(data):
    with pytest.raises(ValueError):
        png_size(data)


def test_invalid_sizes_are_refused():
    with pytest.raises(ValueError):
        encode_png(0, 10, 1)
