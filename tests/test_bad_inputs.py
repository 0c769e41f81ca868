"""The catalogue of bad inputs: each fails fast, naming its argument, and costs nothing.

"Bad input gets a clear error that names the argument, before any request is sent, and
nothing is lost or half-written." One table, every family of operators. For each case:

1. the error is an ``OpenAIValidationError`` — for an operator, the ``AirflowFailException``
   it fails fast with (no retries), whose message is the validation error's;
2. the message starts with the argument's name (``messages[0].content`` for a nested one);
3. the emulator received no request;
4. nothing was left behind: no file in the test's folders (not even a hidden ``.part``
   file or a staging folder), no file or job in the emulator.

Operators run on the fast tier (``tests/tasks.py``: rendered, then executed in-process),
so templated arguments are rendered as a worker renders them. Input files are made in a
fresh folder per case; ``OUT`` is an empty output folder beside it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators import (
    OpenAIAddConversationItemsOperator,
    OpenAIBatchOperator,
    OpenAIBulkRequestsOperator,
    OpenAICancelBatchOperator,
    OpenAICancelFineTuneOperator,
    OpenAICheckFineTuneDataOperator,
    OpenAICreateChatCompletionOperator,
    OpenAICreateCompletionOperator,
    OpenAICreateConversationOperator,
    OpenAICreateEditOperator,
    OpenAICreateEmbeddingsOperator,
    OpenAICreateFineTuneOperator,
    OpenAICreateImageEditOperator,
    OpenAICreateImageOperator,
    OpenAICreateImageVariationOperator,
    OpenAICreateModerationOperator,
    OpenAICreateResponseOperator,
    OpenAICreateSpeechOperator,
    OpenAICreateTranscriptionOperator,
    OpenAICreateTranslationOperator,
    OpenAIDeleteConversationOperator,
    OpenAIDeleteFileOperator,
    OpenAIDeleteFineTunedModelOperator,
    OpenAIEvaluateModelOperator,
    OpenAIListBatchesOperator,
    OpenAIListFilesOperator,
    OpenAIListFineTuneEventsOperator,
    OpenAIListFineTunesOperator,
    OpenAIRetrieveBatchOperator,
    OpenAIRetrieveEngineOperator,
    OpenAIRetrieveFileContentOperator,
    OpenAIRetrieveFileOperator,
    OpenAIRetrieveFineTuneOperator,
    OpenAIUploadFileOperator,
)
from airflow_provider_openai_adv.testing.fine_tuning import FineTuningStore
from airflow_provider_openai_adv.testing.png import encode_png
from tests.dag_runs import names_argument
from tests.fine_tuning import GOOD_EXAMPLES, training_jsonl
from tests.media import make_wav
from tests.tasks import run_task

# -- inputs: files made for a case when it runs ----------------------------------------------


class Inputs:
    """A case's folders: ``in`` for the files it reads, ``out`` (empty) for what it would write."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "in"
        self.out = root / "out"
        self.folder.mkdir()
        self.out.mkdir()

    def write(self, name: str, data: bytes) -> str:
        path = self.folder / name
        path.write_bytes(data)
        return str(path)


@dataclass(frozen=True)
class Make:
    """An argument made when the case runs: ``make(inputs)`` gives its value."""

    make: Callable[[Inputs], Any]


def file(name: str, data: bytes) -> Make:
    return Make(lambda inputs: inputs.write(name, data))


def png(width: int, height: int, name: str = "picture.png") -> Make:
    return file(name, encode_png(width, height, seed=width + height))


def wav(name: str = "speech.wav") -> Make:
    return file(name, make_wav(0.5))


def jsonl(name: str, *records: Any) -> Make:
    return file(name, "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode())


def directory(name: str) -> Make:
    """A folder named like the file expected: it exists, but cannot be read as one."""
    return Make(lambda inputs: _made(inputs.folder / name, Path.mkdir))


def broken_link(name: str) -> Make:
    return Make(lambda inputs: _made(inputs.folder / name, lambda path: path.symlink_to(inputs.folder / "gone")))


def fifo(name: str) -> Make:
    """A named pipe: opening it to read would block until a writer came."""
    return Make(lambda inputs: _made(inputs.folder / name, lambda path: os.mkfifo(path)))


def unreadable(name: str, data: bytes) -> Make:
    """A file without read permission (root reads it anyway: those cases are skipped)."""
    return Make(lambda inputs: _made(inputs.folder / name, lambda path: (path.write_bytes(data), path.chmod(0))))


def _sparse(path: str, size: int) -> str:
    """The file at ``path`` grown to ``size`` bytes without writing them (a sparse file)."""
    os.truncate(path, size)
    return path


def _made(path: Path, make: Callable[[Path], Any]) -> str:
    make(path)
    return str(path)


OUT = Make(lambda inputs: str(inputs.out))  # an existing, empty folder
TAKEN = file("taken.txt", b"already here")  # an existing file, where a folder is expected
UNDER_A_FILE = Make(lambda inputs: inputs.write("taken.txt", b"x") + "/deeper")
MISSING = Make(lambda inputs: str(inputs.folder / "no-such-file"))


def resolve(value: Any, inputs: Inputs) -> Any:
    if isinstance(value, Make):
        return value.make(inputs)
    if isinstance(value, list):
        return [resolve(item, inputs) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, inputs) for key, item in value.items()}
    return value


# -- the table -----------------------------------------------------------------------------

NO_VALUE = "{{ params.missing }}"  # renders "" (a missing param)
NONE_VALUE = "{{ params.get('missing') }}"  # renders "None" (as a missing XCom does)
NOT_AS_ROOT = pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")


@dataclass
class Case:
    family: str
    name: str
    argument: str  # the name the message must start with
    target: type | str  # an operator class, or the name of an OpenAIAdvHook method
    arguments: dict[str, Any] = field(default_factory=dict)
    legacy: bool = False  # a hook method on the 2023 endpoints
    marks: tuple[Any, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.family}-{self.name}"

    def subject(self, inputs: Inputs) -> Any:
        """The operator, or a call of the hook method, with the case's arguments made."""
        arguments = resolve(self.arguments, inputs)
        if isinstance(self.target, str):
            method = getattr(OpenAIAdvHook.for_connection(legacy=self.legacy), self.target)
            return lambda: method(**arguments)
        return self.target(task_id=f"bad_{self.family}", **arguments)


