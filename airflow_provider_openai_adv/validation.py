"""Argument checks made before any request is sent.

Each check raises :class:`~airflow_provider_openai_adv.exceptions.OpenAIValidationError`
(a ``ValueError``) whose message starts with the argument's name, so a DAG author sees
at once which argument to fix. The limits are OpenAI's, as its API specification states
them (``tests/contract/test_limits.py`` checks each against the spec). One ``check_*``
per action, called by the hook; no Airflow import here.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Collection, Sequence
from typing import Any

from airflow_provider_openai_adv.exceptions import OpenAIValidationError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def fail(name: str, problem: str) -> OpenAIValidationError:
    return OpenAIValidationError(f"{name}: {problem}")


# -- building blocks --------------------------------------------------------------------


def require_text(name: str, value: Any, *, max_length: int | None = None) -> str:
    """A non-empty string (of at most ``max_length`` characters)."""
    if not isinstance(value, str):
        raise fail(name, f"expected text, got {type(value).__name__}")
    if not value.strip():
        raise fail(name, "must not be empty")
    if max_length is not None and len(value) > max_length:
        raise fail(name, f"is {len(value)} characters long; at most {max_length} are allowed")
    return value


def optional_text(name: str, value: Any, *, max_length: int | None = None) -> None:
    if value is not None:
        require_text(name, value, max_length=max_length)


RENDERED_NOTHING = ("none", "null")  # what a template renders for a missing value


def require_id(name: str, value: Any) -> str:
    """An id or a model name: non-empty text, and not what a template renders for a missing XCom."""
    require_text(name, value)
    if value.strip().lower() in RENDERED_NOTHING:
        raise fail(name, f"{value!r} is not an id (did a template render a missing value?)")
    return value


def require_texts(name: str, value: Any, *, max_items: int | None = None) -> None:
    """A non-empty string, or a non-empty list of non-empty strings (or of token arrays)."""
    if isinstance(value, str):
        require_text(name, value)
        return
    if not isinstance(value, (list, tuple)) or not value:
        raise fail(name, "expected text or a non-empty list")
    if all(_is_token(item) for item in value):
        return  # one token array
    if max_items is not None and len(value) > max_items:
        raise fail(name, f"has {len(value)} items; one request takes at most {max_items}")
    for index, item in enumerate(value):
        if isinstance(item, (list, tuple)) and item and all(_is_token(token) for token in item):
            continue  # a token array
        require_text(f"{name}[{index}]", item)


def _is_token(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def require_range(name: str, value: Any, low: float, high: float | None = None, *, integer: bool = False) -> None:
    """``value``, when given, is a number within ``[low, high]``."""
    if value is None:
        return
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value != value:
        raise fail(name, f"expected {'a whole number' if integer else 'a number'}, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"between {_number(low)} and {_number(high)}" if high is not None else f"at least {_number(low)}"
        raise fail(name, f"{value!r} is out of range; expected a value {bounds}")


def _number(bound: float) -> str:
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


def require_positive(name: str, value: Any) -> None:
    """``value``, when given, is a number above 0."""
    require_range(name, value, float("-inf"))
    if value is not None and value <= 0:
        raise fail(name, f"{value!r} is out of range; expected a value above 0")


def require_choice(name: str, value: Any, choices: Collection[Any]) -> None:
    """``value``, when given, is one of ``choices``."""
    if value is not None and value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise fail(name, f"{value!r} is not supported; expected one of {listed}")


def require_auto_or_range(name: str, value: Any, low: float, high: float | None, *, integer: bool) -> None:
    """``"auto"``, or a number in range (fine-tuning hyperparameters)."""
    if value != "auto":
        require_range(name, value, low, high, integer=integer)


METADATA_PAIRS, METADATA_KEY_LENGTH, METADATA_VALUE_LENGTH = 16, 64, 512


def check_metadata(name: str, value: Any) -> None:
    """OpenAI's metadata: at most 16 pairs of text, keys up to 64 characters, values up to 512."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise fail(name, f"expected an object of text pairs, got {type(value).__name__}")
    if len(value) > METADATA_PAIRS:
        raise fail(name, f"has {len(value)} pairs; at most {METADATA_PAIRS} are allowed")
    for key, item in value.items():
        require_text(f"{name} key", key, max_length=METADATA_KEY_LENGTH)
        if not isinstance(item, str):
            raise fail(f"{name}[{key}]", f"expected text, got {type(item).__name__}")
        if len(item) > METADATA_VALUE_LENGTH:
            raise fail(f"{name}[{key}]", f"is {len(item)} characters long; at most {METADATA_VALUE_LENGTH} are allowed")


