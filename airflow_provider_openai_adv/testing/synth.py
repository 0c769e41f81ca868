"""Deterministic stand-ins for model output: same input, same answer, every time.

Embeddings are hashed bags of words, so texts that share words point the same way
(cosine similarity means something in tests), and they are cheap to compute.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from collections.abc import Sequence

_WORD = re.compile(r"\w+", re.UNICODE)
_FEATURES_PER_WORD = 4


def estimate_tokens(text: str) -> int:
    """OpenAI's rule of thumb: about four characters of English per token."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def embed(text: str, dimensions: int) -> list[float]:
    """A unit vector for ``text``; shared words make vectors alike.

    Each word adds ±1 at a few hashed positions, so only those positions are computed.
    """
    weights: dict[int, float] = {}
    for word in words(text) or [text]:
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=4 * _FEATURES_PER_WORD).digest()
        for feature in range(_FEATURES_PER_WORD):
            chunk = int.from_bytes(digest[feature * 4 : feature * 4 + 4], "little")
            position = (chunk >> 1) % dimensions
            weights[position] = weights.get(position, 0.0) + (1.0 if chunk & 1 else -1.0)
    norm = math.sqrt(sum(value * value for value in weights.values())) or 1.0
    vector = [0.0] * dimensions
    for position, value in weights.items():
        vector[position] = round(value / norm, 7)
    return vector


def embedding_as_base64(vector: Sequence[float]) -> str:
    """OpenAI's ``encoding_format=base64``: little-endian float32, base64-encoded."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def reply_for(model: str, prompt: str) -> str:
    """The emulator's answer to ``prompt``: it names the model and quotes the prompt."""
    quoted = " ".join(prompt.split())[:300]
    return f"Emulated reply from {model}: {quoted}" if quoted else f"Emulated reply from {model}."


def truncate_to_tokens(text: str, max_tokens: int | None) -> tuple[str, bool]:
    """Cut ``text`` to about ``max_tokens`` tokens; the flag says whether it was cut."""
    if max_tokens is None or estimate_tokens(text) <= max_tokens:
        return text, False
    return text[: max(1, max_tokens * 4)], True


def stable_int(*parts: object) -> int:
    """A number derived from the inputs only (for ids, seeds, fingerprints)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")