def cases(family: str, target: type | str, base: dict[str, Any], *rows: tuple, legacy: bool = False) -> list[Case]:
    """Rows of ``(name, argument, arguments[, marks])``; each row's arguments update ``base``."""
    return [
        Case(family, name, argument, target, {**base, **arguments}, legacy, *rest)
        for name, argument, arguments, *rest in rows
    ]


def id_cases(family: str, action: str, target: type, name: str, base: dict[str, Any] | None = None) -> list[Case]:
    """An id that is empty, the text ``None``, or a template rendering either."""
    values = {"empty": "", "None": "None", "template-missing": NO_VALUE, "template-None": NONE_VALUE}
    return [
        Case(family, f"{action}-{name}-{label}", name, target, {**(base or {}), name: value})
        for label, value in values.items()
    ]


HELLO = [{"role": "user", "content": "Hello"}]
CHAT = {"model": "gpt-4o-mini", "messages": HELLO}
INSTRUCT = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test"}
METADATA_17 = {f"key{i}": "value" for i in range(17)}
BAD_TRAINING = jsonl("train.jsonl", *GOOD_EXAMPLES, {"messages": [{"role": "user"}]}, "not json")
EVAL_SET = jsonl("eval.jsonl", {"prompt": "2 + 2?", "expected": "4"})
EVAL = {"eval_file": EVAL_SET, "models": ["gpt-4o-mini"]}
WAIT = {"training_file": "file-abc123", "model": "gpt-4o-mini", "wait_for_completion": True, "deferrable": False}
FT = {"training_file": "file-abc123", "model": "gpt-4o-mini"}
LEGACY_FT = {"training_file": "file-abc123", "model": "davinci", "legacy": True}
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
HUGE_PNG = Make(lambda inputs: inputs.write("huge.png", encode_png(8, 8, seed=1) + bytes(4 * 1024 * 1024)))
PNG_OF_50_MB = Make(lambda inputs: _sparse(inputs.write("huge.png", encode_png(8, 8, seed=1)), 50 * 1024 * 1024))
SEVENTEEN_PNGS = Make(lambda inputs: [inputs.write(f"in-{i}.png", encode_png(16, 16, seed=i)) for i in range(17)])

GPT_IMAGE = {"model": "gpt-image-1", "output_path": OUT}
BATCH = {
    "input": [{"text": "one"}, {"text": "two"}],
    "endpoint": "/v1/embeddings",
    "body": {"model": "text-embedding-3-small", "input": "{text}"},
    "output_path": Make(lambda inputs: str(inputs.out / "results.jsonl")),
    "deferrable": False,
}  # its answers are b64_json: they need a folder

BULK = {key: value for key, value in BATCH.items() if key != "deferrable"}
RESPONSE = {"model": "gpt-4o-mini", "input": "Hello"}
SPEECH = {"input": "Hello", "voice": "coral", "output_path": OUT}