# -- text -------------------------------------------------------------------------------

SAMPLING_RANGES = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
}
MAX_STOP_SEQUENCES = 4
MAX_N = 128
LOGIT_BIAS = 100  # a bias is a whole number in [-100, 100]
SEED_RANGE = (-(2**63), 2**63 - 1)  # the completions' seed: a 64-bit integer
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
RESPONSE_FORMATS = ("text", "json_object", "json_schema")
SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TOP_LOGPROBS = 20
MAX_COMPLETION_LOGPROBS = 5
MAX_BEST_OF = 20
EDIT_MAX_N = 20


def check_sampling(params: dict[str, Any], *, max_n: int = MAX_N) -> None:
    """Ranges shared by completions, chat and edits."""
    for name, (low, high) in SAMPLING_RANGES.items():
        require_range(name, params.get(name), low, high)
    require_range("n", params.get("n"), 1, max_n, integer=True)
    require_range("max_tokens", params.get("max_tokens"), 0, integer=True)
    require_range("max_completion_tokens", params.get("max_completion_tokens"), 1, integer=True)
    require_range("seed", params.get("seed"), *SEED_RANGE, integer=True)
    check_stop(params.get("stop"))
    check_logit_bias(params.get("logit_bias"))


def check_stop(stop: Any) -> None:
    """A string, or a list of 1 to 4 strings."""
    stops_ok = (
        isinstance(stop, (list, tuple))
        and 0 < len(stop) <= MAX_STOP_SEQUENCES
        and all(isinstance(item, str) for item in stop)
    )
    if stop is not None and not isinstance(stop, str) and not stops_ok:
        raise fail("stop", f"expected a string or a list of 1 to {MAX_STOP_SEQUENCES} strings")


def check_logit_bias(logit_bias: Any) -> None:
    """Token ids (as text) mapped to whole numbers in [-100, 100]."""
    if logit_bias is None:
        return
    if not isinstance(logit_bias, dict):
        raise fail("logit_bias", "expected an object of token id → bias")
    for token, bias in logit_bias.items():
        if not str(token).isdigit():
            raise fail(f"logit_bias[{token}]", "keys are token ids (whole numbers), not text")
        require_range(f"logit_bias[{token}]", bias, -LOGIT_BIAS, LOGIT_BIAS, integer=True)


def check_completion(model: Any, prompt: Any, params: dict[str, Any]) -> None:
    require_id("model", model)
    require_texts("prompt", prompt)
    check_sampling(params)
    require_range("best_of", params.get("best_of"), 0, MAX_BEST_OF, integer=True)
    require_range("logprobs", params.get("logprobs"), 0, MAX_COMPLETION_LOGPROBS, integer=True)


def check_chat(model: Any, messages: Any, params: dict[str, Any]) -> None:
    require_id("model", model)
    require_messages("messages", messages)
    check_sampling(params)
    require_range("top_logprobs", params.get("top_logprobs"), 0, MAX_TOP_LOGPROBS, integer=True)
    if params.get("top_logprobs") is not None and params.get("logprobs") is not True:
        raise fail("top_logprobs", "needs logprobs=True")
    check_response_format(params.get("response_format"))
    check_metadata("metadata", params.get("metadata"))
    tools = params.get("tools")
    if tools is not None and not (isinstance(tools, list) and all(isinstance(tool, dict) for tool in tools)):
        raise fail("tools", "expected a list of tool objects")


def require_messages(name: str, messages: Any) -> None:
    """Chat messages: a non-empty list of objects with a known role, each with its content.

    Only an assistant message that calls tools (or a function) may leave ``content`` out.
    """
    if not isinstance(messages, (list, tuple)) or not messages:
        raise fail(name, "expected a non-empty list of messages")
    for index, message in enumerate(messages):
        where = f"{name}[{index}]"
        if not isinstance(message, dict) or "role" not in message:
            raise fail(where, "expected an object with 'role' and 'content'")
        require_choice(f"{where}.role", message["role"], CHAT_ROLES)
        content = message.get("content")
        calls = message.get("tool_calls") or message.get("function_call")
        if content is None and not (message["role"] == "assistant" and calls):
            raise fail(f"{where}.content", "is missing; only an assistant message calling tools may leave it out")
        if content is not None and not isinstance(content, (str, list)):
            raise fail(f"{where}.content", f"expected text or a list of parts, got {type(content).__name__}")
        if isinstance(content, list) and not all(isinstance(part, dict) and "type" in part for part in content):
            raise fail(f"{where}.content", "a list of content parts must hold objects with a 'type'")


