"""The hook's Responses, Conversations and speech methods, against the emulator over HTTP."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from airflow_provider_openai_adv.exceptions import NotFoundError, OpenAIValidationError, StreamError
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.hooks.streaming import assemble_response


class City(BaseModel):
    name: str
    population: int | None


@pytest.fixture
def hook(openai_emulator):
    return OpenAIAdvHook()


def posted(emulator, path):
    return [entry for entry in emulator.requests if entry.path == path and entry.method == "POST"]


def test_a_response_has_its_text_joined_as_the_sdk_offers_it(hook):
    response = hook.create_response(model="gpt-4o-mini", input="Name a river.")
    texts = [part["text"] for item in response["output"] for part in item.get("content", [])]
    assert response["output_text"] == "".join(texts) and response["output_text"]


def test_a_typed_response_holds_its_validated_value(hook, openai_emulator):
    response = hook.create_response(model="gpt-4o-mini", input="A city, please.", text_format=City)
    assert City.model_validate(response["output_parsed"])
    assert posted(openai_emulator, "/v1/responses")[0].json()["text"]["format"]["name"] == "City"


def test_a_streamed_response_shows_each_piece_and_ends_as_the_plain_one(hook):
    pieces = []
    streamed = hook.create_response(model="gpt-4o-mini", input="Name a river.", stream=True,
                                    on_delta=lambda index, text: pieces.append((index, text)))  # fmt: skip
    plain = hook.create_response(model="gpt-4o-mini", input="Name a river.")
    assert "".join(text for _, text in pieces) == plain["output_text"] == streamed["output_text"]
    assert {index for index, _ in pieces} == {0}


def test_a_stream_that_ends_before_the_response_does_is_an_error():
    events = [{"type": "response.created", "response": {}}, {"type": "response.output_text.delta", "delta": "Hi"}]
    with pytest.raises(StreamError, match="ended before the response did"):
        assemble_response(events)


@pytest.mark.parametrize(
    "event",
    [{"type": "response.completed"}, {"type": "response.output_text.delta", "delta": 5}, "not an event"],
    ids=["end-without-response", "delta-not-text", "not-an-object"],
)
def test_odd_stream_events_raise_our_error(event):
    with pytest.raises(StreamError):
        assemble_response([event], on_delta=lambda index, text: None)


def test_a_background_response_is_queued_retrieved_and_cancelled(hook, openai_emulator):
    openai_emulator.set_response_timings(queued=600)
    response = hook.create_response(model="gpt-4o-mini", input="Later.", background=True)
    assert response["status"] == "queued" and "output_parsed" not in response
    assert hook.retrieve_response(response["id"])["status"] == "queued"
    assert hook.cancel_response(response["id"])["status"] == "cancelled"
    assert hook.response_kind.state_of(hook.retrieve_response(response["id"])).name == "CANCELLED"


def test_creating_a_background_response_is_not_resent_after_an_answer_may_have_been_lost(hook, openai_emulator):
    openai_emulator.add_fault(path="/v1/responses", lose_answer=True, times=1)
    with pytest.raises(Exception, match="(?i)connection|reset|aborted"):
        hook.create_response(model="gpt-4o-mini", input="Later.", background=True)
    assert len(posted(openai_emulator, "/v1/responses")) == 1


def test_input_items_are_listed_across_pages(hook):
    items = [{"role": "user", "content": f"turn {n}"} for n in range(25)]
    response = hook.create_response(model="gpt-4o-mini", input=items)
    listed = hook.list_response_input_items(response["id"], order="asc")
    assert [item["content"][0]["text"] for item in listed] == [f"turn {n}" for n in range(25)]
    assert len(hook.list_response_input_items(response["id"], limit=3)) == 3


def test_a_deleted_response_is_gone(hook):
    response = hook.create_response(model="gpt-4o-mini", input="Short-lived.")
    assert hook.delete_response(response["id"])["deleted"] is True
    with pytest.raises(NotFoundError):
        hook.retrieve_response(response["id"])


def test_a_conversation_through_its_whole_life(hook):
    conversation = hook.create_conversation(items=[{"role": "user", "content": "Hello"}], metadata={"team": "a"})
    assert hook.retrieve_conversation(conversation["id"])["metadata"] == {"team": "a"}
    assert hook.update_conversation(conversation["id"], metadata={"team": "b"})["metadata"] == {"team": "b"}
    added = hook.create_conversation_items(conversation["id"], items=[{"role": "user", "content": "Again"}])
    item = hook.retrieve_conversation_item(conversation["id"], added[0]["id"])
    assert item["content"][0]["text"] == "Again"
    assert len(hook.list_conversation_items(conversation["id"])) == 2
    hook.delete_conversation_item(conversation["id"], item["id"])
    assert len(hook.list_conversation_items(conversation["id"])) == 1
    assert hook.delete_conversation(conversation["id"])["deleted"] is True


def test_speech_is_streamed_to_its_file(hook, openai_emulator, tmp_path):
    path = hook.create_speech(model="gpt-4o-mini-tts", input="Hello there.", voice="coral",
                              response_format="wav", output_path=tmp_path / "hello.wav")  # fmt: skip
    assert path == str(tmp_path / "hello.wav")
    assert (tmp_path / "hello.wav").read_bytes()[:4] == b"RIFF"
    assert posted(openai_emulator, "/v1/audio/speech")[0].json()["voice"] == "coral"


def test_speech_that_fails_midway_is_retried_and_leaves_no_partial_file(hook, openai_emulator, tmp_path):
    openai_emulator.add_fault(path="/v1/audio/speech", status=500, times=1)
    hook.create_speech(model="gpt-4o-mini-tts", input="Hello.", voice="coral", output_path=tmp_path / "a.mp3")
    assert len(posted(openai_emulator, "/v1/audio/speech")) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.mp3"]


def test_speech_into_a_folder_is_refused_before_any_request(hook, openai_emulator, tmp_path):
    with pytest.raises(OpenAIValidationError, match="^output_path: "):
        hook.create_speech(model="gpt-4o-mini-tts", input="Hello.", voice="coral", output_path=tmp_path)
    assert openai_emulator.requests == []