# fmt: off
CASES: list[Case] = [
    # -- models ---------------------------------------------------------------------------
    *id_cases("models", "delete", OpenAIDeleteFineTunedModelOperator, "model"),
    *cases(
        "models", "retrieve_model", {},
        ("hook-retrieve-empty", "model", {"model": ""}),
        ("hook-retrieve-dot-dot", "model", {"model": ".."}),
    ),
    # -- completions ----------------------------------------------------------------------
    *cases(
        "completions", OpenAICreateCompletionOperator, INSTRUCT,
        ("prompt-empty", "prompt", {"prompt": ""}),
        ("prompt-list-with-empty", "prompt[1]", {"prompt": ["fine", " "]}),
        ("model-None", "model", {"model": NONE_VALUE}),
        ("temperature-above-2", "temperature", {"temperature": 2.5}),
        ("top_p-above-1", "top_p", {"top_p": 1.5}),
        ("n-zero", "n", {"n": 0}),
        ("n-above-128", "n", {"n": 129}),
        ("best_of-above-20", "best_of", {"best_of": 21}),
        ("logprobs-above-5", "logprobs", {"logprobs": 6}),
        ("stop-five-sequences", "stop", {"stop": ["a", "b", "c", "d", "e"]}),
        ("stop-empty-list", "stop", {"stop": []}),
        ("logit_bias-above-100", "logit_bias[50256]", {"logit_bias": {"50256": 101}}),
        ("presence_penalty-below-minus-2", "presence_penalty", {"presence_penalty": -2.5}),
        ("max_tokens-negative", "max_tokens", {"max_tokens": -1}),
        ("seed-beyond-64-bits", "seed", {"seed": 2**63}),
    ),
    # -- chat -----------------------------------------------------------------------------
    *cases(
        "chat", OpenAICreateChatCompletionOperator, CHAT,
        ("user-message-without-content", "messages[0].content", {"messages": [{"role": "user"}]}),
        ("second-message-without-content", "messages[1].content", {"messages": [*HELLO, {"role": "assistant"}]}),
        ("messages-empty", "messages", {"messages": []}),
        ("message-unknown-role", "messages[0].role", {"messages": [{"role": "robot", "content": "hi"}]}),
        ("message-content-a-number", "messages[0].content", {"messages": [{"role": "user", "content": 42}]}),
        ("model-empty", "model", {"model": ""}),
        ("model-template-None", "model", {"model": NONE_VALUE}),
        ("top_logprobs-above-20", "top_logprobs", {"logprobs": True, "top_logprobs": 21}),
        ("top_logprobs-negative", "top_logprobs", {"logprobs": True, "top_logprobs": -1}),
        ("top_logprobs-without-logprobs", "top_logprobs", {"top_logprobs": 5}),
        ("response_format-unknown-type", "response_format.type", {"response_format": {"type": "xml"}}),
        ("response_format-no-type", "response_format.type", {"response_format": {"json_schema": {}}}),
        ("response_format-a-string", "response_format", {"response_format": "json"}),
        ("json_schema-missing", "response_format.json_schema", {"response_format": {"type": "json_schema"}}),
        ("json_schema-bad-name", "response_format.json_schema.name",
         {"response_format": {"type": "json_schema", "json_schema": {"name": "a b", "schema": {}}}}),
        ("temperature-above-2", "temperature", {"temperature": 2.1}),
        ("temperature-not-a-number", "temperature", {"temperature": "hot"}),
        ("top_p-negative", "top_p", {"top_p": -0.1}),
        ("n-above-128", "n", {"n": 129}),
        ("frequency_penalty-above-2", "frequency_penalty", {"frequency_penalty": 2.5}),
        ("max_completion_tokens-zero", "max_completion_tokens", {"max_completion_tokens": 0}),
        ("stop-five-sequences", "stop", {"stop": ["1", "2", "3", "4", "5"]}),
        ("stop-not-text", "stop", {"stop": [1, 2]}),
        ("logit_bias-text-key", "logit_bias[hello]", {"logit_bias": {"hello": 5}}),
        ("logit_bias-below-minus-100", "logit_bias[50256]", {"logit_bias": {"50256": -150}}),
        ("logit_bias-not-an-object", "logit_bias", {"logit_bias": [1, 2]}),
        ("metadata-17-pairs", "metadata", {"metadata": METADATA_17}),
        ("metadata-65-character-key", "metadata", {"metadata": {"k" * 65: "v"}}),
        ("metadata-513-character-value", "metadata[k]", {"metadata": {"k": "v" * 513}}),
        ("metadata-number-value", "metadata[k]", {"metadata": {"k": 1}}),
        ("seed-beyond-64-bits", "seed", {"seed": -(2**63) - 1}),
        ("tools-not-a-list", "tools", {"tools": {"type": "function"}}),
    ),
    # -- edits ----------------------------------------------------------------------------
    *cases(
        "edits", OpenAICreateEditOperator, {"instruction": "Fix the spelling", "input": "Helo"},
        ("instruction-empty", "instruction", {"instruction": ""}),
        ("instruction-template-missing", "instruction", {"instruction": NO_VALUE}),
        ("n-above-20", "n", {"n": 21}),
        ("temperature-above-2", "temperature", {"temperature": 3}),
        ("legacy-instruction-empty", "instruction", {"instruction": " ", "legacy": True}),
        ("legacy-top_p-above-1", "top_p", {"top_p": 2, "legacy": True}),
    ),
    # -- images: generate -------------------------------------------------------------------
    *cases(
        "images", OpenAICreateImageOperator, {"prompt": "A lighthouse"},
        ("dall-e-2-prompt-1001-characters", "prompt", {"model": "dall-e-2", "prompt": "x" * 1001}),
        ("default-model-prompt-1001-characters", "prompt", {"prompt": "x" * 1001}),
        ("dall-e-3-prompt-4001-characters", "prompt", {"model": "dall-e-3", "prompt": "x" * 4001}),
        ("gpt-image-prompt-32001-characters", "prompt", {**GPT_IMAGE, "prompt": "x" * 32001}),
        ("prompt-empty", "prompt", {"prompt": ""}),
        ("prompt-template-missing", "prompt", {"prompt": NO_VALUE}),
        ("n-above-10", "n", {"n": 11}),
        ("n-zero", "n", {"n": 0}),
        ("dall-e-3-n-2", "n", {"model": "dall-e-3", "n": 2}),
        ("dall-e-2-size-of-dall-e-3", "size", {"model": "dall-e-2", "size": "1792x1024"}),
        ("dall-e-3-size-of-dall-e-2", "size", {"model": "dall-e-3", "size": "256x256"}),
        ("gpt-image-size-unknown", "size", {**GPT_IMAGE, "size": "100x100"}),
        ("gpt-image-2-size-not-multiple-of-16", "size", {**GPT_IMAGE, "model": "gpt-image-2", "size": "1000x1000"}),
        ("gpt-image-2-size-beyond-3-to-1", "size", {**GPT_IMAGE, "model": "gpt-image-2", "size": "3840x1024"}),
        ("output_format-gif", "output_format", {**GPT_IMAGE, "output_format": "gif"}),
        ("output_format-leaving-output_path", "output_format", {**GPT_IMAGE, "output_format": "png/../../escaped"}),
        ("output_format-in-extra_body-leaving-output_path", "output_format",
         {**GPT_IMAGE, "extra_body": {"output_format": "../x"}}),
        ("output_compression-above-100", "output_compression", {**GPT_IMAGE, "output_compression": 101}),
        ("output_compression-negative", "output_compression", {**GPT_IMAGE, "output_compression": -1}),
        ("background-unknown", "background", {**GPT_IMAGE, "background": "green"}),
        ("gpt-image-url-answers", "response_format", {**GPT_IMAGE, "response_format": "url"}),
        ("gpt-image-b64_json-asked-for", "response_format", {**GPT_IMAGE, "response_format": "b64_json"}),
        ("gpt-image-1.5-free-size", "size", {**GPT_IMAGE, "model": "gpt-image-1.5", "size": "1536x864"}),
        ("gpt-image-2-size-beyond-3840x2160", "size", {**GPT_IMAGE, "model": "gpt-image-2", "size": "4096x2304"}),
        ("gpt-image-quality-hd", "quality", {**GPT_IMAGE, "quality": "hd"}),
        ("dall-e-2-quality-high", "quality", {"model": "dall-e-2", "quality": "high"}),
        ("default-model-quality-high", "quality", {"quality": "high"}),
        ("gpt-image-style", "style", {**GPT_IMAGE, "style": "vivid"}),
        ("dall-e-2-style", "style", {"model": "dall-e-2", "style": "natural"}),
        ("dall-e-3-output_format", "output_format", {"model": "dall-e-3", "output_format": "png"}),
        ("dall-e-3-background", "background", {"model": "dall-e-3", "background": "opaque"}),
        ("dall-e-2-moderation", "moderation", {"model": "dall-e-2", "moderation": "low"}),
        ("dall-e-2-output_compression", "output_compression", {"model": "dall-e-2", "output_compression": 50}),
        ("moderation-unknown", "moderation", {**GPT_IMAGE, "moderation": "strict"}),
        ("transparent-jpeg", "background", {**GPT_IMAGE, "background": "transparent", "output_format": "jpeg"}),
        ("output_compression-of-a-png", "output_compression", {**GPT_IMAGE, "output_compression": 80}),
        ("stream", "stream", {**GPT_IMAGE, "extra_body": {"stream": True}}),
        ("partial_images", "partial_images", {**GPT_IMAGE, "extra_body": {"partial_images": 2}}),
        ("input_fidelity-of-a-generation", "input_fidelity", {**GPT_IMAGE, "extra_body": {"input_fidelity": "high"}}),
        ("model-template-None", "model", {"model": NONE_VALUE}),
        ("gpt-image-option-without-output_path", "output_path", {"output_format": "webp"}),
        ("dall-e-3-quality-unknown", "quality", {"model": "dall-e-3", "quality": "ultra"}),
        ("dall-e-3-style-unknown", "style", {"model": "dall-e-3", "style": "cartoon"}),
        ("response_format-unknown", "response_format", {"response_format": "svg"}),
        ("b64_json-without-output_path", "output_path", {"response_format": "b64_json"}),
        ("output_path-empty", "output_path", {"response_format": "b64_json", "output_path": ""}),
        ("output_path-empty-url-answers", "output_path", {"output_path": ""}),
        ("output_path-template-missing", "output_path", {"output_path": NO_VALUE}),
        ("output_path-an-existing-file", "output_path", {"output_path": TAKEN}),
        ("output_path-under-a-file", "output_path", {"output_path": UNDER_A_FILE}),
    ),
    # -- images: edit -------------------------------------------------------------------------
    *cases(
        "images", OpenAICreateImageEditOperator,
        {"image": png(64, 64), "prompt": "Add a moon", "model": "dall-e-2", "output_path": OUT},
        ("edit-dall-e-2-not-square", "image", {"image": png(64, 32)}),
        ("edit-default-model-not-square", "image", {"image": png(64, 32), "model": None}),
        ("edit-dall-e-2-not-a-png", "image", {"image": file("picture.png", GIF)}),
        ("edit-dall-e-2-4-MB", "image", {"image": HUGE_PNG}),
        ("edit-dall-e-2-two-images", "image", {"image": [png(8, 8, "a.png"), png(8, 8, "b.png")]}),
        ("edit-mask-size-mismatch", "mask", {"mask": png(32, 32, "mask.png")}),
        ("edit-mask-not-a-png", "mask", {"mask": file("mask.png", GIF)}),
        ("edit-gpt-image-mask-size-mismatch", "mask", {"model": "gpt-image-1", "mask": png(32, 32, "mask.png")}),
        ("edit-gpt-image-17-images", "image", {"model": "gpt-image-1", "image": SEVENTEEN_PNGS}),
        ("edit-gpt-image-second-image-missing", "image", {"model": "gpt-image-1", "image": [png(8, 8), MISSING]}),
        ("edit-image-missing", "image", {"image": MISSING}),
        ("edit-image-empty", "image", {"image": ""}),
        ("edit-image-a-folder", "image", {"image": directory("folder.png")}),
        ("edit-image-broken-link", "image", {"image": broken_link("link.png")}),
        ("edit-image-a-fifo", "image", {"image": fifo("pipe.png")}),
        ("edit-image-unreadable", "image", {"image": unreadable("locked.png", encode_png(8, 8, 1))}, (NOT_AS_ROOT,)),
        ("edit-prompt-1001-characters", "prompt", {"prompt": "x" * 1001}),
        ("edit-gpt-image-prompt-32001-characters", "prompt", {"model": "gpt-image-1", "prompt": "x" * 32001}),
        ("edit-n-above-10", "n", {"n": 11}),
        ("edit-dall-e-3", "model", {"model": "dall-e-3"}),
        ("edit-dall-e-2-output_format", "output_format", {"output_format": "webp"}),
        ("edit-dall-e-2-input_fidelity", "input_fidelity", {"input_fidelity": "low"}),
        ("edit-gpt-image-1-mini-input_fidelity", "input_fidelity",
         {"model": "gpt-image-1-mini", "input_fidelity": "high"}),
        ("edit-input_fidelity-unknown", "input_fidelity", {"model": "gpt-image-1", "input_fidelity": "max"}),
        ("edit-gpt-image-size-of-dall-e-3", "size", {"model": "gpt-image-1", "size": "1792x1024"}),
        ("edit-gpt-image-a-gif", "image", {"model": "gpt-image-1", "image": file("picture.gif", GIF)}),
        ("edit-gpt-image-second-image-a-gif", "image",
         {"model": "gpt-image-1", "image": [png(8, 8), file("b.gif", GIF)]}),
        ("edit-gpt-image-50-MB", "image", {"model": "gpt-image-1", "image": PNG_OF_50_MB}),
        ("edit-output_path-an-existing-file", "output_path", {"output_path": TAKEN}),
    ),
    # -- images: variation --------------------------------------------------------------------
    *cases(
        "images", OpenAICreateImageVariationOperator, {"image": png(64, 64), "output_path": OUT},
        ("variation-not-square", "image", {"image": png(64, 32)}),
        ("variation-not-a-png", "image", {"image": file("picture.png", GIF)}),
        ("variation-4-MB", "image", {"image": HUGE_PNG}),
        ("variation-image-template-missing", "image", {"image": NO_VALUE}),
        ("variation-image-a-folder", "image", {"image": directory("folder.png")}),
        ("variation-n-above-10", "n", {"n": 11}),
        ("variation-gpt-image", "model", {"model": "gpt-image-1"}),
        ("variation-dall-e-3", "model", {"model": "dall-e-3"}),
        ("variation-output_format", "output_format", {"extra_body": {"output_format": "png"}}),
        ("variation-size-of-dall-e-3", "size", {"size": "1792x1024"}),
        ("variation-output_path-empty", "output_path", {"output_path": ""}),
        ("variation-output_path-an-existing-file", "output_path", {"output_path": TAKEN}),
    ),
    # -- embeddings -----------------------------------------------------------------------------
    *cases(
        "embeddings", OpenAICreateEmbeddingsOperator, {"input": "Hello", "model": "text-embedding-3-small"},
        ("2049-inputs", "input", {"input": ["text"] * 2049, "output_path": OUT}),
        ("3-small-dimensions-above-1536", "dimensions", {"dimensions": 1537}),
        ("3-large-dimensions-above-3072", "dimensions", {"model": "text-embedding-3-large", "dimensions": 3073}),
        ("ada-002-dimensions", "dimensions", {"model": "text-embedding-ada-002", "dimensions": 256}),
        ("dimensions-zero", "dimensions", {"dimensions": 0}),
        ("input-empty", "input", {"input": ""}),
        ("input-empty-list", "input", {"input": []}),
        ("input-list-with-empty", "input[1]", {"input": ["fine", ""]}),
        ("input-template-missing", "input", {"input": NO_VALUE}),
        ("model-None", "model", {"model": "None"}),
        ("encoding_format-unknown", "encoding_format", {"encoding_format": "int8"}),
        ("too-many-vectors-for-XCom", "output_path", {"input": ["a", "b", "c"]}),
        ("output_path-empty", "output_path", {"output_path": ""}),
        ("output_path-an-existing-file", "output_path", {"output_path": TAKEN}),
        ("output_path-under-a-file", "output_path", {"output_path": UNDER_A_FILE}),
    ),
    # -- audio ----------------------------------------------------------------------------------
    *cases(
        "audio", OpenAICreateTranscriptionOperator, {"file": wav(), "output_path": OUT},
        ("transcription-empty-file", "file", {"file": file("speech.wav", b"")}),
        ("transcription-unsupported-extension", "file", {"file": file("speech.txt", b"words")}),
        ("transcription-file-missing", "file", {"file": MISSING}),
        ("transcription-streamed", "stream", {"extra_body": {"stream": True}}),
        ("transcription-file-empty-name", "file", {"file": ""}),
        ("transcription-file-template-missing", "file", {"file": NO_VALUE}),
        ("transcription-file-a-folder", "file", {"file": directory("folder.wav")}),
        ("transcription-file-broken-link", "file", {"file": broken_link("link.wav")}),
        ("transcription-file-a-fifo", "file", {"file": fifo("pipe.wav")}),
        ("transcription-file-unreadable", "file", {"file": unreadable("locked.wav", make_wav(0.1))}, (NOT_AS_ROOT,)),
        ("transcription-response_format-unknown", "response_format", {"response_format": "pdf"}),
        ("transcription-temperature-above-1", "temperature", {"temperature": 1.5}),
        ("transcription-timestamps-without-verbose_json", "timestamp_granularities",
         {"timestamp_granularities": ["word"]}),
        ("transcription-output_path-an-existing-file", "output_path", {"output_path": TAKEN}),
        ("transcription-output_path-empty", "output_path", {"output_path": ""}),
    ),
    *cases(
        "audio", OpenAICreateTranslationOperator, {"file": wav(), "output_path": OUT},
        ("translation-empty-file", "file", {"file": file("speech.mp3", b"")}),
        ("translation-response_format-diarized_json", "response_format", {"response_format": "diarized_json"}),
        ("translation-temperature-negative", "temperature", {"temperature": -0.5}),
        ("translation-output_path-under-a-file", "output_path", {"output_path": UNDER_A_FILE}),
    ),
    # -- files ----------------------------------------------------------------------------------
    *cases(
        "files", OpenAIUploadFileOperator,
        {"file": file("train.jsonl", training_jsonl()), "purpose": "fine-tune"},
        ("upload-purpose-unknown", "purpose", {"purpose": "training"}),
        ("upload-purpose-empty", "purpose", {"purpose": ""}),
        ("upload-file-a-folder", "file", {"file": directory("folder.jsonl")}),
        ("upload-file-broken-link", "file", {"file": broken_link("link.jsonl")}),
        ("upload-file-a-fifo", "file", {"file": fifo("pipe.jsonl")}),
        ("upload-file-unreadable", "file", {"file": unreadable("locked.jsonl", training_jsonl())}, (NOT_AS_ROOT,)),
        ("upload-file-missing", "file", {"file": MISSING}),
        ("upload-file-template-missing", "file", {"file": NO_VALUE}),
        ("upload-file-empty", "file", {"file": file("empty.jsonl", b""), "purpose": "batch"}),
        ("upload-training-data-with-bad-lines", "file", {"file": BAD_TRAINING}),
        ("upload-training-data-too-few-examples", "file", {"file": jsonl("few.jsonl", *GOOD_EXAMPLES[:3])}),
        ("upload-expiry-too-short", "expires_after.seconds",
         {"expires_after": {"anchor": "created_at", "seconds": 60}}),
        ("upload-expiry-unknown-anchor", "expires_after.anchor", {"expires_after": {"anchor": "now", "seconds": 3600}}),
    ),
    *cases(
        "files", "upload_file", {},
        ("hook-upload-bytes-without-filename", "file", {"file": b"{}", "purpose": "batch"}),
    ),
    *cases(
        "files", OpenAIListFilesOperator, {},
        ("list-order-unknown", "order", {"order": "newest"}),
        ("list-limit-zero", "limit", {"limit": 0}),
        ("list-limit-negative", "limit", {"limit": -5}),
    ),
    *id_cases("files", "retrieve", OpenAIRetrieveFileOperator, "file_id"),
    *id_cases("files", "delete", OpenAIDeleteFileOperator, "file_id"),
    *[
        Case("files", case.name, "file_id", OpenAIRetrieveFileContentOperator,
             {**case.arguments, "output_path": Make(lambda inputs: str(inputs.out / "content.jsonl"))})
        for case in id_cases("files", "content", OpenAIRetrieveFileOperator, "file_id")
    ],
    *cases(
        "files", OpenAIRetrieveFileContentOperator, {"file_id": "file-abc123"},
        ("content-output_path-an-existing-folder", "output_path", {"output_path": OUT}),
        ("content-output_path-ending-in-a-separator", "output_path",
         {"output_path": Make(lambda inputs: str(inputs.out / "new") + "/")}),
        ("content-output_path-empty", "output_path", {"output_path": ""}),
        ("content-output_path-template-missing", "output_path", {"output_path": NO_VALUE}),
        ("content-output_path-under-a-file", "output_path", {"output_path": UNDER_A_FILE}),
    ),
    # -- fine-tunes -----------------------------------------------------------------------------
    *cases(
        "fine-tunes", OpenAICreateFineTuneOperator, FT,
        ("create-n_epochs-negative", "n_epochs", {"n_epochs": -1}),
        ("create-n_epochs-above-50", "n_epochs", {"n_epochs": 51}),
        ("create-n_epochs-text", "n_epochs", {"n_epochs": "many"}),
        ("create-batch_size-above-256", "batch_size", {"batch_size": 257}),
        ("create-learning_rate_multiplier-zero", "learning_rate_multiplier", {"learning_rate_multiplier": 0}),
        ("create-learning_rate_multiplier-negative", "learning_rate_multiplier", {"learning_rate_multiplier": -0.5}),
        ("create-method-n_epochs-negative", "method.supervised.hyperparameters.n_epochs",
         {"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": -1}}}}),
        ("create-method-dpo-batch_size-above-256", "method.dpo.hyperparameters.batch_size",
         {"method": {"type": "dpo", "dpo": {"hyperparameters": {"batch_size": 512}}}}),
        ("create-method-type-unknown", "method.type", {"method": {"type": "magic"}}),
        ("create-hyperparameters-learning_rate-zero", "hyperparameters.learning_rate_multiplier",
         {"hyperparameters": {"learning_rate_multiplier": 0}}),
        ("create-suffix-65-characters", "suffix", {"suffix": "s" * 65}),
        ("create-suffix-empty", "suffix", {"suffix": ""}),
        ("create-seed-negative", "seed", {"seed": -1}),
        ("create-seed-beyond-32-bits", "seed", {"seed": 2**31}),
        ("create-metadata-17-pairs", "metadata", {"metadata": METADATA_17}),
        ("create-metadata-513-character-value", "metadata[k]", {"metadata": {"k": "v" * 513}}),
        ("create-model-empty", "model", {"model": ""}),
        ("create-model-None", "model", {"model": NONE_VALUE}),
        ("create-validation_file-None", "validation_file", {"validation_file": NONE_VALUE}),
        ("create-validation_file-empty", "validation_file", {"validation_file": ""}),
        ("create-legacy-only-argument", "prompt_loss_weight", {"prompt_loss_weight": 0.1}),
    ),
    *id_cases("fine-tunes", "create", OpenAICreateFineTuneOperator, "training_file", {"model": "gpt-4o-mini"}),
    *cases(
        "fine-tunes", OpenAICreateFineTuneOperator, WAIT,
        ("create-wait_timeout-zero", "wait_timeout", {"wait_timeout": 0}),
        ("create-wait_timeout-negative", "wait_timeout", {"wait_timeout": -5}),
        ("create-poll_interval-zero", "poll_interval", {"poll_interval": 0}),
        ("create-poll_interval-negative", "poll_interval", {"poll_interval": -1}),
        ("create-poll_interval-zero-deferrable", "poll_interval", {"poll_interval": 0, "deferrable": True}),
        ("create-transient_error_grace-negative", "transient_error_grace", {"transient_error_grace": -1}),
    ),
    *cases(
        "fine-tunes", OpenAICreateFineTuneOperator, LEGACY_FT,
        ("create-legacy-suffix-41-characters", "suffix", {"suffix": "s" * 41}),
        ("create-legacy-n_epochs-zero", "n_epochs", {"n_epochs": 0}),
        ("create-legacy-learning_rate_multiplier-zero", "learning_rate_multiplier", {"learning_rate_multiplier": 0}),
        ("create-legacy-training_file-None", "training_file", {"training_file": "None"}),
        ("create-legacy-today-only-argument", "metadata", {"metadata": {"team": "a"}}),
    ),
    *cases(
        "fine-tunes", OpenAIListFineTunesOperator, {},
        ("list-limit-zero", "limit", {"limit": 0}),
        ("list-metadata-number-value", "metadata[team]", {"metadata": {"team": 5}}),
        ("list-legacy-metadata", "metadata", {"metadata": {"team": "a"}, "legacy": True}),
        ("list-legacy-limit-negative", "limit", {"limit": -1, "legacy": True}),
    ),
    *id_cases("fine-tunes", "retrieve", OpenAIRetrieveFineTuneOperator, "fine_tune_id"),
    *id_cases("fine-tunes", "cancel", OpenAICancelFineTuneOperator, "fine_tune_id"),
    *id_cases("fine-tunes", "events", OpenAIListFineTuneEventsOperator, "fine_tune_id"),
    *cases(
        "fine-tunes", OpenAIListFineTuneEventsOperator, {"fine_tune_id": "ftjob-abc123"},
        ("events-limit-zero", "limit", {"limit": 0}),
        ("events-legacy-id-None", "fine_tune_id", {"fine_tune_id": "None", "legacy": True}),
    ),
    *cases(
        "fine-tunes", OpenAIRetrieveFineTuneOperator, {"legacy": True},
        ("retrieve-legacy-id-template-missing", "fine_tune_id", {"fine_tune_id": NO_VALUE}),
    ),
    *cases(
        "fine-tunes", OpenAICancelFineTuneOperator, {"legacy": True},
        ("cancel-legacy-id-dot-dot", "fine_tune_id", {"fine_tune_id": ".."}),
    ),
    # -- moderations ----------------------------------------------------------------------------
    *cases(
        "moderations", OpenAICreateModerationOperator, {},
        ("input-empty", "input", {"input": ""}),
        ("input-empty-list", "input", {"input": []}),
        ("input-list-with-empty", "input[1]", {"input": ["fine", ""]}),
        ("input-template-missing", "input", {"input": NO_VALUE}),
        ("input-missing", "input", {"input": None}),
        ("part-without-type", "input[0].type", {"input": [{"text": "hi"}]}),
        ("part-unknown-type", "input[0].type", {"input": [{"type": "audio", "audio": "..."}]}),
        ("text-part-without-text", "input[0].text", {"input": [{"type": "text"}]}),
        ("image-part-without-url", "input[0].image_url.url", {"input": [{"type": "image_url", "image_url": {}}]}),
        ("image-for-a-text-moderation-model", "input[0]",
         {"input": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}],
          "model": "text-moderation-latest"}),
        ("model-template-None", "model", {"input": "hi", "model": NONE_VALUE}),
    ),
    # -- engines --------------------------------------------------------------------------------
    *id_cases("engines", "retrieve", OpenAIRetrieveEngineOperator, "engine_id"),
    *cases(
        "engines", OpenAIRetrieveEngineOperator, {"legacy": True},
        ("legacy-engine_id-None", "engine_id", {"engine_id": "None"}),
    ),
    # -- the training-data check ----------------------------------------------------------------
    *cases(
        "training-data", OpenAICheckFineTuneDataOperator, {"file": file("train.jsonl", training_jsonl())},
        ("bad-lines", "file", {"file": BAD_TRAINING}),
        ("no-examples", "file", {"file": file("empty.jsonl", b"")}),
        ("file-empty-name", "file", {"file": ""}),
        ("file-missing", "file", {"file": MISSING}),
        ("file-a-folder", "file", {"file": directory("folder.jsonl")}),
        ("file-broken-link", "file", {"file": broken_link("link.jsonl")}),
        ("file-a-fifo", "file", {"file": fifo("pipe.jsonl")}),
        ("data_format-unknown", "data_format", {"data_format": "xml"}),
        ("min_examples-negative", "min_examples", {"min_examples": -1}),
        ("max_example_tokens-zero", "max_example_tokens", {"max_example_tokens": 0}),
    ),
    # -- batches --------------------------------------------------------------------------------
    *id_cases("batches", "retrieve", OpenAIRetrieveBatchOperator, "batch_id"),
    *id_cases("batches", "cancel", OpenAICancelBatchOperator, "batch_id"),
    *cases("batches", OpenAIListBatchesOperator, {}, ("list-limit-zero", "limit", {"limit": 0})),
    *cases(
        "batches", OpenAIBatchOperator, BATCH,
        ("input-empty-list", "input", {"input": []}),
        ("input-no-format", "input_format", {"input": file("rows.txt", b"a\n")}),
        ("input-missing", "input", {"input": Make(lambda inputs: str(inputs.folder / "gone.jsonl"))}),
        ("input-bad-line", "input", {"input": jsonl("rows.jsonl", {"text": "a"}, "[1]")}),
        ("input-no-rows", "input", {"input": file("rows.jsonl", b"")}),
        ("input_format-unknown", "input_format", {"input_format": "xml"}),
        ("columns-a-string", "columns", {"columns": "text"}),
        ("columns-missing", "input", {"columns": ["label"]}),
        ("id_column-missing", "id_column", {"id_column": "ticket"}),
        ("id_column-twice", "id_column", {"input": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}],
                                          "id_column": "id"}),
        ("endpoint-unknown", "endpoint", {"endpoint": "/v1/images/generations"}),
        ("body-without-model", "body", {"body": {"input": "{text}"}}),
        ("body-unknown-column", "body", {"body": {"model": "text-embedding-3-small", "input": "{txt}"}}),
        ("output_path-no-suffix", "output_path", {"output_path": Make(lambda inputs: str(inputs.out / "results"))}),
        ("output_path-a-folder", "output_path", {"output_path": OUT}),
        ("output_format-unknown", "output_format", {"output_format": "csv"}),
        ("completion_window-1h", "completion_window", {"completion_window": "1h"}),
        ("metadata-17-pairs", "metadata", {"metadata": METADATA_17}),
        ("max_failed_fraction-over-1", "max_failed_fraction", {"max_failed_fraction": 1.5}),
        ("max_requests_per_batch-over", "max_requests_per_batch", {"max_requests_per_batch": 50_001}),
        ("poll_interval-zero", "poll_interval", {"poll_interval": 0}),
        ("wait_timeout-negative", "wait_timeout", {"wait_timeout": -1}),
    ),
    # -- bulk requests --------------------------------------------------------------------------
    *cases(
        "bulk", OpenAIBulkRequestsOperator, BULK,
        ("input-empty-list", "input", {"input": []}),
        ("input-bad-line", "input", {"input": jsonl("rows.jsonl", {"text": "a"}, "[1]")}),
        ("id_column-twice", "id_column", {"input": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}],
                                          "id_column": "id"}),
        ("endpoint-unknown", "endpoint", {"endpoint": "/v1/images/generations"}),
        ("body-without-model", "body", {"body": {"input": "{text}"}}),
        ("body-unknown-column", "body", {"body": {"model": "text-embedding-3-small", "input": "{txt}"}}),
        ("output_path-no-suffix", "output_path", {"output_path": Make(lambda inputs: str(inputs.out / "results"))}),
        ("output_format-unknown", "output_format", {"output_format": "csv"}),
        ("max_failed_fraction-over-1", "max_failed_fraction", {"max_failed_fraction": 2}),
        ("max_concurrency-zero", "max_concurrency", {"max_concurrency": 0}),
        ("max_concurrency-over", "max_concurrency", {"max_concurrency": 257}),
        ("requests_per_minute-zero", "requests_per_minute", {"requests_per_minute": 0}),
        ("tokens_per_minute-fraction", "tokens_per_minute", {"tokens_per_minute": 1.5}),
        ("max_retries-negative", "max_retries", {"max_retries": -1}),
    ),
    # -- responses and conversations ------------------------------------------------------------
    *cases(
        "responses", OpenAICreateResponseOperator, RESPONSE,
        ("model-missing", "model", {"model": None}),
        ("model-template-None", "model", {"model": NONE_VALUE}),
        ("input-empty", "input", {"input": ""}),
        ("input-empty-list", "input", {"input": []}),
        ("input-item-not-an-item", "input[1]", {"input": [{"role": "user", "content": "hi"}, "hi"]}),
        ("max_output_tokens-below-16", "max_output_tokens", {"max_output_tokens": 15}),
        ("temperature-above-2", "temperature", {"temperature": 2.1}),
        ("top_logprobs-above-20", "top_logprobs", {"top_logprobs": 21}),
        ("metadata-17-pairs", "metadata", {"metadata": METADATA_17}),
        ("safety_identifier-too-long", "safety_identifier", {"safety_identifier": "x" * 65}),
        ("conversation-and-previous-response", "conversation", {"conversation": "conv_1",
                                                                "previous_response_id": "resp_1"}),
        ("background-not-stored", "store", {"background": True, "store": False}),
        ("background-streamed", "stream", {"background": True, "stream": True}),
        ("text_format-not-a-schema", "text_format", {"text_format": "Ticket"}),
        ("text_format-invalid-schema", "text_format", {"text_format": {"type": "objekt"}}),
        ("text_format-and-text-format", "text_format", {"text_format": {"type": "object"},
                                                         "text": {"format": {"type": "text"}}}),
        ("poll_interval-zero", "poll_interval", {"background": True, "poll_interval": 0}),
    ),
    *cases(
        "conversations", OpenAICreateConversationOperator, {},
        ("items-21", "items", {"items": [{"role": "user", "content": "hi"}] * 21}),
        ("items-text", "items", {"items": "hi"}),
        ("metadata-17-pairs", "metadata", {"metadata": METADATA_17}),
    ),
    *cases(
        "conversations", OpenAIAddConversationItemsOperator, {"conversation_id": "conv_1"},
        ("add-items-empty", "items", {"items": []}),
        ("add-items-21", "items", {"items": [{"role": "user", "content": "hi"}] * 21}),
    ),
    *id_cases("conversations", "add", OpenAIAddConversationItemsOperator, "conversation_id",
              {"items": [{"role": "user", "content": "hi"}]}),
    *id_cases("conversations", "delete", OpenAIDeleteConversationOperator, "conversation_id"),
    *cases(
        "conversations", "retrieve_conversation_item", {"conversation_id": "conv_1"},
        ("hook-item-dot-dot", "item_id", {"item_id": ".."}),
    ),
    # -- speech -----------------------------------------------------------------------------------
    *cases(
        "speech", OpenAICreateSpeechOperator, SPEECH,
        ("input-empty", "input", {"input": ""}),
        ("input-over-4096", "input", {"input": "a" * 4097}),
        ("voice-empty", "voice", {"voice": ""}),
        ("voice-custom-without-id", "voice.id", {"voice": {"name": "mine"}}),
        ("instructions-for-tts-1", "instructions", {"model": "tts-1", "instructions": "Whisper."}),
        ("response_format-ogg", "response_format", {"response_format": "ogg"}),
        ("speed-above-4", "speed", {"speed": 4.5}),
        ("stream_format-sse", "stream_format", {"stream_format": "sse"}),
        ("output_path-missing", "output_path", {"output_path": None}),
        ("output_path-an-existing-file", "output_path", {"output_path": TAKEN}),
    ),
    # -- the evaluation -------------------------------------------------------------------------
    *cases(
        "evaluation", OpenAIEvaluateModelOperator, EVAL,
        ("models-empty", "models", {"models": []}),
        ("models-a-string", "models", {"models": "gpt-4o-mini"}),
        ("models-twice", "models", {"models": ["gpt-4o-mini", "gpt-4o-mini"]}),
        ("models-one-empty", "models[1]", {"models": ["gpt-4o-mini", ""]}),
        ("models-template-missing", "models[1]", {"models": ["gpt-4o-mini", NO_VALUE]}),
        ("metrics-unknown", "metrics", {"metrics": ["bleu"]}),
        ("metrics-empty", "metrics", {"metrics": []}),
        ("gate_metric-not-among-metrics", "gate_metric", {"metrics": ["contains"], "gate_metric": "exact_match"}),
        ("min_score-above-1", "min_score", {"min_score": 1.5}),
        ("max_concurrency-zero", "max_concurrency", {"max_concurrency": 0}),
        ("temperature-above-2", "temperature", {"temperature": 3}),
        ("embedding_model-empty", "embedding_model", {"embedding_model": ""}),
        ("pass_task_ids-not-ids", "pass_task_ids", {"pass_task_ids": [1, 2]}),
        ("eval_file-missing", "eval_file", {"eval_file": MISSING}),
        ("eval_file-empty-name", "eval_file", {"eval_file": ""}),
        ("eval_file-a-folder", "eval_file", {"eval_file": directory("folder.jsonl")}),
        ("eval_file-no-examples", "eval_file", {"eval_file": file("eval.jsonl", b"\n")}),
        ("eval_file-bad-json", "eval_file", {"eval_file": jsonl("eval.jsonl", "{not json")}),
        ("eval_file-no-expected", "eval_file", {"eval_file": jsonl("eval.jsonl", {"prompt": "2 + 2?"})}),
        ("eval_file-message-without-content", "eval_file",
         {"eval_file": jsonl("eval.jsonl", {"messages": [{"role": "user"}], "expected": "4"})}),
        ("eval_file-bad-pattern", "eval_file", {"eval_file": jsonl("eval.jsonl", {"prompt": "x", "pattern": "("})}),
        ("eval_file-id-twice", "eval_file", {"eval_file": jsonl("eval.jsonl", *[{"prompt": "x", "expected": "y",
                                                                                 "id": "a"}] * 2)}),
        ("eval_file-not-utf8", "eval_file", {"eval_file": file("eval.jsonl", b"\xff\xfe{}")}),
        ("output_path-an-existing-file", "output_path", {"output_path": TAKEN}),
        ("output_path-empty", "output_path", {"output_path": ""}),
        ("models-template-None", "models[1]", {"models": ["gpt-4o-mini", NONE_VALUE]}),
    ),
]
# fmt: on