def check_response_format(value: Any) -> None:
    """``{"type": "text" | "json_object" | "json_schema", ...}``; a schema needs a name and a schema."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise fail("response_format", f"expected an object with a 'type', got {type(value).__name__}")
    require_choice("response_format.type", value.get("type"), RESPONSE_FORMATS)
    if value.get("type") is None:
        raise fail("response_format.type", f"is missing; expected one of {', '.join(RESPONSE_FORMATS)}")
    if value["type"] != "json_schema":
        return
    spec = value.get("json_schema")
    if not isinstance(spec, dict):
        raise fail("response_format.json_schema", "is missing; give {'name': ..., 'schema': {...}}")
    name = spec.get("name")
    if not isinstance(name, str) or not SCHEMA_NAME.match(name):
        raise fail("response_format.json_schema.name", "must be 1 to 64 letters, digits, '_' or '-'")
    if spec.get("schema") is not None and not isinstance(spec["schema"], dict):
        raise fail("response_format.json_schema.schema", "expected a JSON schema object")


def check_edit(instruction: Any, input: Any, params: dict[str, Any]) -> None:  # noqa: A002
    require_text("instruction", instruction)
    if input is not None and not isinstance(input, str):
        raise fail("input", f"expected text, got {type(input).__name__}")
    check_sampling(params, max_n=EDIT_MAX_N)


# -- images -----------------------------------------------------------------------------

# The models fall into three families with their own rules; a model of another name (another
# server's) gets only the checks every model shares.
GPT_IMAGE = "gpt-image"  # gpt-image-1, -1-mini, -1.5, -2 and their snapshots, chatgpt-image-latest
GPT_IMAGE_PREFIXES = ("gpt-image", "chatgpt-image")
IMAGE_SIZES = {
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    GPT_IMAGE: ("1024x1024", "1536x1024", "1024x1536", "auto"),
}
# gpt-image-2 also takes any WIDTHxHEIGHT: both multiples of 16, from 1:3 to 3:1, at most 3840x2160.
FREE_SIZE_MODELS = ("gpt-image-2",)
FREE_SIZE_STEP, FREE_SIZE_RATIO, FREE_SIZE_MAX = 16, 3, (3840, 2160)
IMAGE_PROMPT_LENGTH = {"dall-e-2": 1000, "dall-e-3": 4000, GPT_IMAGE: 32000}
IMAGE_MAX_N = {"dall-e-3": 1}
IMAGE_N = 10
IMAGE_QUALITIES = {
    "dall-e-2": ("standard", "auto"),
    "dall-e-3": ("standard", "hd", "auto"),
    GPT_IMAGE: ("low", "medium", "high", "auto"),
}
ALL_IMAGE_QUALITIES = ("standard", "hd", "low", "medium", "high", "auto")  # for a model of another name
IMAGE_RESPONSE_FORMATS = ("url", "b64_json")  # DALL·E only: the GPT image models always answer b64_json
IMAGE_OUTPUT_FORMATS = ("png", "jpeg", "webp")
COMPRESSED_FORMATS = ("jpeg", "webp")  # an output_compression below 100 needs one of them
IMAGE_COMPRESSION = 100  # output_compression: a percentage
IMAGE_BACKGROUNDS = ("transparent", "opaque", "auto")
TRANSPARENT_FORMATS = ("png", "webp")
IMAGE_MODERATIONS = ("low", "auto")
INPUT_FIDELITIES = ("high", "low")
NO_INPUT_FIDELITY = ("gpt-image-1-mini",)
DALL_E_3_STYLES = ("vivid", "natural")
# Taken by the GPT image models only: with one of them and no model, /images/generations uses one.
GPT_IMAGE_PARAMETERS = ("background", "moderation", "output_format", "output_compression")
# The hook returns one answer with the final images: streamed partial images are refused.
STREAMED_IMAGE_PARAMETERS = ("stream", "partial_images")
IMAGE_ACTION_FAMILIES = {"edits": ("dall-e-2", GPT_IMAGE), "variations": ("dall-e-2",)}
IMAGE_EDIT_INPUTS = 16
GPT_IMAGE_INPUT_TYPES = ("png", "webp", "jpg")
GPT_IMAGE_UPLOAD_LIMIT = 50 * 1024 * 1024
DALL_E_2_UPLOAD_LIMIT = 4 * 1024 * 1024


def image_family(model: str | None, params: dict[str, Any], *, action: str = "generations") -> str | None:
    """``dall-e-2``, ``dall-e-3``, ``gpt-image``, or ``None`` for a model of another name.

    Without a model, ``/images/generations`` uses dall-e-2 "unless a parameter specific to
    the GPT image models is used" (the spec's words), and ``/images/variations`` dall-e-2.
    """
    if model is None:
        gpt_only = action == "generations" and any(params.get(name) is not None for name in GPT_IMAGE_PARAMETERS)
        return GPT_IMAGE if gpt_only else "dall-e-2"
    if model.startswith(GPT_IMAGE_PREFIXES):
        return GPT_IMAGE
    return model if model in IMAGE_SIZES else None


def answers_in_base64(model: str | None, params: dict[str, Any]) -> bool:
    """Whether the images come back as base64 (``b64_json``): a GPT image model's always do."""
    return params.get("response_format") == "b64_json" or image_family(model, params) == GPT_IMAGE


