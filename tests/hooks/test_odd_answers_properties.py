"""Every read-only hook method, answered ``200`` with an odd body by the emulator, returns a
value or raises an ``OpenAIAdvError`` — never a ``KeyError``, ``TypeError``... (a proxy, a
captive portal or a broken server must fail a task with a message, not a stack trace)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from airflow_provider_openai_adv.exceptions import OpenAIAdvError
from airflow_provider_openai_adv.hooks.legacy import OpenAIAdvLegacyHook
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from tests.media import make_wav
from tests.strategies import ODD_BODY_SAMPLES, json_values, odd_bodies, over_http

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}

CALLS = {
    "get_models": lambda hook, wav: hook.get_models(),
    "retrieve_model": lambda hook, wav: hook.retrieve_model("gpt-4o-mini"),
    "list_files": lambda hook, wav: hook.list_files(),
    "list_files_limit": lambda hook, wav: hook.list_files(limit=2),
    "retrieve_file": lambda hook, wav: hook.retrieve_file("file-abc"),
    "retrieve_file_content": lambda hook, wav: hook.retrieve_file_content("file-abc"),
    "list_fine_tunes": lambda hook, wav: hook.list_fine_tunes(),
    "retrieve_fine_tune": lambda hook, wav: hook.retrieve_fine_tune("ftjob-abc"),
    "list_fine_tune_events": lambda hook, wav: hook.list_fine_tune_events("ftjob-abc"),
    "list_engines": lambda hook, wav: hook.list_engines(),
    "retrieve_engine": lambda hook, wav: hook.retrieve_engine("gpt-4o-mini"),
    "create_moderation": lambda hook, wav: hook.create_moderation(input="hello"),
    "create_embeddings": lambda hook, wav: hook.create_embeddings(input="hello", model="text-embedding-3-small"),
    "create_chat_completion": lambda hook, wav: hook.create_chat_completion(**CHAT),
    "create_completion": lambda hook, wav: hook.create_completion(model="gpt-3.5-turbo-instruct", prompt="hi"),
    "create_edit": lambda hook, wav: hook.create_edit(instruction="fix", input="teh"),
    "create_image": lambda hook, wav: hook.create_image(prompt="a cat", model="dall-e-2"),
    "create_transcription": lambda hook, wav: hook.create_transcription(file=wav),
    "create_translation_text": lambda hook, wav: hook.create_translation(file=wav, response_format="text"),
    "test_connection": lambda hook, wav: hook.test_connection(),
    "create_response": lambda hook, wav: hook.create_response(model="gpt-4o-mini", input="hi"),
    "create_response_typed": lambda hook, wav: hook.create_response(model="gpt-4o-mini", input="hi", text_format=Label),
    "create_chat_completion_typed": lambda hook, wav: hook.create_chat_completion(**CHAT, response_format=Label),
    "retrieve_response": lambda hook, wav: hook.retrieve_response("resp_abc"),
    "list_response_input_items": lambda hook, wav: hook.list_response_input_items("resp_abc"),
    "retrieve_conversation": lambda hook, wav: hook.retrieve_conversation("conv_abc"),
    "list_conversation_items": lambda hook, wav: hook.list_conversation_items("conv_abc"),
    "create_conversation_items": lambda hook, wav: hook.create_conversation_items(
        "conv_abc", items=[{"role": "user", "content": "hi"}]
    ),
    "legacy_list_fine_tunes": lambda hook, wav: legacy(hook).list_fine_tunes(),
    "legacy_retrieve_fine_tune": lambda hook, wav: legacy(hook).retrieve_fine_tune("ft-abc"),
    "legacy_list_fine_tune_events": lambda hook, wav: legacy(hook).list_fine_tune_events("ft-abc"),
    "legacy_list_engines": lambda hook, wav: legacy(hook).list_engines(),
    "legacy_retrieve_engine": lambda hook, wav: legacy(hook).retrieve_engine("davinci"),
    "legacy_create_edit": lambda hook, wav: legacy(hook).create_edit(instruction="fix", input="teh"),
}
STREAMS = {
    "create_chat_completion_stream": lambda hook, wav: hook.create_chat_completion(**CHAT, stream=True),
    "create_completion_stream": lambda hook, wav: hook.create_completion(
        model="gpt-3.5-turbo-instruct", prompt="hi", stream=True
    ),
    "stream_chat_completion": lambda hook, wav: list(hook.stream_chat_completion(**CHAT)),
    "create_response_stream": lambda hook, wav: hook.create_response(
        model="gpt-4o-mini", input="hi", stream=True, text_format=Label, on_delta=lambda index, text: None
    ),
}


class Label(BaseModel):
    category: str


def legacy(hook: OpenAIAdvHook) -> OpenAIAdvLegacyHook:
    if "legacy_hook" not in hook.__dict__:
        hook.__dict__["legacy_hook"] = OpenAIAdvLegacyHook()
    return hook.__dict__["legacy_hook"]


@pytest.fixture
def answered(openai_emulator, monkeypatch, tmp_path):
    """Call a hook method with the emulator answering every request ``200`` with ``body``."""
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(max_retries=0))
    wav = tmp_path / "speech.wav"
    wav.write_bytes(make_wav(0.1))
    hook = OpenAIAdvHook()

    def call(method, body):
        openai_emulator.clear_faults()
        openai_emulator.add_fault(path="/v1/*", status=200, body=body)
        try:
            return method(hook, str(wav))
        except OpenAIAdvError:
            return None

    yield call
    hook.close()
    if "legacy_hook" in hook.__dict__:
        hook.__dict__["legacy_hook"].close()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_read_only_method_answered_each_odd_body_returns_or_raises_its_own_error(answered, name):
    for body in ODD_BODY_SAMPLES:
        answered(CALLS[name], body)


@pytest.mark.parametrize("name", sorted(CALLS))
@over_http(5)
@given(body=odd_bodies())
def test_a_read_only_method_answered_any_odd_body_returns_or_raises_its_own_error(answered, name, body):
    answered(CALLS[name], body)


# -- streams ------------------------------------------------------------------------------

ANY = json_values(5)
# 10**6: a tool call that far ahead must not make the assembly build a million calls
# (the example's deadline fails a test that takes seconds over it).
SMALL_INDEX = st.one_of(st.sampled_from([0, 1, 3, -1, "0", None, 1.5, True, [0], 10**6]), ANY)
TOOL_CALL_DELTA = st.fixed_dictionaries(
    {},
    optional={
        "index": SMALL_INDEX,
        "id": ANY,
        "function": st.one_of(ANY, st.dictionaries(st.sampled_from(["name", "arguments"]), ANY, max_size=2)),
    },  # fmt: skip
)
DELTA = st.one_of(
    ANY,
    st.fixed_dictionaries(
        {},
        optional={
            "role": ANY,
            "content": ANY,
            "refusal": ANY,
            "tool_calls": st.one_of(st.lists(st.one_of(TOOL_CALL_DELTA, ANY), max_size=2), ANY),
        },
    ),
)
CHOICE = st.one_of(
    ANY,
    st.fixed_dictionaries(
        {}, optional={"index": SMALL_INDEX, "delta": DELTA, "text": ANY, "finish_reason": ANY, "logprobs": ANY}
    ),
)
CHUNK = st.one_of(
    ANY,
    st.fixed_dictionaries(
        {},
        optional={
            "id": ANY,
            "model": ANY,
            "created": ANY,
            "usage": ANY,
            "choices": st.one_of(st.lists(CHOICE, max_size=3), ANY),
        },
    ),
)


OUTPUT_TEXT = st.fixed_dictionaries({"type": st.just("output_text")}, optional={"text": ANY})
CONTENT = st.one_of(st.lists(OUTPUT_TEXT, max_size=2), ANY)
MESSAGE = st.fixed_dictionaries({"type": st.just("message")}, optional={"content": CONTENT})
RESPONSE = st.one_of(
    ANY,
    st.fixed_dictionaries(
        {},
        optional={
            "id": ANY,
            "status": st.sampled_from(["completed", "incomplete", None, 5]),
            "output": st.one_of(st.lists(st.one_of(MESSAGE, ANY), max_size=2), ANY),
        },  # fmt: skip
    ),
)
RESPONSE_EVENT = st.one_of(
    ANY,
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                [
                    "response.created",
                    "response.output_text.delta",
                    "response.completed",
                    "response.incomplete",
                    "response.failed",
                    "error",
                ]
            )
        },  # fmt: skip
        optional={"delta": ANY, "output_index": SMALL_INDEX, "response": RESPONSE},
    ),
)


@st.composite
def odd_streams(draw):
    """A 200 stream: events of odd chunks or response events (usually ending in [DONE]), or any odd body."""
    if draw(st.integers(0, 4)) == 0:
        return draw(odd_bodies())
    pieces = draw(st.lists(st.one_of(CHUNK, RESPONSE_EVENT), max_size=4))
    events = [f"data: {json.dumps(piece)}\n\n" for piece in pieces]
    if draw(st.integers(0, 3)):
        events.append("data: [DONE]\n\n")
    return "".join(events)


@pytest.mark.parametrize("name", sorted(STREAMS))
@over_http(20)
@given(body=odd_streams())
def test_a_stream_of_odd_chunks_assembles_or_raises_its_own_error(answered, name, body):
    answered(STREAMS[name], body)
