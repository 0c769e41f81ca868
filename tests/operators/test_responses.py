"""``OpenAICreateResponseOperator`` and the conversation operators, against the emulator.

A response is returned whole, typed when asked (validated, or the task fails naming the
field), streamed into the log, or waited for in the background — deferred or in the
worker — cancelled on a deadline or a kill; an incomplete one fails unless allowed.
"""

from __future__ import annotations

import json
from typing import Literal

import pytest
from airflow.sdk.exceptions import AirflowFailException
from pydantic import BaseModel

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators import (
    OpenAIAddConversationItemsOperator,
    OpenAICreateChatCompletionOperator,
    OpenAICreateConversationOperator,
    OpenAICreateResponseOperator,
    OpenAIDeleteConversationOperator,
)
from airflow_provider_openai_adv.operators.responses import RUNNING_KEY, _request_tag
from airflow_provider_openai_adv.structured import StructuredOutputError
from tests.tasks import StateStore, run_task

WAYS = [pytest.param(False, id="in-worker"), pytest.param(True, id="deferred")]


class Part(BaseModel):
    name: str
    quantity: int | None


class Ticket(BaseModel):
    category: Literal["billing", "bug", "other"]
    urgent: bool
    parts: list[Part]


def respond(**options) -> OpenAICreateResponseOperator:
    return OpenAICreateResponseOperator(
        task_id="respond", **{"model": "gpt-4o-mini", "input": "Name a river.", **options}
    )


def sent(emulator, path="/v1/responses"):
    return [entry.json() for entry in emulator.requests if entry.path == path and entry.method == "POST"]


@pytest.fixture
def background(openai_emulator):
    """Responses queued, then in progress, for a tenth of a second each: a wait sees them
    run or finished, however fast the machine, and the test takes no longer than that."""
    openai_emulator.set_response_timings(queued=0.1, in_progress=0.1)
    return openai_emulator


# -- a response ----------------------------------------------------------------------------------


def test_a_response_goes_to_xcom_with_its_text_its_id_and_its_usage(openai_emulator):
    run = run_task(respond())
    assert run.value["object"] == "response" and run.value["status"] == "completed"
    assert run.value["output_text"] and "Name a river." in run.value["output_text"]
    assert run.xcoms["response_id"] == run.value["id"] and run.xcoms["usage"] == run.value["usage"]
    assert sent(openai_emulator) == [{"model": "gpt-4o-mini", "input": "Name a river."}]  # nothing else is sent


def test_a_typed_answer_is_validated_into_xcom_and_asked_for_strictly(openai_emulator):
    run = run_task(respond(text_format=Ticket))
    assert Ticket.model_validate(run.value) and set(run.value) == {"category", "urgent", "parts"}
    text_format = sent(openai_emulator)[0]["text"]["format"]
    assert (text_format["type"], text_format["name"], text_format["strict"]) == ("json_schema", "Ticket", True)
    assert text_format["schema"]["additionalProperties"] is False


def test_an_answer_that_does_not_fit_fails_the_task_naming_the_field(openai_emulator):
    wrong = {"category": "fun", "urgent": False, "parts": []}
    answer = {
        "id": "resp_wrong", "object": "response", "created_at": 1, "status": "completed", "model": "gpt-4o-mini",
        "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": json.dumps(wrong), "annotations": []}]}],
    }  # fmt: skip
    openai_emulator.add_fault(path="/v1/responses", status=200, body=json.dumps(answer), times=1)
    with pytest.raises(StructuredOutputError, match="does not fit the model at category") as caught:
        run_task(respond(text_format=Ticket))
    assert caught.value.field == "category"  # not failed fast: the model may answer right when asked again


def test_a_streamed_response_is_logged_as_it_arrives_and_returned_whole(openai_emulator, capfd):
    streamed = run_task(respond(stream=True)).value
    plain = run_task(respond()).value
    assert streamed["output_text"] == plain["output_text"] and streamed["status"] == "completed"
    assert sent(openai_emulator)[0]["stream"] is True
    logged = [line for line in capfd.readouterr().out.splitlines() if "[stream output 0]" in line]
    assert len(logged) == 1 and "Name a river." in logged[0]  # streamed once; the plain run logs no text


def test_an_incomplete_response_fails_the_task_with_its_reason_without_retries(openai_emulator):
    with pytest.raises(AirflowFailException, match=r"incomplete \(max_output_tokens\); allow_incomplete=True"):
        run_task(respond(input="Tell me a long story about rivers " * 20, max_output_tokens=16))


def test_an_incomplete_response_allowed_through_is_returned_as_it_is(openai_emulator):
    run = run_task(respond(input="Tell me a long story about rivers " * 20, max_output_tokens=16,
                           allow_incomplete=True))  # fmt: skip
    assert run.value["status"] == "incomplete"
    assert run.value["incomplete_details"] == {"reason": "max_output_tokens"}


def test_tool_calls_are_returned_as_they_are(openai_emulator):
    parameters = {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"],
                  "additionalProperties": False}  # fmt: skip
    tool = {"type": "function", "name": "lookup_order", "parameters": parameters, "strict": True}
    run = run_task(respond(tools=[tool], tool_choice="required"))
    call = next(item for item in run.value["output"] if item["type"] == "function_call")
    assert call["name"] == "lookup_order" and "order_id" in json.loads(call["arguments"])


# -- in the background -----------------------------------------------------------------------------