def check_image_request(model: Any, prompt: Any, params: dict[str, Any], *, action: str = "generations") -> None:
    """The arguments of ``/images/<action>`` by the rules of the model's family: the prompt's
    length, ``n``, ``size``, ``quality``, formats and the options only some models take."""
    if model is not None:
        require_id("model", model)
    family = image_family(model, params, action=action)
    served = IMAGE_ACTION_FAMILIES.get(action)
    if served and family is not None and family not in served:
        raise fail("model", f"{model} does not serve /images/{action}; {' and '.join(served)} models do")
    if prompt is not None or "prompt" in params:
        require_text("prompt", prompt, max_length=IMAGE_PROMPT_LENGTH.get(family))
    require_range("n", params.get("n"), 1, IMAGE_MAX_N.get(family, IMAGE_N), integer=True)
    if action != "edits" and params.get("input_fidelity") is not None:
        raise fail("input_fidelity", "only /images/edits takes it: it says how closely to follow the input images")
    check_image_size(model, family, params.get("size"))
    qualities = IMAGE_QUALITIES.get(family, ALL_IMAGE_QUALITIES)
    _model_choice("quality", params.get("quality"), qualities, _who(model, family))
    for name, choices in (
        ("response_format", IMAGE_RESPONSE_FORMATS),
        ("output_format", IMAGE_OUTPUT_FORMATS),
        ("background", IMAGE_BACKGROUNDS),
        ("moderation", IMAGE_MODERATIONS),
        ("input_fidelity", INPUT_FIDELITIES),
        ("style", DALL_E_3_STYLES),
    ):
        require_choice(name, params.get(name), choices)
    require_range("output_compression", params.get("output_compression"), 0, IMAGE_COMPRESSION, integer=True)
    check_image_options(model, family, params)


def check_image_size(model: str | None, family: str | None, size: Any) -> None:
    if size is None or family is None:
        return
    if model is not None and model.startswith(FREE_SIZE_MODELS) and size != "auto":
        check_free_size(size)
    else:
        _model_choice("size", size, IMAGE_SIZES[family], _who(model, family))


def check_image_options(model: str | None, family: str | None, params: dict[str, Any]) -> None:
    """The options only some models take, and the combinations no model takes."""
    who = _who(model, family)
    for name in STREAMED_IMAGE_PARAMETERS:
        if params.get(name):  # stream=True, or partial images
            raise fail(name, "streamed (partial) images are not supported here; the answer holds the final images")
    if family == GPT_IMAGE and params.get("response_format") is not None:
        raise fail("response_format", f"not taken by {who}, whose images always come back as b64_json; leave it unset")
    for name in (*GPT_IMAGE_PARAMETERS, "input_fidelity"):
        if family in ("dall-e-2", "dall-e-3") and params.get(name) is not None:
            raise fail(name, f"only the GPT image models take it, not {who}")
    if family not in ("dall-e-3", None) and params.get("style") is not None:
        raise fail("style", f"only dall-e-3 takes it, not {who}")
    if params.get("input_fidelity") is not None and model is not None and model.startswith(NO_INPUT_FIDELITY):
        raise fail("input_fidelity", f"{model} does not take it")
    output_format = params.get("output_format") or "png"
    if params.get("background") == "transparent" and output_format not in TRANSPARENT_FORMATS:
        raise fail("background", f"transparent needs output_format 'png' or 'webp'; {output_format} has no alpha")
    compression = params.get("output_compression")
    if compression is not None and compression < IMAGE_COMPRESSION and output_format not in COMPRESSED_FORMATS:
        raise fail("output_compression", f"{output_format} is not compressed; set output_format to 'jpeg' or 'webp'")


def _who(model: str | None, family: str | None) -> str:
    """The model as a message names it."""
    if model is not None:
        return model
    return "the GPT image models" if family == GPT_IMAGE else f"{family} (used when no model is named)"


def _model_choice(name: str, value: Any, choices: Sequence[str], who: str) -> None:
    if value is not None and value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise fail(name, f"{value!r} is not supported by {who}; expected one of {listed}")


