"""Every limit ``validation.py`` checks is OpenAI's, as its specification states it.

Each constant is compared with the schema field that states the limit (``maximum``,
``maxItems``, ``maxLength``, ``enum``) or, where the spec only says it in words (the
image prompts' lengths, metadata, upload sizes), with the number read out of the
description, so that a change in the spec fails here. Today's limits come from
``openapi-current.yaml``, the removed endpoints' from ``openapi-2023-legacy.yaml``.

Not in either spec, so not checked here: the audio upload limit (25 MB), the native
sizes of the embedding models (``EMBEDDING_DIMENSIONS``) and the text-moderation models'
text-only input (``TEXT_MODERATION_MODELS``, from OpenAI's moderation guide). Refusing
streamed images (``STREAMED_IMAGE_PARAMETERS``) is this provider's choice, not a limit.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from airflow_provider_openai_adv import validation as v

# -- reading the spec ------------------------------------------------------------------------


def schema(document: dict[str, Any], node: Any) -> dict[str, Any]:
    """``node`` with its ``$ref`` followed (a schema name is a ref too)."""
    if isinstance(node, str):
        node = {"$ref": f"#/components/schemas/{node}"}
    while "$ref" in node:
        node = document["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def properties(document: dict[str, Any], node: Any) -> dict[str, Any]:
    """The properties of an object schema, through ``allOf``."""
    node = schema(document, node)
    found: dict[str, Any] = {}
    for part in node.get("allOf", []):
        found.update(properties(document, part))
    return {**found, **node.get("properties", {})}


def branches(document: dict[str, Any], node: Any) -> list[dict[str, Any]]:
    """The alternatives of a schema (``anyOf`` / ``oneOf``), refs followed, nulls left out."""
    node = schema(document, node)
    options = node.get("anyOf") or node.get("oneOf")
    if not options:
        return [node]
    found = []
    for option in options:
        found.extend(branches(document, option))
    return [option for option in found if option.get("type") not in ("null", ["null"])]


def field(document: dict[str, Any], schema_name: str, *path: str, kind: str | None = None) -> dict[str, Any]:
    """A (nested) property's schema; with ``kind``, its alternative of that JSON type."""
    node: Any = schema_name
    for name in path:
        node = properties(document, node)[name]
    options = branches(document, node)
    if kind is None:
        assert len(options) == 1, f"{schema_name}.{'.'.join(path)} has {len(options)} alternatives"
        return options[0]
    typed = [option for option in options if kind in _types(option)]
    assert len(typed) == 1, f"{schema_name}.{'.'.join(path)} has {len(typed)} alternatives of type {kind}"
    return typed[0]


def _types(node: dict[str, Any]) -> list[str]:
    kinds = node.get("type", [])
    return [kinds] if isinstance(kinds, str) else list(kinds)