@pytest.mark.parametrize("deferrable", WAYS)
def test_a_background_response_is_waited_for_and_typed(background, deferrable):
    run = run_task(respond(background=True, text_format=Ticket, deferrable=deferrable, poll_interval=0.05))
    assert Ticket.model_validate(run.value)
    assert run.deferrals == int(deferrable)
    assert OpenAIAdvHook().retrieve_response(run.xcoms["response_id"])["status"] == "completed"


@pytest.mark.parametrize("deferrable", WAYS)
@pytest.mark.parametrize("cancel", [True, False], ids=["cancelled", "left-running"])
def test_a_background_wait_past_its_deadline_cancels_the_response_unless_told_not_to(
    openai_emulator, deferrable, cancel
):
    openai_emulator.set_response_timings(queued=600)  # still queued at the deadline, however slow the machine
    task = respond(background=True, deferrable=deferrable, poll_interval=0.05, wait_timeout=0.3,
                   cancel_on_timeout=cancel)  # fmt: skip
    with pytest.raises(Exception, match="left running" if not cancel else "was cancelled"):
        run_task(task)
    response_id = next(entry for entry in openai_emulator.requests if entry.path == "/v1/responses").response_json()[
        "id"
    ]
    assert (OpenAIAdvHook().retrieve_response(response_id)["status"] == "cancelled") is cancel


def test_killing_a_task_waiting_on_a_background_response_cancels_it(openai_emulator):
    openai_emulator.set_response_timings(queued=600)
    hook = OpenAIAdvHook()
    response = hook.create_response(model="gpt-4o-mini", input="Later.", background=True)
    task = respond(background=True)
    task.job_id = response["id"]  # what execute() records once it waits
    task.on_kill()
    assert hook.retrieve_response(response["id"])["status"] == "cancelled"


# -- conversations -----------------------------------------------------------------------------------


def test_a_conversation_keeps_the_turns_of_the_responses_given_it(openai_emulator):
    conversation = run_task(OpenAICreateConversationOperator(
        task_id="start", items=[{"role": "developer", "content": "Answer in one word."}], metadata={"dag": "demo"}
    )).value  # fmt: skip
    run_task(respond(conversation=conversation["id"]))
    added = run_task(OpenAIAddConversationItemsOperator(
        task_id="note", conversation_id=conversation["id"], items=[{"role": "user", "content": "Thanks."}]
    )).value  # fmt: skip
    assert [item["type"] for item in added] == ["message"]
    items = OpenAIAdvHook().list_conversation_items(conversation["id"], order="asc")
    texts = [part.get("text") for item in items for part in item.get("content", [])]
    assert texts[0] == "Answer in one word." and texts[1] == "Name a river." and texts[-1] == "Thanks."
    run_task(OpenAIDeleteConversationOperator(task_id="end", conversation_id=conversation["id"]))
    with pytest.raises(Exception, match="404"):
        OpenAIAdvHook().retrieve_conversation(conversation["id"])


# -- typed chat answers --------------------------------------------------------------------------------


def test_a_typed_chat_answer_is_validated_into_xcom(openai_emulator):
    run = run_task(OpenAICreateChatCompletionOperator(
        task_id="chat", model="gpt-4o-mini", messages=[{"role": "user", "content": "Label it"}], response_format=Ticket
    ))  # fmt: skip
    assert Ticket.model_validate(run.value)
    response_format = sent(openai_emulator, "/v1/chat/completions")[0]["response_format"]
    assert response_format["json_schema"]["name"] == "Ticket" and response_format["json_schema"]["strict"] is True


def test_a_retried_task_waits_on_the_background_response_its_first_try_left_running(
    make_dag, run_dag, openai_emulator, monkeypatch
):
    """The first try starts the response, then loses the server past its grace and fails; the
    retry finds the response's id in the task state store and waits on it."""
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(max_retries=0))
    openai_emulator.set_response_timings(queued=600, in_progress=60)  # finishes only as the waits move the clock
    pause = staticmethod(lambda seconds: openai_emulator.advance_clock(100))
    monkeypatch.setattr(OpenAICreateResponseOperator, "sleep", pause)
    openai_emulator.add_fault(path="/v1/responses/resp_*", method="GET", status=503, times=2)
    with make_dag() as dag:
        respond(background=True, deferrable=False, poll_interval=0.05, transient_error_grace=0, retries=1,
                retry_delay=0)  # fmt: skip
    outcome = run_dag(dag)
    assert outcome.state == "success" and outcome.tries[("respond", -1)] == 2
    assert len(sent(openai_emulator)) == 1  # one response created, and paid for, across both tries
    assert outcome.value("respond")["status"] == "completed"


def test_a_retry_does_not_wait_on_a_response_that_already_finished(openai_emulator):
    openai_emulator.set_response_timings(queued=0, in_progress=0)
    store = StateStore()
    first = run_task(respond(background=True, deferrable=False, poll_interval=0.05), state_store=store).value
    assert len(sent(openai_emulator)) == 1 and first["status"] == "completed" and store == {}  # done: forgotten
    task = respond(background=True, deferrable=False, poll_interval=0.05)
    store[RUNNING_KEY] = {"id": first["id"], "request": _request_tag(task.api_arguments())}  # as a killed try leaves it
    run_task(task, state_store=store)
    assert len(sent(openai_emulator)) == 2  # it had finished: asked anew (its answer may be what failed the try)