def check_free_size(size: Any) -> None:
    """``auto`` or ``WIDTHxHEIGHT`` as gpt-image-2 takes it."""
    if size is None or size == "auto":
        return
    match = re.fullmatch(r"(\d+)x(\d+)", size) if isinstance(size, str) else None
    if match is None or not _free_size_fits(int(match[1]), int(match[2])):
        step, ratio, (width, height) = FREE_SIZE_STEP, FREE_SIZE_RATIO, FREE_SIZE_MAX
        raise fail(
            "size",
            f"{size!r} is not supported; expected 'auto' or WIDTHxHEIGHT, both multiples of {step}, "
            f"from 1:{ratio} to {ratio}:1, at most {width}x{height}",
        )


def _free_size_fits(width: int, height: int) -> bool:
    long, short = max(width, height), min(width, height)
    multiples = width % FREE_SIZE_STEP == 0 and height % FREE_SIZE_STEP == 0
    within = long <= FREE_SIZE_MAX[0] and short <= FREE_SIZE_MAX[1]
    return short > 0 and multiples and within and long <= FREE_SIZE_RATIO * short


def check_image_inputs(
    model: str, images: Sequence[Any], mask: Any, *, describe: Callable[..., tuple[str, int, bytes]]
) -> None:
    """The images to edit (or vary): dall-e-2 takes one square PNG under 4 MB; the GPT image
    models up to 16 PNG, WebP or JPEG files under 50 MB each. A mask is a PNG under 4 MB of
    the first image's size (compared when that image is a PNG: only a PNG's size is read here)."""
    family = image_family(model, {})
    if not images:
        raise fail("image", "no image given")
    if len(images) > IMAGE_EDIT_INPUTS:
        raise fail("image", f"{len(images)} images given; at most {IMAGE_EDIT_INPUTS} are allowed")
    if family == "dall-e-2" and len(images) > 1:
        raise fail("image", "dall-e-2 takes one image")
    dimensions = [check_image_file(family, *describe(image, argument="image")) for image in images]
    if mask is not None:
        _, mask_size, mask_head = describe(mask, argument="mask")
        mask_dimensions = check_png("mask", mask_size, mask_head)
        if dimensions[0] is not None and mask_dimensions != dimensions[0]:
            raise fail("mask", f"is {mask_dimensions[0]}x{mask_dimensions[1]}; it must have the same size as image")


def check_image_file(family: str | None, name: str, size_bytes: int, header: bytes) -> tuple[int, int] | None:
    """One input image as its model takes it; its width and height when it is a PNG."""
    if family == "dall-e-2":
        return check_square_png("image", size_bytes, header)
    kind = image_kind(header)
    if family == GPT_IMAGE and kind not in GPT_IMAGE_INPUT_TYPES:
        raise fail("image", f"{name or 'an image'} is not a PNG, WebP or JPEG file")
    if family == GPT_IMAGE and size_bytes >= GPT_IMAGE_UPLOAD_LIMIT:
        raise fail("image", f"{name or 'an image'} is {size_bytes} bytes; images must be smaller than 50 MB")
    return png_dimensions(header) if kind == "png" and len(header) >= 24 else None


def image_kind(header: bytes) -> str | None:
    """``png``, ``jpg`` or ``webp`` from a file's first bytes; ``None`` for anything else."""
    if header.startswith(PNG_SIGNATURE):
        return "png"
    if header.startswith(b"\xff\xd8\xff"):
        return "jpg"
    return "webp" if header[:4] == b"RIFF" and header[8:12] == b"WEBP" else None


