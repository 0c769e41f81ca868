"""Every request the hook sends to ``/responses``, ``/conversations`` and ``/audio/speech``
fits OpenAI's specification (the emulator's side of these exchanges, in every variant, is
``test_responses_contract.py``'s)."""

from __future__ import annotations

from pydantic import BaseModel

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from tests.contract.openapi import validate_recorded

PARAMETERS = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"],
              "additionalProperties": False}  # fmt: skip
TOOL = {"type": "function", "name": "lookup", "strict": True, "parameters": PARAMETERS}


class Label(BaseModel):
    category: str
    score: int | None


def run_every_method(hook: OpenAIAdvHook, out) -> None:
    response = hook.create_response(model="gpt-4o-mini", input="Hello", instructions="Be brief.", metadata={"a": "b"})
    hook.create_response(model="gpt-4o-mini", input=[{"role": "user", "content": "Label it"}], text_format=Label)
    hook.create_response(model="gpt-4o-mini", input="Look up order 7", tools=[TOOL], tool_choice="required")
    hook.create_response(model="gpt-4o-mini", input="Long story " * 50, max_output_tokens=16)
    hook.retrieve_response(response["id"])
    hook.list_response_input_items(response["id"], order="desc")
    background = hook.create_response(model="gpt-4o-mini", input="Later", background=True)
    hook.cancel_response(background["id"])
    hook.delete_response(response["id"])
    conversation = hook.create_conversation(items=[{"role": "user", "content": "Hi"}], metadata={"k": "v"})
    hook.create_response(model="gpt-4o-mini", input="And then?", conversation=conversation["id"])
    hook.retrieve_conversation(conversation["id"])
    hook.update_conversation(conversation["id"], metadata={"k": "w"})
    added = hook.create_conversation_items(conversation["id"], items=[{"role": "user", "content": "More"}])
    hook.list_conversation_items(conversation["id"], order="asc")
    hook.retrieve_conversation_item(conversation["id"], added[0]["id"])
    hook.delete_conversation_item(conversation["id"], added[0]["id"])
    hook.delete_conversation(conversation["id"])
    hook.create_speech(model="gpt-4o-mini-tts", input="Hello", voice="marin", instructions="Cheerfully.",
                       response_format="flac", speed=1.25, output_path=out / "hello.flac")  # fmt: skip


def test_every_responses_conversations_and_speech_call_fits_the_specification(
    openai_emulator, current_spec, current_document, tmp_path
):
    openai_emulator.set_response_timings(queued=600)  # still queued when cancelled
    run_every_method(OpenAIAdvHook(), tmp_path)
    for entry in openai_emulator.requests:
        if not entry.response_content_type.startswith("application/json"):
            entry.response_body = None  # the audio: the request is still checked
        validate_recorded(current_spec, current_document, entry)
    called = {(entry.method, entry.path.split("/")[2]) for entry in openai_emulator.requests}
    assert called == {("POST", "responses"), ("GET", "responses"), ("DELETE", "responses"),
                      ("POST", "conversations"), ("GET", "conversations"), ("DELETE", "conversations"),
                      ("POST", "audio")}  # fmt: skip
    assert len(openai_emulator.requests) == 19  # one request per call: each list fits one page
