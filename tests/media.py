"""Small media files for tests: silent WAV audio (PNGs come from ``testing.png.encode_png``)."""

from __future__ import annotations

import io
import wave


def make_wav(seconds: float, rate: int = 16_000) -> bytes:
    """A silent mono 16-bit WAV of ``seconds``."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(bytes(2 * round(seconds * rate)))
    return buffer.getvalue()