def png_dimensions(header: bytes) -> tuple[int, int]:
    """Width and height from the first 24 bytes of a PNG; raises ``ValueError`` otherwise."""
    if len(header) < 24 or not header.startswith(PNG_SIGNATURE) or header[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", header[16:24])


def check_png(name: str, size_bytes: int, header: bytes) -> tuple[int, int]:
    """A PNG under 4 MB (DALL·E 2's inputs, and every mask); its width and height."""
    try:
        dimensions = png_dimensions(header)
    except ValueError:
        raise fail(name, "is not a readable PNG image") from None
    if size_bytes >= DALL_E_2_UPLOAD_LIMIT:
        raise fail(name, f"is {size_bytes} bytes; images must be smaller than 4 MB")
    return dimensions


def check_square_png(name: str, size_bytes: int, header: bytes) -> tuple[int, int]:
    """DALL·E 2 edits and variations take a square PNG under 4 MB."""
    width, height = check_png(name, size_bytes, header)
    if width != height:
        raise fail(name, f"is {width}x{height}; the image must be square")
    return width, height


# -- embeddings -------------------------------------------------------------------------

EMBEDDING_INPUTS = 2048  # inputs per request
EMBEDDING_INPUT_TOKENS = 8_192  # tokens of one input, for every embedding model
EMBEDDING_REQUEST_TOKENS = 300_000  # tokens summed across one request's inputs
# Native vector sizes of OpenAI's embedding models; dimensions can only shorten them.
EMBEDDING_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
FIXED_DIMENSION_MODELS = ("text-embedding-ada-002",)
EMBEDDING_FORMATS = ("float", "base64")


def check_embeddings(input: Any, model: Any, params: dict[str, Any]) -> None:  # noqa: A002
    require_texts("input", input, max_items=EMBEDDING_INPUTS)
    require_id("model", model)
    dimensions = params.get("dimensions")
    require_range("dimensions", dimensions, 1, EMBEDDING_DIMENSIONS.get(model), integer=True)
    if dimensions is not None and model in FIXED_DIMENSION_MODELS:
        raise fail("dimensions", f"{model} has a fixed size; only text-embedding-3 and later models take dimensions")
    require_choice("encoding_format", params.get("encoding_format"), EMBEDDING_FORMATS)


# -- audio ------------------------------------------------------------------------------

AUDIO_EXTENSIONS = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")
AUDIO_LIMIT = 25 * 1024 * 1024
AUDIO_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")  # translations
TRANSCRIPTION_FORMATS = (*AUDIO_FORMATS, "diarized_json")
AUDIO_TEMPERATURE = 1  # audio sampling temperature: between 0 and 1


def check_audio(
    filename: str, size_bytes: int, params: dict[str, Any], *, formats: Sequence[str] = AUDIO_FORMATS
) -> None:
    """A supported, non-empty audio file under 25 MB, and a response format the model can give."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    require_choice("file", extension or filename, AUDIO_EXTENSIONS)
    if size_bytes == 0:
        raise fail("file", f"{filename} is empty")
    if size_bytes > AUDIO_LIMIT:
        raise fail("file", f"is {size_bytes} bytes; audio files must be at most 25 MB")
    require_choice("response_format", params.get("response_format"), formats)
    require_range("temperature", params.get("temperature"), 0, AUDIO_TEMPERATURE)
    if params.get("timestamp_granularities") and params.get("response_format") != "verbose_json":
        raise fail("timestamp_granularities", "needs response_format='verbose_json'")
    if params.get("stream"):
        raise fail("stream", "a streamed transcript is not supported here; the answer holds the whole transcript")


# -- files ------------------------------------------------------------------------------

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
UPLOAD_LIMIT = 512 * 1024 * 1024  # bytes one POST /files takes
UPLOADS_LIMIT = 8 * 1024**3  # bytes one Upload (the Uploads API, in parts) takes
UPLOADS_PART_LIMIT = 64 * 1024 * 1024  # bytes one part of an Upload takes
UPLOADS_PURPOSES = ("assistants", "batch", "fine-tune", "vision")  # CreateUploadRequest.purpose
FILE_EXPIRY_SECONDS = (3600, 2_592_000)  # expires_after.seconds: an hour to 30 days
FILE_EXPIRY_ANCHORS = ("created_at",)
LIST_ORDERS = ("asc", "desc")  # the order of every cursor-paged list


def check_upload(purpose: Any, params: dict[str, Any]) -> None:
    """A known purpose, and an expiry OpenAI takes (``{"anchor": "created_at", "seconds": ...}``)."""
    require_text("purpose", purpose)
    require_choice("purpose", purpose, FILE_PURPOSES)
    expires_after = params.get("expires_after")
    if expires_after is None:
        return
    if not isinstance(expires_after, dict):
        raise fail("expires_after", "expected {'anchor': 'created_at', 'seconds': ...}")
    require_choice("expires_after.anchor", expires_after.get("anchor"), FILE_EXPIRY_ANCHORS)
    if expires_after.get("anchor") is None or expires_after.get("seconds") is None:
        raise fail("expires_after", "needs both 'anchor' ('created_at') and 'seconds'")
    require_range("expires_after.seconds", expires_after["seconds"], *FILE_EXPIRY_SECONDS, integer=True)


def check_upload_size(size_bytes: int, *, in_parts: bool = False, purpose: str | None = None) -> None:
    """A file ``POST /files`` takes (512 MB), or the Uploads API (8 GB, four purposes)."""
    if size_bytes == 0:
        raise fail("file", "is empty; there is nothing to upload")
    if not in_parts and size_bytes > UPLOAD_LIMIT:
        raise fail("file", f"is {size_bytes} bytes; one request takes at most 512 MB (in_parts=True takes 8 GB)")
    if in_parts:
        require_choice("purpose", purpose, UPLOADS_PURPOSES)
        if size_bytes > UPLOADS_LIMIT:
            raise fail("file", f"is {size_bytes} bytes; the Uploads API takes at most 8 GB")


# -- batches --------------------------------------------------------------------------

# The endpoints a batch runs (CreateBatchRequest.endpoint); the bulk operators build lines for the first five.
BATCH_ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
BATCH_WINDOWS = ("24h",)
BATCH_REQUESTS = 50_000  # requests in one input file
BATCH_FILE_BYTES = 200 * 1024 * 1024  # bytes of one input file
BATCH_EMBEDDING_INPUTS = 50_000  # embedding inputs across one batch's requests


def check_batch(input_file_id: Any, endpoint: Any, completion_window: Any, params: dict[str, Any]) -> None:
    require_id("input_file_id", input_file_id)
    require_text("endpoint", endpoint)
    require_choice("endpoint", endpoint, BATCH_ENDPOINTS)
    require_choice("completion_window", completion_window, BATCH_WINDOWS)
    check_metadata("metadata", params.get("metadata"))


# -- fine-tunes -------------------------------------------------------------------------

SUFFIX_LENGTH = 64
LEGACY_SUFFIX_LENGTH = 40
MAX_EPOCHS, MAX_BATCH_SIZE, MAX_SEED = 50, 256, 2_147_483_647
FINE_TUNE_METHODS = ("supervised", "dpo", "reinforcement")


def check_fine_tune(training_file: Any, model: Any, params: dict[str, Any], *, legacy: bool) -> None:
    require_id("training_file", training_file)
    if params.get("validation_file") is not None:
        require_id("validation_file", params["validation_file"])
    if not legacy:
        require_id("model", model)
    optional_text("suffix", params.get("suffix"), max_length=LEGACY_SUFFIX_LENGTH if legacy else SUFFIX_LENGTH)
    if legacy:
        for name in ("n_epochs", "batch_size"):
            require_range(name, params.get(name), 1, integer=True)
        require_positive("learning_rate_multiplier", params.get("learning_rate_multiplier"))
        return
    check_hyperparameters("", params)
    if params.get("hyperparameters") is not None:
        check_hyperparameters("hyperparameters.", _object("hyperparameters", params["hyperparameters"]))
    check_method(params.get("method"))
    require_range("seed", params.get("seed"), 0, MAX_SEED, integer=True)
    check_metadata("metadata", params.get("metadata"))


def check_hyperparameters(prefix: str, values: dict[str, Any]) -> None:
    """``n_epochs``, ``batch_size`` and ``learning_rate_multiplier``: ``"auto"`` or in range."""
    require_auto_or_range(f"{prefix}n_epochs", values.get("n_epochs"), 1, MAX_EPOCHS, integer=True)
    require_auto_or_range(f"{prefix}batch_size", values.get("batch_size"), 1, MAX_BATCH_SIZE, integer=True)
    if values.get("learning_rate_multiplier") != "auto":
        require_positive(f"{prefix}learning_rate_multiplier", values.get("learning_rate_multiplier"))


def check_method(method: Any) -> None:
    """``{"type": "supervised" | "dpo" | "reinforcement", <type>: {"hyperparameters": {...}}}``."""
    if method is None:
        return
    kind = _object("method", method).get("type")
    require_text("method.type", kind)
    require_choice("method.type", kind, FINE_TUNE_METHODS)
    settings = _object(f"method.{kind}", method.get(kind) or {})
    hyperparameters = _object(f"method.{kind}.hyperparameters", settings.get("hyperparameters") or {})
    check_hyperparameters(f"method.{kind}.hyperparameters.", hyperparameters)


def _object(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(name, f"expected an object, got {type(value).__name__}")
    return value


# -- moderation -------------------------------------------------------------------------

MODERATION_PART_TYPES = ("image_url", "text")
TEXT_MODERATION_MODELS = ("text-moderation-",)  # the legacy models: text only (OpenAI's moderation guide)


def check_moderation(input: Any, model: Any = None) -> None:  # noqa: A002
    """Text, a list of texts, or a list of text and image parts (images for the omni models)."""
    if model is not None:
        require_id("model", model)
    multi_modal = isinstance(input, (list, tuple)) and input and all(isinstance(item, dict) for item in input)
    if not multi_modal:
        require_texts("input", input)
        return
    for index, part in enumerate(input):
        check_moderation_part(f"input[{index}]", part, model)


def check_moderation_part(where: str, part: dict[str, Any], model: str | None) -> None:
    """``{"type": "text", "text": ...}`` or ``{"type": "image_url", "image_url": {"url": ...}}``."""
    if part.get("type") is None:
        raise fail(f"{where}.type", "is missing; expected 'text' or 'image_url'")
    require_choice(f"{where}.type", part["type"], MODERATION_PART_TYPES)
    if part["type"] == "text":
        require_text(f"{where}.text", part.get("text"))
        return
    image = part.get("image_url")
    require_text(f"{where}.image_url.url", image.get("url") if isinstance(image, dict) else None)
    if model is not None and model.startswith(TEXT_MODERATION_MODELS):
        raise fail(where, f"{model} classifies text only; an image needs an omni-moderation model")


# -- responses and conversations -------------------------------------------------------

RESPONSE_MIN_OUTPUT_TOKENS = 16  # CreateResponse.max_output_tokens: at least this
CONVERSATION_ITEMS = 20  # items given to a conversation in one request
SAFETY_IDENTIFIER_LENGTH = 64


def check_response(model: Any, input: Any, params: dict[str, Any]) -> None:  # noqa: A002
    """``POST /responses``: a model (unless a stored ``prompt`` names one), the input, the ranges."""
    if model is not None or params.get("prompt") is None:
        require_id("model", model)
    if input is not None:
        require_input_items("input", input)
    for name in ("temperature", "top_p"):
        require_range(name, params.get(name), *SAMPLING_RANGES[name])
    require_range("max_output_tokens", params.get("max_output_tokens"), RESPONSE_MIN_OUTPUT_TOKENS, integer=True)
    require_range("top_logprobs", params.get("top_logprobs"), 0, MAX_TOP_LOGPROBS, integer=True)
    require_range("max_tool_calls", params.get("max_tool_calls"), 1, integer=True)
    check_metadata("metadata", params.get("metadata"))
    optional_text("safety_identifier", params.get("safety_identifier"), max_length=SAFETY_IDENTIFIER_LENGTH)
    if params.get("conversation") is not None and params.get("previous_response_id") is not None:
        raise fail("conversation", "cannot be combined with previous_response_id; give one of them")
    if params.get("background") and params.get("store") is False:
        raise fail("store", "a background response must be stored; leave store unset or True")
    if params.get("background") and params.get("stream"):
        raise fail("stream", "cannot be combined with background=True: a background response is waited for")
    text = params.get("text")
    if text is not None and not isinstance(text, dict):
        raise fail("text", f"expected an object such as {{'format': {{'type': 'text'}}}}, got {type(text).__name__}")


def require_input_items(name: str, value: Any) -> None:
    """Text, or a non-empty list of input items (objects: messages, or items with a ``type``)."""
    if isinstance(value, str):
        require_text(name, value)
        return
    if not isinstance(value, (list, tuple)) or not value:
        raise fail(name, "expected text or a non-empty list of input items")
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not ("type" in item or "role" in item):
            raise fail(f"{name}[{index}]", "expected an input item: an object with a 'role' or a 'type'")


def check_conversation_items(name: str, items: Any, *, required: bool) -> None:
    """Up to 20 input items at a time (``CreateConversationBody.items``, ``POST .../items``)."""
    if items is None and not required:
        return
    require_input_items(name, items)
    if isinstance(items, str):
        raise fail(name, "expected a list of input items, not text")
    if len(items) > CONVERSATION_ITEMS:
        raise fail(name, f"has {len(items)} items; at most {CONVERSATION_ITEMS} are added at a time")


# -- speech -----------------------------------------------------------------------------

SPEECH_INPUT_LENGTH = 4096  # characters of text read aloud in one request
SPEECH_INSTRUCTIONS_LENGTH = 4096
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
SPEECH_SPEED = (0.25, 4.0)
FIXED_VOICE_MODELS = ("tts-1", "tts-1-hd")  # take no instructions and stream no events


def check_speech(model: Any, input: Any, voice: Any, params: dict[str, Any]) -> None:  # noqa: A002
    require_id("model", model)
    require_text("input", input, max_length=SPEECH_INPUT_LENGTH)
    if isinstance(voice, dict):
        require_id("voice.id", voice.get("id"))
    else:
        require_id("voice", voice)
    optional_text("instructions", params.get("instructions"), max_length=SPEECH_INSTRUCTIONS_LENGTH)
    if params.get("instructions") is not None and model in FIXED_VOICE_MODELS:
        raise fail("instructions", f"{model} takes no instructions; use gpt-4o-mini-tts")
    require_choice("response_format", params.get("response_format"), SPEECH_FORMATS)
    require_range("speed", params.get("speed"), *SPEECH_SPEED)
    require_choice("stream_format", params.get("stream_format"), ("audio",))
