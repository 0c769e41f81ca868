"""The openai SDK reads every batch, upload, chat, response, conversation, speech, image and
moderation answer of the emulator into its own types (structured outputs parsed into pydantic models).

The client is built with ``_strict_response_validation=True``: the SDK then validates
each answer with its pydantic models (types, statuses, required fields) instead of
building them leniently, so an answer it would misread fails here. The SDK is a test
dependency only (it comes with ``apache-airflow-providers-openai``).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
from typing import Literal

import pytest

openai = pytest.importorskip("openai")

from openai.types import Batch, FileObject, Upload  # noqa: E402
from openai.types.conversations import Conversation, ConversationDeletedResource, ConversationItemList  # noqa: E402
from openai.types.responses import (  # noqa: E402
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFunctionToolCall,
    ResponseTextDeltaEvent,
)
from openai.types.uploads import UploadPart  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402

from airflow_provider_openai_adv.testing.jpeg import encode_jpeg, jpeg_size  # noqa: E402
from airflow_provider_openai_adv.testing.png import encode_png  # noqa: E402
from airflow_provider_openai_adv.testing.webp import webp_size  # noqa: E402

VALIDATING, PER_REQUEST, FINALIZING, CANCELLING = 100, 10, 100, 100


@pytest.fixture
def client(openai_emulator):
    openai_emulator.set_batch_timings(
        validating=VALIDATING, per_request=PER_REQUEST, finalizing=FINALIZING, cancelling=CANCELLING
    )
    with openai.OpenAI(
        base_url=openai_emulator.base_url,
        api_key=openai_emulator.api_key,
        max_retries=0,
        _strict_response_validation=True,
    ) as client:
        yield client


def input_file(client, count: int, *, bad: str | None = None) -> str:
    lines = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"Question {i}"}]},
        }
        for i in range(count)
    ]
    text = "\n".join([*(json.dumps(line) for line in lines), *([bad] if bad else [])])
    return client.files.create(file=("in.jsonl", text.encode()), purpose="batch").id


def create(client, count: int, **extra) -> Batch:
    return client.batches.create(
        input_file_id=input_file(client, count, bad=extra.pop("bad", None)),
        endpoint="/v1/chat/completions",
        completion_window="24h",
        **extra,
    )


def test_a_batch_through_its_statuses_is_typed(client, openai_emulator):
    batch = create(client, 3, metadata={"task_id": "dag.task"})
    assert isinstance(batch, Batch) and batch.status == "validating" and batch.metadata == {"task_id": "dag.task"}
    assert batch.in_progress_at is None and batch.output_file_id is None
    openai_emulator.advance_clock(VALIDATING + PER_REQUEST + 1)
    running = client.batches.retrieve(batch.id)
    assert running.status == "in_progress" and running.request_counts.completed == 1
    assert running.in_progress_at == batch.created_at + VALIDATING
    openai_emulator.advance_clock(3 * PER_REQUEST)
    assert client.batches.retrieve(batch.id).status == "finalizing"
    openai_emulator.advance_clock(FINALIZING)
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.request_counts.total == 3 and done.model == "gpt-4o-mini"
    assert done.usage.input_tokens > 0 and done.usage.output_tokens_details.reasoning_tokens == 0
    output = client.files.retrieve(done.output_file_id)
    assert isinstance(output, FileObject) and output.purpose == "batch_output"
    lines = [json.loads(line) for line in client.files.content(done.output_file_id).text.splitlines()]
    assert [line["custom_id"] for line in lines] == ["r0", "r1", "r2"]


def test_a_failed_batch_has_typed_errors(client, openai_emulator):
    batch = create(client, 1, bad="{oops")
    openai_emulator.advance_clock(VALIDATING + 1)
    failed = client.batches.retrieve(batch.id)
    assert failed.status == "failed" and failed.failed_at is not None
    (error,) = failed.errors.data
    assert (error.code, error.line, error.param) == ("invalid_json_line", 2, None)


def test_cancelling_expiring_and_listing_are_typed(client, openai_emulator):
    cancelled = create(client, 10)
    openai_emulator.set_batch_timings(per_request=3600)
    expiring = create(client, 30)
    openai_emulator.advance_clock(VALIDATING + 2 * PER_REQUEST + 1)
    cancelling = client.batches.cancel(cancelled.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    openai_emulator.advance_clock(24 * 3600)
    assert client.batches.retrieve(cancelled.id).status == "cancelled"
    expired = client.batches.retrieve(expiring.id)
    assert expired.status == "expired" and expired.expired_at == expired.expires_at
    with pytest.raises(openai.BadRequestError, match="Cannot cancel a batch with status cancelled"):
        client.batches.cancel(cancelled.id)
    first = client.batches.list(limit=1)
    assert [batch.id for batch in first.data] == [expiring.id] and first.has_more
    assert [batch.id for batch in client.batches.list(limit=1)] == [expiring.id, cancelled.id]  # every page


def test_a_bad_batch_request_is_the_sdks_bad_request_error(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.batches.create(input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h")
    assert caught.value.param == "input_file_id"
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_nope")


def test_an_upload_in_parts_is_typed(client):
    upload = client.uploads.create(bytes=6, filename="data.jsonl", mime_type="text/jsonl", purpose="batch")
    assert isinstance(upload, Upload) and upload.status == "pending" and upload.file is None
    parts = [client.uploads.parts.create(upload.id, data=data) for data in (b"abc", b"def")]
    assert all(isinstance(part, UploadPart) for part in parts)
    done = client.uploads.complete(
        upload.id, part_ids=[part.id for part in parts], md5=hashlib.md5(b"abcdef").hexdigest()
    )
    assert done.status == "completed" and isinstance(done.file, FileObject) and done.file.bytes == 6
    assert client.files.content(done.file.id).content == b"abcdef"
    other = client.uploads.create(bytes=1, filename="x.jsonl", mime_type="text/jsonl", purpose="batch")
    assert client.uploads.cancel(other.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError) as caught:
        client.uploads.parts.create(other.id, data=b"x")
    assert caught.value.param == "upload_id"


def test_upload_file_chunked_goes_through_the_part_limit(client, openai_emulator, tmp_path):
    openai_emulator.set_upload_limits(part_bytes=1024)
    source = tmp_path / "data.jsonl"
    source.write_bytes(bytes(range(256)) * 17)  # 4,352 bytes: five parts of at most 1,024
    with pytest.raises(openai.BadRequestError):
        client.uploads.upload_file_chunked(file=source, mime_type="text/jsonl", purpose="batch")  # 64 MB parts
    done = client.uploads.upload_file_chunked(file=source, mime_type="text/jsonl", purpose="batch", part_size=1024)
    assert done.status == "completed" and done.file.bytes == source.stat().st_size
    assert client.files.content(done.file.id).content == source.read_bytes()


def test_an_answer_the_sdk_would_misread_fails(client, openai_emulator):
    """The check can fail: a batch without its required fields is refused by the strict SDK."""
    openai_emulator.add_fault(path="/v1/batches/*", status=200, body='{"object": "batch", "status": "validating"}')
    with pytest.raises(openai.APIResponseValidationError):
        client.batches.retrieve("batch_any")


# -- responses, conversations, speech ------------------------------------------------------------

QUEUED, IN_PROGRESS = 100, 100
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


class City(BaseModel):
    name: str
    population: int


class Trip(BaseModel):
    destination: City
    stops: list[City]
    nights: int


def test_a_response_is_typed(client):
    response = client.responses.create(model="gpt-4o-mini", input="What is Airflow?", instructions="Be brief.")
    assert isinstance(response, Response) and response.status == "completed"
    assert response.output_text == "Emulated reply from gpt-4o-mini: What is Airflow?"
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert response.usage.input_tokens_details.cached_tokens == 0


def test_a_streamed_response_is_typed_event_by_event(client):
    events = list(client.responses.create(model="gpt-4o-mini", input="Stream it", stream=True))
    assert isinstance(events[0], ResponseCreatedEvent) and isinstance(events[-1], ResponseCompletedEvent)
    deltas = [event for event in events if isinstance(event, ResponseTextDeltaEvent)]
    assert "".join(event.delta for event in deltas) == events[-1].response.output_text
    assert [event.sequence_number for event in events] == list(range(len(events)))


def test_the_stream_helper_builds_the_final_response(client):
    with client.responses.stream(model="gpt-4o-mini", input="Stream helper") as stream:
        texts = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert final.status == "completed" and "".join(texts) == final.output_text
    assert client.responses.retrieve(final.id).output_text == final.output_text


def test_parse_reads_structured_output_into_a_nested_model(client):
    parsed = client.responses.parse(model="gpt-4o-mini", input="Plan a trip", text_format=Trip)
    assert isinstance(parsed.output_parsed, Trip) and isinstance(parsed.output_parsed.destination, City)


def test_a_function_call_and_its_result_are_typed(client):
    called = client.responses.create(model="gpt-4o-mini", input="Call get_weather", tools=[WEATHER_TOOL])
    [call] = called.output
    assert isinstance(call, ResponseFunctionToolCall) and json.loads(call.arguments).keys() == {"city"}
    result = {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}
    answered = client.responses.create(
        model="gpt-4o-mini", previous_response_id=called.id, input=[result], tools=[WEATHER_TOOL]
    )
    assert answered.output_text == "Emulated reply from gpt-4o-mini: sunny"


def test_a_background_response_is_retrieved_until_done_then_deleted(client, openai_emulator):
    openai_emulator.set_response_timings(queued=QUEUED, in_progress=IN_PROGRESS)
    created = client.responses.create(model="gpt-4o-mini", input="Later", background=True)
    assert created.status == "queued" and created.output == []
    seen = [created.status]
    while seen[-1] in ("queued", "in_progress"):
        openai_emulator.advance_clock(QUEUED / 2)
        seen.append(client.responses.retrieve(created.id).status)
    assert seen[-1] == "completed" and "in_progress" in seen
    assert client.responses.delete(created.id) is None
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


def test_a_background_response_is_cancelled(client, openai_emulator):
    openai_emulator.set_response_timings(queued=QUEUED, in_progress=IN_PROGRESS)
    created = client.responses.create(model="gpt-4o-mini", input="Never mind", background=True)
    assert client.responses.cancel(created.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="synchronous"):
        client.responses.cancel(client.responses.create(model="gpt-4o-mini", input="x").id)


def test_input_items_are_listed_page_after_page(client):
    messages = [{"role": "user", "content": f"message {index}"} for index in range(5)]
    response = client.responses.create(model="gpt-4o-mini", input=messages)
    page = client.responses.input_items.list(response.id, limit=2, order="asc")
    assert len(page.data) == 2 and page.has_more
    assert [item.content[0].text for item in page] == [f"message {index}" for index in range(5)]  # every page


def test_every_conversation_method_is_typed(client):
    conversation = client.conversations.create(
        metadata={"topic": "demo"}, items=[{"type": "message", "role": "user", "content": "Hello"}]
    )
    assert isinstance(conversation, Conversation) and conversation.metadata == {"topic": "demo"}
    assert client.conversations.retrieve(conversation.id) == conversation
    assert client.conversations.update(conversation.id, metadata={"topic": "new"}).metadata == {"topic": "new"}
    reply = client.responses.create(model="gpt-4o-mini", input="And you?", conversation=conversation.id)
    added = client.conversations.items.create(
        conversation.id, items=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Bye"}]}]
    )
    assert isinstance(added, ConversationItemList) and added.data[0].content[0].text == "Bye"
    items = list(client.conversations.items.list(conversation.id, limit=1, order="asc"))
    assert [item.role for item in items] == ["user", "user", "assistant", "user"]
    assert items[2].content[0].text == reply.output_text
    item = client.conversations.items.retrieve(items[0].id, conversation_id=conversation.id)
    assert item == items[0]
    assert client.conversations.items.delete(items[0].id, conversation_id=conversation.id).id == conversation.id
    deleted = client.conversations.delete(conversation.id)
    assert isinstance(deleted, ConversationDeletedResource) and deleted.deleted
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation.id)


def test_speech_is_bytes_plain_or_streamed(client):
    speech = client.audio.speech.create(model="tts-1", voice="alloy", input="Hello there", response_format="wav")
    assert speech.content.startswith(b"RIFF") and speech.response.headers["content-type"] == "audio/wav"
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice="nova", input="Hello there") as reply:
        assert reply.headers["content-type"] == "audio/mpeg" and b"".join(reply.iter_bytes()).startswith(b"\xff\xfb")


def test_response_errors_are_the_sdks_error_classes(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o-mini", input="x", max_output_tokens=5)
    assert (caught.value.param, caught.value.code) == ("max_output_tokens", "integer_below_min_value")
    with pytest.raises(openai.NotFoundError) as missing:
        client.responses.create(model="gpt-nope", input="x")
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="gpt-4o-mini", input="[[server_error]]")
    with pytest.raises(openai.BadRequestError):
        client.audio.speech.create(model="tts-1", voice="alloy", input="x" * 4097)


# -- images and moderation ----------------------------------------------------------------------


def test_a_gpt_image_answer_is_typed(client):
    answer = client.images.generate(
        model="gpt-image-2", prompt="A lighthouse", size="1536x864", quality="low",
        output_format="webp", background="transparent", moderation="low",
    )  # fmt: skip
    assert isinstance(answer, openai.types.ImagesResponse) and len(answer.data) == 1
    assert (answer.output_format, answer.background, answer.quality) == ("webp", "transparent", "low")
    assert answer.size is None  # the spec's answer names only the three standard sizes
    assert answer.usage.output_tokens_details.image_tokens == answer.usage.output_tokens
    assert webp_size(base64.b64decode(answer.data[0].b64_json)) == (1536, 864)


def test_a_dall_e_answer_is_typed(client):
    answer = client.images.generate(model="dall-e-3", prompt="A lighthouse", style="natural", quality="hd")
    assert answer.data[0].url.startswith("http") and "natural" in answer.data[0].revised_prompt
    assert answer.usage is None and answer.output_format is None


def test_an_edit_of_several_images_is_typed(client, openai_emulator):
    answer = client.images.edit(
        model="gpt-image-1.5", prompt="Put them together", input_fidelity="high", output_format="jpeg",
        image=[("a.png", encode_png(32, 32, 1), "image/png"), ("b.jpg", encode_jpeg(32, 32, 2), "image/jpeg")],
    )  # fmt: skip
    assert [part["filename"] for part in openai_emulator.requests[-1].files["image[]"]] == ["a.png", "b.jpg"]
    assert answer.output_format == "jpeg" and answer.usage.input_tokens_details.image_tokens == 2 * 323
    assert jpeg_size(base64.b64decode(answer.data[0].b64_json)) == (1024, 1024)


def test_streamed_images_are_typed_event_by_event(client):
    partial, completed = openai.types.ImageGenPartialImageEvent, openai.types.ImageGenCompletedEvent
    generated = list(client.images.generate(model="gpt-image-1", prompt="A kite", stream=True, partial_images=2))
    assert [type(event) for event in generated] == [partial, partial, completed]
    assert [event.partial_image_index for event in generated[:2]] == [0, 1]
    assert generated[-1].usage.total_tokens > 0 and generated[-1].size == "auto"
    image = ("a.png", encode_png(32, 32, 1), "image/png")
    edited = list(client.images.edit(model="gpt-image-1.5", prompt="A hat", image=image, stream=True))
    assert [type(event) for event in edited] == [openai.types.ImageEditCompletedEvent]


def test_image_errors_are_the_sdks_error_classes(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="gpt-image-1", prompt="x", response_format="url")
    assert (caught.value.param, caught.value.code) == ("response_format", "unknown_parameter")
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="gpt-image-1", prompt="x", output_compression=50)
    assert caught.value.param == "output_compression"


def test_a_moderation_of_text_and_an_image_is_typed(client):
    parts = [
        {"type": "text", "text": "a quiet garden"},
        {"type": "image_url", "image_url": {"url": "https://example.com/blood.png"}},
    ]
    answer = client.moderations.create(model="omni-moderation-latest", input=parts)
    assert isinstance(answer, openai.types.ModerationCreateResponse) and answer.model == "omni-moderation-latest"
    [result] = answer.results
    assert result.categories.violence_graphic and result.category_applied_input_types.violence_graphic == [
        "text", "image",
    ]  # fmt: skip
    legacy = client.moderations.create(model="text-moderation-stable", input="how to counterfeit money")
    assert legacy.results[0].categories.illicit is None


# -- chat: structured outputs, tools, logprobs ----------------------------------------------


class Address(BaseModel):
    street: str
    city: str


class Customer(BaseModel):
    name: str
    address: Address
    previous: Address | None


class Reading(BaseModel):
    sensor: str
    value: int | None


class LineItem(BaseModel):
    sku: str
    quantity: int = Field(ge=1)


class Order(BaseModel):
    items: list[LineItem]


class Status(enum.Enum):
    OPEN = "open"
    SHIPPED = "shipped"


class Ticket(BaseModel):
    status: Status
    priority: Literal["low", "urgent"]


class LookUpOrder(BaseModel):
    """Find an order by its number."""

    order_number: int
    include_items: bool
    region: Literal["eu", "us"]


def parse(client, model: type[BaseModel], prompt: str):
    completion = client.chat.completions.parse(
        model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}], response_format=model
    )
    (choice,) = completion.choices
    assert choice.finish_reason == "stop" and choice.message.refusal is None
    return choice.message.parsed


def test_parse_fills_a_nested_model(client):
    customer = parse(client, Customer, "Who ordered?")
    assert isinstance(customer, Customer) and isinstance(customer.address, Address)
    assert customer.name.endswith("Who ordered?") and isinstance(customer.previous, Address)


def test_parse_fills_an_optional_int_with_an_int(client):
    reading = parse(client, Reading, "The thermometer")
    assert isinstance(reading.value, int)


def test_parse_fills_a_list_of_sub_models_within_their_constraints(client):
    order = parse(client, Order, "What was ordered?")
    assert len(order.items) == 1 and order.items[0].quantity >= 1


def test_parse_takes_the_enum_and_literal_values_the_prompt_names(client):
    assert parse(client, Ticket, "The parcel has shipped: urgent!") == Ticket(status=Status.SHIPPED, priority="urgent")
    assert parse(client, Ticket, "Nothing to say") == Ticket(status=Status.OPEN, priority="low")


def test_a_strict_function_tool_is_called_with_arguments_that_validate(client):
    completion = client.chat.completions.parse(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Where is my parcel? Ask LookUpOrder for the us."}],
        tools=[openai.pydantic_function_tool(LookUpOrder)],
    )
    (choice,) = completion.choices
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "LookUpOrder"
    assert call.function.parsed_arguments == LookUpOrder(order_number=0, include_items=False, region="us")


def test_a_schema_with_no_value_is_the_sdks_bad_request_error(client):
    endless = {"type": "object", "properties": {"again": {"$ref": "#"}}, "required": ["again"]}
    with pytest.raises(openai.BadRequestError, match="Invalid schema for response_format 'endless'") as caught:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Hi"}],
            response_format={"type": "json_schema", "json_schema": {"name": "endless", "schema": endless}},
        )
    assert caught.value.param == "response_format"


def test_logprobs_come_typed_for_every_token_of_the_reply(client):
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}], logprobs=True, top_logprobs=3
    )
    (choice,) = completion.choices
    tokens = choice.logprobs.content
    assert "".join(token.token for token in tokens) == choice.message.content and choice.logprobs.refusal is None
    for token in tokens:
        assert token.logprob < 0 and bytes(token.bytes).decode() == token.token
        assert [top.token for top in token.top_logprobs][0] == token.token and len(token.top_logprobs) == 3
        assert [top.logprob for top in token.top_logprobs] == sorted(
            (top.logprob for top in token.top_logprobs), reverse=True
        )


def test_streamed_logprobs_come_with_each_delta(client):
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}], logprobs=True, stream=True
    )
    deltas = [(chunk.choices[0].delta.content, chunk.choices[0].logprobs) for chunk in stream if chunk.choices]
    pieces = [(content, logprobs) for content, logprobs in deltas if content]
    assert pieces and all([entry.token for entry in logprobs.content] == [content] for content, logprobs in pieces)
    assert all(entry.top_logprobs == [] for _, logprobs in pieces for entry in logprobs.content)