# -- the test ------------------------------------------------------------------------------


def _fail_exception() -> type[Exception]:
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # Airflow 3.0
        from airflow.exceptions import AirflowFailException
    return AirflowFailException


def raised(subject: Any) -> OpenAIValidationError:
    """Run the operator (or call the hook); the validation error it failed with."""
    from airflow.sdk import BaseOperator

    if not isinstance(subject, BaseOperator):
        with pytest.raises(OpenAIValidationError) as caught:
            subject()
        return caught.value
    with pytest.raises(_fail_exception()) as caught:  # failed fast: no Airflow retries
        run_task(subject)
    cause = caught.value.__cause__
    assert isinstance(cause, OpenAIValidationError), f"failed fast with {cause!r}, not a validation error"
    assert str(caught.value) == str(cause)
    return cause


def tree(folder: Path) -> dict[str, tuple[str, int]]:
    """Every entry under ``folder``, hidden ones included: its kind and size."""
    entries = {}
    for path in folder.rglob("*"):
        status = path.lstat()
        kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
        entries[str(path.relative_to(folder))] = (kind, status.st_size if kind == "file" else 0)
    return entries


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id, marks=case.marks) for case in CASES])
def test_bad_input_fails_naming_it_before_any_request(case: Case, openai_emulator, tmp_path):
    inputs = Inputs(tmp_path)
    subject = case.subject(inputs)
    before = tree(tmp_path)

    error = raised(subject)

    assert re.match(names_argument(case.argument), str(error)), f"{str(error)!r} does not start with {case.argument}"
    assert openai_emulator.requests == []
    assert list(inputs.out.iterdir()) == []  # no file, no hidden .part file, no staging folder
    assert tree(tmp_path) == before
    assert openai_emulator.state.files == {}
    assert openai_emulator.state.store(FineTuningStore).jobs == {}


def test_the_catalogue_covers_every_family_and_operator():
    from airflow_provider_openai_adv import operators

    without_arguments = {"OpenAIGetModelsOperator", "OpenAIListEnginesOperator"}
    covered = {case.target.__name__ for case in CASES if isinstance(case.target, type)}
    assert covered == set(operators.__all__) - without_arguments
    families = {case.family for case in CASES}
    assert families == {
        "models", "completions", "chat", "edits", "images", "embeddings", "audio", "files", "fine-tunes",
        "moderations", "engines", "training-data", "evaluation", "batches", "bulk", "responses", "conversations",
        "speech",
    }  # fmt: skip
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)
