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

# Sizes per image model (the GPT image family shares one list); another model is not size-checked.
IMAGE_SIZES = {
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    "gpt-image": ("1024x1024", "1536x1024", "1024x1536", "auto"),
}
# gpt-image-2 takes any WIDTHxHEIGHT: both multiples of 16, from 1:3 to 3:1, at most 3840x2160.
FREE_SIZE_MODELS = ("gpt-image-2",)
FREE_SIZE_STEP, FREE_SIZE_RATIO, FREE_SIZE_MAX = 16, 3, (3840, 2160)
IMAGE_PROMPT_LENGTH = {"dall-e-2": 1000, "dall-e-3": 4000, "gpt-image": 32000}
IMAGE_MAX_N = {"dall-e-3": 1}
IMAGE_N = 10
IMAGE_RESPONSE_FORMATS = ("url", "b64_json")
IMAGE_OUTPUT_FORMATS = ("png", "jpeg", "webp")
IMAGE_COMPRESSION = 100  # output_compression: a percentage
IMAGE_BACKGROUNDS = ("transparent", "opaque", "auto")
DALL_E_3_QUALITIES = ("standard", "hd")
DALL_E_3_STYLES = ("vivid", "natural")
IMAGE_EDIT_INPUTS = 16
DALL_E_2_UPLOAD_LIMIT = 4 * 1024 * 1024


def _image_family(model: str) -> str:
    return "gpt-image" if model.startswith("gpt-image") else model


def check_image_request(model: str | None, prompt: Any, params: dict[str, Any]) -> None:
    """The prompt's length, ``n``, ``size``, formats, ``quality`` and ``style`` for the model."""
    family = _image_family(model or "dall-e-2")
    if prompt is not None or "prompt" in params:
        require_text("prompt", prompt, max_length=IMAGE_PROMPT_LENGTH.get(family))
    require_range("n", params.get("n"), 1, IMAGE_MAX_N.get(family, IMAGE_N), integer=True)
    if (model or "").startswith(FREE_SIZE_MODELS):
        check_free_size(params.get("size"))
    elif family in IMAGE_SIZES:
        require_choice("size", params.get("size"), IMAGE_SIZES[family])
    require_choice("response_format", params.get("response_format"), IMAGE_RESPONSE_FORMATS)
    if family == "gpt-image" and params.get("response_format") == "url":
        raise fail("response_format", f"{model} always returns b64_json images; url is not supported")
    require_choice("output_format", params.get("output_format"), IMAGE_OUTPUT_FORMATS)
    require_range("output_compression", params.get("output_compression"), 0, IMAGE_COMPRESSION, integer=True)
    require_choice("background", params.get("background"), IMAGE_BACKGROUNDS)
    if family == "dall-e-3":
        require_choice("quality", params.get("quality"), DALL_E_3_QUALITIES)
        require_choice("style", params.get("style"), DALL_E_3_STYLES)


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
    """The images to edit (or vary): DALL·E 2 takes one square PNG under 4 MB; the GPT image
    models up to 16 images. A mask is a PNG under 4 MB of the (first) image's size."""
    if not images:
        raise fail("image", "no image given")
    if len(images) > IMAGE_EDIT_INPUTS:
        raise fail("image", f"{len(images)} images given; at most {IMAGE_EDIT_INPUTS} are allowed")
    if model == "dall-e-2" and len(images) > 1:
        raise fail("image", "dall-e-2 takes one image")
    _, size, head = describe(images[0], argument="image")
    if model == "dall-e-2":
        dimensions: tuple[int, int] | None = check_square_png("image", size, head)
    else:  # a GPT image model also takes JPEG and WebP, whose size is not read here
        dimensions = png_dimensions(head) if head.startswith(PNG_SIGNATURE) and len(head) >= 24 else None
    if mask is not None:
        _, mask_size, mask_head = describe(mask, argument="mask")
        mask_dimensions = check_png("mask", mask_size, mask_head)
        if dimensions is not None and mask_dimensions != dimensions:
            raise fail("mask", f"is {mask_dimensions[0]}x{mask_dimensions[1]}; it must have the same size as image")


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


# -- files ------------------------------------------------------------------------------

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
UPLOAD_LIMIT = 512 * 1024 * 1024  # bytes one POST /files takes
UPLOADS_LIMIT = 8 * 1024**3  # bytes one Upload (the Uploads API, in parts) takes
UPLOADS_PART_LIMIT = 64 * 1024 * 1024  # bytes one part of an Upload takes
UPLOADS_PURPOSES = ("assistants", "batch", "fine-tune", "vision")  # CreateUploadRequest.purpose
FILE_EXPIRY_SECONDS = (3600, 2_592_000)  # expires_after.seconds: an hour to 30 days
FILE_EXPIRY_ANCHORS = ("created_at",)
FILE_LIST_ORDERS = ("asc", "desc")


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


def check_moderation(input: Any) -> None:  # noqa: A002
    """Text, a list of texts, or a list of multi-modal parts (checked by the API itself)."""
    multi_modal = isinstance(input, (list, tuple)) and input and all(isinstance(item, dict) for item in input)
    if not multi_modal:
        require_texts("input", input)