def enum(node: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(value for value in node["enum"] if value is not None)


def description(node: dict[str, Any]) -> str:
    """The description with its line breaks and runs of spaces made single spaces."""
    return " ".join(node["description"].split())


def said(text: str, pattern: str) -> re.Match[str]:
    """``pattern`` found in ``text`` (the spec's wording); fails, quoting it, when not."""
    match = re.search(pattern, text)
    assert match, f"the spec no longer says {pattern!r}: {text[:400]!r}"
    return match


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return document["paths"][path][method]


def parameter(document: dict[str, Any], method: str, path: str, name: str) -> dict[str, Any]:
    found = [p for p in operation(document, method, path).get("parameters", []) if p["name"] == name]
    assert len(found) == 1, f"{method.upper()} {path} has no parameter {name}"
    return found[0]


# -- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("request_schema", ["CreateChatCompletionRequest", "CreateCompletionRequest"])
def test_sampling_ranges_and_n(current_document, request_schema):
    for name, (low, high) in v.SAMPLING_RANGES.items():
        spec = field(current_document, request_schema, name)
        assert (spec["minimum"], spec["maximum"]) == (low, high), name
    n = field(current_document, request_schema, "n")
    assert (n["minimum"], n["maximum"]) == (1, v.MAX_N)


def test_stop_sequences(current_document, legacy_document):
    for document in (current_document, legacy_document):
        lists = field(document, "CreateChatCompletionRequest", "stop", kind="array")
        assert (lists["minItems"], lists["maxItems"]) == (1, v.MAX_STOP_SEQUENCES)
    assert said(description(schema(current_document, "StopConfiguration")), r"Up to (\d+) sequences")[1] == "4"


def test_logit_bias(current_document):
    for request_schema in ("CreateChatCompletionRequest", "CreateCompletionRequest"):
        spec = field(current_document, request_schema, "logit_bias")
        assert spec["additionalProperties"] == {"type": "integer"}
        bounds = said(description(spec), r"bias value from (-\d+) to (\d+)")
        assert (int(bounds[1]), int(bounds[2])) == (-v.LOGIT_BIAS, v.LOGIT_BIAS)


def test_seed_is_a_64_bit_integer(current_document):
    seed = field(current_document, "CreateChatCompletionRequest", "seed")
    # The spec writes the 64-bit bounds as a double would round them.
    assert (float(seed["minimum"]), float(seed["maximum"])) == tuple(map(float, v.SEED_RANGE))
    assert field(current_document, "CreateCompletionRequest", "seed")["format"] == "int64"


def test_chat_limits(current_document):
    top_logprobs = field(current_document, "CreateChatCompletionRequest", "top_logprobs")
    assert (top_logprobs["minimum"], top_logprobs["maximum"]) == (0, v.MAX_TOP_LOGPROBS)
    assert "`logprobs` must be set to `true`" in description(top_logprobs)
    tokens = field(current_document, "CreateChatCompletionRequest", "max_completion_tokens")
    assert "minimum" not in tokens or tokens["minimum"] <= 1  # 0 tokens is no answer: refused here
    messages = field(current_document, "CreateChatCompletionRequest", "messages")
    assert messages["minItems"] == 1


def test_chat_roles(current_document):
    roles = set()
    for message in branches(current_document, "ChatCompletionRequestMessage"):
        roles.update(enum(properties(current_document, message)["role"]))
    assert roles == set(v.CHAT_ROLES)


def test_response_formats(current_document):
    formats = properties(current_document, "CreateChatCompletionRequest")["response_format"]
    types = [enum(properties(current_document, option)["type"]) for option in branches(current_document, formats)]
    assert sorted(value for values in types for value in values) == sorted(v.RESPONSE_FORMATS)
    name = properties(current_document, "ResponseFormatJsonSchema")["json_schema"]["properties"]["name"]
    length = int(said(description(name), r"maximum length of (\d+)")[1])
    assert v.SCHEMA_NAME.match("a" * length) and not v.SCHEMA_NAME.match("a" * (length + 1))
    assert said(description(name), r"Must be a-z, A-Z, 0-9, or contain underscores and dashes")


def test_metadata(current_document):
    text = description(branches(current_document, "Metadata")[0])
    pairs = said(text, r"Set of (\d+) key-value pairs")[1]
    key = said(text, r"Keys are strings with a maximum length of (\d+) characters")[1]
    value = said(text, r"Values are strings with a maximum length of (\d+) characters")[1]
    assert (int(pairs), int(key), int(value)) == (v.METADATA_PAIRS, v.METADATA_KEY_LENGTH, v.METADATA_VALUE_LENGTH)


def test_completion_limits(current_document):
    best_of = field(current_document, "CreateCompletionRequest", "best_of")
    assert (best_of["minimum"], best_of["maximum"]) == (0, v.MAX_BEST_OF)
    logprobs = field(current_document, "CreateCompletionRequest", "logprobs")
    assert (logprobs["minimum"], logprobs["maximum"]) == (0, v.MAX_COMPLETION_LOGPROBS)
    assert field(current_document, "CreateCompletionRequest", "max_tokens")["minimum"] == 0


def test_edit_limits(legacy_document):
    n = field(legacy_document, "CreateEditRequest", "n")
    assert (n["minimum"], n["maximum"]) == (1, v.EDIT_MAX_N)
    for name in ("temperature", "top_p"):
        spec = field(legacy_document, "CreateEditRequest", name)
        assert (spec["minimum"], spec["maximum"]) == v.SAMPLING_RANGES[name]


# -- images ----------------------------------------------------------------------------------


def test_image_prompt_lengths(current_document, legacy_document):
    text = description(field(current_document, "CreateImageRequest", "prompt"))
    stated = {
        "gpt-image": said(text, r"(\d+) characters for the GPT image models")[1],
        "dall-e-2": said(text, r"(\d+) characters for `dall-e-2`")[1],
        "dall-e-3": said(text, r"(\d+) characters for `dall-e-3`")[1],
    }
    assert {model: int(length) for model, length in stated.items()} == v.IMAGE_PROMPT_LENGTH
    edit = description(field(current_document, "CreateImageEditRequest", "prompt"))
    assert int(said(edit, r"(\d+) characters for `dall-e-2`")[1]) == v.IMAGE_PROMPT_LENGTH["dall-e-2"]
    assert int(said(edit, r"(\d+) characters for the GPT image models")[1]) == v.IMAGE_PROMPT_LENGTH["gpt-image"]
    legacy = description(field(legacy_document, "CreateImageRequest", "prompt"))
    assert int(said(legacy, r"maximum length is (\d+) characters")[1]) == v.IMAGE_PROMPT_LENGTH["dall-e-2"]


def test_image_n(current_document):
    for request_schema in ("CreateImageRequest", "CreateImageEditRequest", "CreateImageVariationRequest"):
        n = field(current_document, request_schema, "n")
        assert (n["minimum"], n["maximum"]) == (1, v.IMAGE_N), request_schema
    text = description(field(current_document, "CreateImageRequest", "n"))
    assert {"dall-e-3": int(said(text, r"For `dall-e-3`, only `n=(\d+)` is supported")[1])} == v.IMAGE_MAX_N


def test_image_sizes(current_document):
    text = description(properties(current_document, "CreateImageRequest")["size"])
    stated = {
        model: tuple(re.findall(r"`(\d+x\d+)`", said(text, rf"For `{model}`, use one of ([^.]*)\.")[1]))
        for model in ("dall-e-2", "dall-e-3")
    }
    standard = re.findall(r"`(\d+x\d+)`", said(text, r"The standard sizes (.*?) are supported by the GPT image")[1])
    said(text, r"`auto` is supported for models that allow automatic sizing")
    stated["gpt-image"] = (*standard, "auto")
    assert stated == v.IMAGE_SIZES
    variation = field(current_document, "CreateImageVariationRequest", "size")
    assert enum(variation) == v.IMAGE_SIZES["dall-e-2"]


def test_free_sizes_of_gpt_image_2(current_document):
    text = description(properties(current_document, "CreateImageRequest")["size"])
    models = said(text, r"For (`gpt-image-2`.*?), arbitrary resolutions are supported")[1]
    assert all(model.startswith(v.FREE_SIZE_MODELS) for model in re.findall(r"`([^`]+)`", models))
    assert int(said(text, r"must both be divisible by (\d+)")[1]) == v.FREE_SIZE_STEP
    ratio = said(text, r"aspect ratio must be between 1:(\d+) and (\d+):1")
    assert int(ratio[1]) == int(ratio[2]) == v.FREE_SIZE_RATIO
    largest = said(text, r"maximum supported resolution is `(\d+)x(\d+)`")
    assert (int(largest[1]), int(largest[2])) == v.FREE_SIZE_MAX


def test_image_formats_and_options(current_document):
    request = "CreateImageRequest"
    assert enum(field(current_document, request, "output_format")) == v.IMAGE_OUTPUT_FORMATS
    assert enum(field(current_document, "CreateImageEditRequest", "output_format")) == v.IMAGE_OUTPUT_FORMATS
    assert enum(field(current_document, request, "response_format")) == v.IMAGE_RESPONSE_FORMATS
    assert enum(field(current_document, request, "background")) == v.IMAGE_BACKGROUNDS
    assert enum(field(current_document, request, "moderation")) == v.IMAGE_MODERATIONS
    assert enum(field(current_document, request, "style")) == v.DALL_E_3_STYLES
    assert enum(field(current_document, "CreateImageEditRequest", "input_fidelity")) == v.INPUT_FIDELITIES
    for request_schema in (request, "CreateImageEditRequest"):
        compression = description(field(current_document, request_schema, "output_compression"))
        assert said(compression, r"\((\d+)-(\d+)%\)").groups() == ("0", str(v.IMAGE_COMPRESSION))
        formats = said(compression, r"GPT image models with the `(\w+)` or `(\w+)` output formats").groups()
        assert set(formats) == set(v.COMPRESSED_FORMATS)
        background = description(field(current_document, request_schema, "background"))
        transparent = said(background, r"When using `transparent`, set the output format to `(\w+)` or `(\w+)`")
        assert transparent.groups() == v.TRANSPARENT_FORMATS


def test_image_qualities_per_model(current_document):
    quality = field(current_document, "CreateImageRequest", "quality")
    text = description(quality)
    said(text, r"`auto` \(default value\) will automatically select the best quality for the given model")
    stated = {
        "gpt-image": said(text, r"`(\w+)`, `(\w+)` and `(\w+)` are supported for the GPT image models").groups(),
        "dall-e-3": said(text, r"`(\w+)` and `(\w+)` are supported for `dall-e-3`").groups(),
        "dall-e-2": said(text, r"`(\w+)` is the only option for `dall-e-2`").groups(),
    }
    assert {family: {*qualities, "auto"} for family, qualities in stated.items()} == {
        family: set(qualities) for family, qualities in v.IMAGE_QUALITIES.items()
    }
    assert enum(quality) == v.ALL_IMAGE_QUALITIES
    assert set(enum(field(current_document, "CreateImageEditRequest", "quality"))) <= set(v.ALL_IMAGE_QUALITIES)


def test_options_only_some_image_models_take(current_document):
    def text(name: str, request_schema: str = "CreateImageRequest") -> str:
        return description(field(current_document, request_schema, name))

    for name in (*v.GPT_IMAGE_PARAMETERS, "stream"):
        said(text(name), r"(only supported for|generated by) the GPT image models")
    model = description(properties(current_document, "CreateImageRequest")["model"])
    said(model, r"Defaults to `dall-e-2` unless a parameter specific to the GPT image models is used")
    said(text("response_format"), r"isn't supported for the GPT image models, which always return base64")
    said(text("response_format", "CreateImageEditRequest"), r"only supported for `dall-e-2`")
    said(text("style"), r"only supported for `dall-e-3`")
    assert "input_fidelity" not in properties(current_document, "CreateImageRequest")  # edits only
    fidelity = text("input_fidelity", "CreateImageEditRequest")
    assert tuple(re.findall(r"unsupported for `([^`]+)`", fidelity)) == v.NO_INPUT_FIDELITY


def test_image_models_per_action(current_document):
    for request_schema in ("CreateImageRequest", "CreateImageEditRequest"):
        named = properties(current_document, request_schema)["model"]
        models = [value for option in branches(current_document, named) for value in option.get("enum", [])]
        assert models and all(v.image_family(model, {}) is not None for model in models), models
    edits = " ".join(operation(current_document, "post", "/images/edits")["summary"].split())
    gpt_models = said(edits, r"This endpoint supports GPT Image models \((.*?)\) and `dall-e-2`")[1]
    assert {v.image_family(model, {}) for model in re.findall(r"`([^`]+)`", gpt_models)} == {v.GPT_IMAGE}
    assert v.IMAGE_ACTION_FAMILIES["edits"] == ("dall-e-2", v.GPT_IMAGE)
    variations = " ".join(operation(current_document, "post", "/images/variations")["summary"].split())
    assert (said(variations, r"This endpoint only supports `([^`]+)`")[1],) == v.IMAGE_ACTION_FAMILIES["variations"]


def test_image_inputs(current_document):
    images = field(current_document, "CreateImageEditRequest", "image", kind="array")
    assert images["maxItems"] == v.IMAGE_EDIT_INPUTS
    text = description(properties(current_document, "CreateImageEditRequest")["image"])
    assert int(said(text, r"You can provide up to (\d+) images")[1]) == v.IMAGE_EDIT_INPUTS
    types, megabytes = said(text, r"each image should be a (.*?) file less than (\d+)MB").groups()
    assert tuple(re.findall(r"`(\w+)`", types)) == v.GPT_IMAGE_INPUT_TYPES
    assert int(megabytes) * 1024 * 1024 == v.GPT_IMAGE_UPLOAD_LIMIT
    said(text, r"For `dall-e-2`, you can only provide one image, and it should be a square `png` file less than 4MB")
    for request_schema, name in [
        ("CreateImageVariationRequest", "image"),
        ("CreateImageEditRequest", "mask"),
    ]:
        text = description(properties(current_document, request_schema)[name])
        assert int(said(text, r"less than (\d+)MB")[1]) * 1024 * 1024 == v.DALL_E_2_UPLOAD_LIMIT
    assert said(description(properties(current_document, "CreateImageVariationRequest")["image"]), r"and square")


# -- embeddings, audio, moderation -----------------------------------------------------------


def test_embedding_limits(current_document):
    arrays = [
        option
        for option in branches(current_document, properties(current_document, "CreateEmbeddingRequest")["input"])
        if "array" in _types(option)
    ]
    assert arrays and all(option["maxItems"] == v.EMBEDDING_INPUTS for option in arrays)
    dimensions = field(current_document, "CreateEmbeddingRequest", "dimensions")
    assert dimensions["minimum"] == 1
    assert said(description(dimensions), r"Only supported in `text-embedding-3` and later models")
    assert enum(field(current_document, "CreateEmbeddingRequest", "encoding_format")) == v.EMBEDDING_FORMATS


def test_audio_limits(current_document):
    for request_schema in ("CreateTranscriptionRequest", "CreateTranslationRequest"):
        text = description(properties(current_document, request_schema)["file"])
        formats = said(text, r"in one of these formats: ([a-z0-9, ]+?)\.")[1]
        assert tuple(re.split(r",\s*(?:or\s+)?", formats)) == v.AUDIO_EXTENSIONS
        temperature = description(field(current_document, request_schema, "temperature"))
        assert said(temperature, r"between (\d+) and (\d+)").groups() == ("0", str(v.AUDIO_TEMPERATURE))
    assert enum(field(current_document, "CreateTranslationRequest", "response_format")) == v.AUDIO_FORMATS
    assert enum(field(current_document, "CreateTranscriptionRequest", "response_format")) == v.TRANSCRIPTION_FORMATS
    granularities = description(field(current_document, "CreateTranscriptionRequest", "timestamp_granularities"))
    assert said(granularities, r"`response_format` must be set `verbose_json`")


def test_moderation_input_parts(current_document):
    options = branches(current_document, properties(current_document, "CreateModerationRequest")["input"])
    (parts,) = [option["items"] for option in options if "oneOf" in option.get("items", {})]
    kinds = [value for part in parts["oneOf"] for value in enum(part["properties"]["type"])]
    assert sorted(kinds) == sorted(v.MODERATION_PART_TYPES)
    assert all(part["required"] == ["type", part["properties"]["type"]["enum"][0]] for part in parts["oneOf"])


# -- files and fine-tunes --------------------------------------------------------------------


def test_file_limits(current_document):
    assert enum(field(current_document, "CreateFileRequest", "purpose")) == v.FILE_PURPOSES
    summary = " ".join(operation(current_document, "post", "/files")["summary"].split())
    assert int(said(summary, r"Individual files can be up to (\d+) MB")[1]) * 1024 * 1024 == v.UPLOAD_LIMIT
    seconds = field(current_document, "FileExpirationAfter", "seconds")
    assert (seconds["minimum"], seconds["maximum"]) == v.FILE_EXPIRY_SECONDS
    assert enum(field(current_document, "FileExpirationAfter", "anchor")) == v.FILE_EXPIRY_ANCHORS
    assert enum(parameter(current_document, "get", "/files", "order")["schema"]) == v.LIST_ORDERS


def test_fine_tune_limits(current_document, legacy_document):
    assert field(current_document, "CreateFineTuningJobRequest", "suffix")["maxLength"] == v.SUFFIX_LENGTH
    assert field(legacy_document, "CreateFineTuneRequest", "suffix")["maxLength"] == v.LEGACY_SUFFIX_LENGTH
    seed = field(current_document, "CreateFineTuningJobRequest", "seed")
    assert (seed["minimum"], seed["maximum"]) == (0, v.MAX_SEED)
    assert enum(field(current_document, "FineTuneMethod", "type")) == v.FINE_TUNE_METHODS


@pytest.mark.parametrize(
    "hyperparameters",
    ["FineTuneSupervisedHyperparameters", "FineTuneDPOHyperparameters", "FineTuneReinforcementHyperparameters"],
)
def test_fine_tune_hyperparameters(current_document, hyperparameters):
    epochs = field(current_document, hyperparameters, "n_epochs", kind="integer")
    assert (epochs["minimum"], epochs["maximum"]) == (1, v.MAX_EPOCHS)
    batch = field(current_document, hyperparameters, "batch_size", kind="integer")
    assert (batch["minimum"], batch["maximum"]) == (1, v.MAX_BATCH_SIZE)
    multiplier = field(current_document, hyperparameters, "learning_rate_multiplier", kind="number")
    assert multiplier["exclusiveMinimum"] == 0  # above 0: require_positive
    for name in ("n_epochs", "batch_size", "learning_rate_multiplier"):
        assert enum(field(current_document, hyperparameters, name, kind="string")) == ("auto",)


def test_deprecated_hyperparameters_share_the_limits(current_document):
    epochs = field(current_document, "CreateFineTuningJobRequest", "hyperparameters", "n_epochs", kind="integer")
    batch = field(current_document, "CreateFineTuningJobRequest", "hyperparameters", "batch_size", kind="integer")
    assert (epochs["maximum"], batch["maximum"]) == (v.MAX_EPOCHS, v.MAX_BATCH_SIZE)


# -- bulk work -------------------------------------------------------------------------------


def test_embedding_token_limits(current_document):
    text = description(properties(current_document, "CreateEmbeddingRequest")["input"])
    assert int(said(text, r"\((\d+) tokens for all embedding models\)")[1]) == v.EMBEDDING_INPUT_TOKENS
    summed = said(text, r"maximum of ([\d,]+) tokens summed across all inputs in a single request")[1]
    assert int(summed.replace(",", "")) == v.EMBEDDING_REQUEST_TOKENS


def test_batch_limits(current_document):
    endpoint = field(current_document, "CreateBatchRequest", "endpoint")
    assert enum(endpoint) == v.BATCH_ENDPOINTS
    inputs = said(description(endpoint), r"maximum of ([\d,]+) embedding inputs across all requests in the batch")[1]
    assert int(inputs.replace(",", "")) == v.BATCH_EMBEDDING_INPUTS
    file_text = description(field(current_document, "CreateBatchRequest", "input_file_id"))
    requests, megabytes = said(file_text, r"can contain up to ([\d,]+) requests, and can be up to (\d+) MB").groups()
    assert (int(requests.replace(",", "")), int(megabytes) * 1024 * 1024) == (v.BATCH_REQUESTS, v.BATCH_FILE_BYTES)
    assert enum(field(current_document, "CreateBatchRequest", "completion_window")) == v.BATCH_WINDOWS


def test_upload_limits(current_document):
    create = " ".join(operation(current_document, "post", "/uploads")["summary"].split())
    assert int(said(create, r"an Upload can accept at most (\d+) GB in total")[1]) * 1024**3 == v.UPLOADS_LIMIT
    part = " ".join(operation(current_document, "post", "/uploads/{upload_id}/parts")["summary"].split())
    assert int(said(part, r"Each Part can be at most (\d+) MB")[1]) * 1024 * 1024 == v.UPLOADS_PART_LIMIT
    assert enum(field(current_document, "CreateUploadRequest", "purpose")) == v.UPLOADS_PURPOSES


# -- responses, conversations, speech ---------------------------------------------------------


def test_response_limits(current_document):
    for name in ("temperature", "top_p"):
        spec = field(current_document, "CreateResponse", name, kind="number")
        assert (spec["minimum"], spec["maximum"]) == v.SAMPLING_RANGES[name], name
    tokens = field(current_document, "CreateResponse", "max_output_tokens", kind="integer")
    assert tokens["minimum"] == v.RESPONSE_MIN_OUTPUT_TOKENS
    top_logprobs = field(current_document, "CreateResponse", "top_logprobs")
    assert (top_logprobs["minimum"], top_logprobs["maximum"]) == (0, v.MAX_TOP_LOGPROBS)
    identifier = field(current_document, "CreateResponse", "safety_identifier", kind="string")
    assert identifier["maxLength"] == v.SAFETY_IDENTIFIER_LENGTH
    previous = field(current_document, "CreateResponse", "previous_response_id", kind="string")
    said(description(previous), r"Cannot be used in conjunction with `conversation`")


def test_conversation_item_limits(current_document):
    initial = field(current_document, "CreateConversationBody", "items", kind="array")
    assert initial["maxItems"] == v.CONVERSATION_ITEMS
    body = operation(current_document, "post", "/conversations/{conversation_id}/items")["requestBody"]
    assert body["content"]["application/json"]["schema"]["properties"]["items"]["maxItems"] == v.CONVERSATION_ITEMS
    order = parameter(current_document, "get", "/conversations/{conversation_id}/items", "order")
    assert enum(order["schema"]) == v.LIST_ORDERS


def test_speech_limits(current_document):
    assert field(current_document, "CreateSpeechRequest", "input")["maxLength"] == v.SPEECH_INPUT_LENGTH
    assert field(current_document, "CreateSpeechRequest", "instructions")["maxLength"] == v.SPEECH_INSTRUCTIONS_LENGTH
    assert enum(field(current_document, "CreateSpeechRequest", "response_format")) == v.SPEECH_FORMATS
    speed = field(current_document, "CreateSpeechRequest", "speed")
    assert (speed["minimum"], speed["maximum"]) == v.SPEECH_SPEED
    instructions = description(field(current_document, "CreateSpeechRequest", "instructions"))
    said(instructions, "Does not work with `tts-1` or `tts-1-hd`")
    assert v.FIXED_VOICE_MODELS == ("tts-1", "tts-1-hd")
