"""Argument checks made before any request is sent.

Each check raises :class:`~airflow_provider_openai_adv.exceptions.OpenAIValidationError`
(a ``ValueError``) whose message starts with the argument's name, so a DAG author sees
at once which argument to fix. No Airflow import here: the hook calls these too.
"""

from __future__ import annotations

import struct
from collections.abc import Collection
from typing import Any

from airflow_provider_openai_adv.exceptions import OpenAIValidationError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def fail(name: str, problem: str) -> OpenAIValidationError:
    return OpenAIValidationError(f"{name}: {problem}")


def require_text(name: str, value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str):
        raise fail(name, f"expected text, got {type(value).__name__}")
    if not value.strip():
        raise fail(name, "must not be empty")
    return value


def require_texts(name: str, value: Any) -> None:
    """A non-empty string, or a non-empty list of non-empty strings (or of token arrays)."""
    if isinstance(value, str):
        require_text(name, value)
        return
    if not isinstance(value, (list, tuple)) or not value:
        raise fail(name, "expected text or a non-empty list")
    for index, item in enumerate(value):
        if isinstance(item, int) and not isinstance(item, bool):
            continue  # a token id
        if isinstance(item, (list, tuple)) and item and all(isinstance(t, int) for t in item):
            continue  # a token array
        require_text(f"{name}[{index}]", item)


def require_range(name: str, value: Any, low: float, high: float | None = None, *, integer: bool = False) -> None:
    """``value``, when given, is a number within ``[low, high]``."""
    if value is None:
        return
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise fail(name, f"expected {'a whole number' if integer else 'a number'}, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise fail(name, f"{value!r} is out of range; expected a value {bounds}")


def require_choice(name: str, value: Any, choices: Collection[Any]) -> None:
    """``value``, when given, is one of ``choices``."""
    if value is not None and value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise fail(name, f"{value!r} is not supported; expected one of {listed}")


def require_messages(name: str, messages: Any) -> None:
    """Chat messages: a non-empty list of objects with a known role."""
    if not isinstance(messages, (list, tuple)) or not messages:
        raise fail(name, "expected a non-empty list of messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message:
            raise fail(f"{name}[{index}]", "expected an object with 'role' and 'content'")
        require_choice(f"{name}[{index}].role", message["role"], CHAT_ROLES)


CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")


def png_dimensions(header: bytes) -> tuple[int, int]:
    """Width and height from the first 24 bytes of a PNG; raises ``ValueError`` otherwise."""
    if len(header) < 24 or not header.startswith(PNG_SIGNATURE) or header[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", header[16:24])


# -- per-action rules -------------------------------------------------------------------

SAMPLING_RANGES = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
}


def check_sampling(params: dict[str, Any], *, max_n: int = 128) -> None:
    """Ranges shared by completions, chat and edits."""
    for name, (low, high) in SAMPLING_RANGES.items():
        require_range(name, params.get(name), low, high)
    require_range("n", params.get("n"), 1, max_n, integer=True)
    for name in ("max_tokens", "max_completion_tokens"):
        require_range(name, params.get(name), 1, integer=True)
    stop = params.get("stop")
    stop_list = isinstance(stop, (list, tuple)) and len(stop) <= 4 and all(isinstance(s, str) for s in stop)
    if stop is not None and not isinstance(stop, str) and not stop_list:
        raise fail("stop", "expected a string or a list of at most 4 strings")


# Sizes per image model (the GPT image family shares one list); another model is not size-checked.
IMAGE_SIZES = {
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    "gpt-image": ("1024x1024", "1536x1024", "1024x1536", "auto"),
}
IMAGE_MAX_N = {"dall-e-3": 1}
DALL_E_2_UPLOAD_LIMIT = 4 * 1024 * 1024


def check_image_request(model: str, params: dict[str, Any]) -> None:
    """``n``, ``size``, ``response_format``, ``quality`` and ``style`` for the model."""
    require_range("n", params.get("n"), 1, IMAGE_MAX_N.get(model, 10), integer=True)
    sizes = IMAGE_SIZES.get("gpt-image" if model.startswith("gpt-image") else model)
    if sizes:
        require_choice("size", params.get("size"), sizes)
    require_choice("response_format", params.get("response_format"), ("url", "b64_json"))
    if model.startswith("gpt-image") and params.get("response_format") == "url":
        raise fail("response_format", f"{model} always returns b64_json images; url is not supported")
    if model == "dall-e-3":
        require_choice("quality", params.get("quality"), ("standard", "hd"))
        require_choice("style", params.get("style"), ("vivid", "natural"))


def check_square_png(name: str, size_bytes: int, header: bytes) -> tuple[int, int]:
    """DALL·E 2 edits and variations take a square PNG under 4 MB."""
    try:
        width, height = png_dimensions(header)
    except ValueError:
        raise fail(name, "is not a readable PNG image") from None
    if size_bytes >= DALL_E_2_UPLOAD_LIMIT:
        raise fail(name, f"is {size_bytes} bytes; images must be smaller than 4 MB")
    if width != height:
        raise fail(name, f"is {width}x{height}; the image must be square")
    return width, height


AUDIO_EXTENSIONS = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")
AUDIO_LIMIT = 25 * 1024 * 1024
AUDIO_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")


def check_audio(filename: str, size_bytes: int, params: dict[str, Any]) -> None:
    """A supported audio file under 25 MB, and a response format the model can give."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    require_choice("file", extension or filename, AUDIO_EXTENSIONS)
    if size_bytes > AUDIO_LIMIT:
        raise fail("file", f"is {size_bytes} bytes; audio files must be at most 25 MB")
    require_choice("response_format", params.get("response_format"), AUDIO_FORMATS)
    require_range("temperature", params.get("temperature"), 0, 1)
    if params.get("timestamp_granularities") and params.get("response_format") != "verbose_json":
        raise fail("timestamp_granularities", "needs response_format='verbose_json'")


FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")

# Native vector sizes of OpenAI's embedding models.
EMBEDDING_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
