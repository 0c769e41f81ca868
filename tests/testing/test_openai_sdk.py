"""The openai SDK reads every answer of the emulator into its own types, across every family it
has methods for: models, completions, chat (structured outputs parsed into pydantic models, tools,
logprobs, streams), responses, conversations, embeddings, moderations, images, audio (speech,
transcriptions in every format, translations), files, uploads, batches and fine-tuning; and each
family's errors are the SDK's error classes.

The client is built with ``_strict_response_validation=True``: the SDK then validates
each answer with its pydantic models (types, statuses, required fields) instead of
building them leniently, so an answer it would misread fails here. The SDK is a test
dependency only (it comes with ``apache-airflow-providers-openai``).

Three answers of OpenAI's own the SDK's types cannot hold, so its strict check refuses them
from OpenAI as from the emulator; their tests say so and read them raw: completion stream
chunks (``finish_reason: null`` until a choice ends), base64 embeddings (a string, where the
type has a list of floats; the SDK asks for base64 when no format is given) and a file of
purpose ``evals`` (a purpose the spec's file object does not list).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import struct
from typing import Literal

import pytest

openai = pytest.importorskip("openai")

from openai.types import (  # noqa: E402
    Batch,
    Completion,
    CreateEmbeddingResponse,
    FileDeleted,
    FileObject,
    Model,
    ModelDeleted,
    Upload,
)
from openai.types.audio import (  # noqa: E402
    Transcription,
    TranscriptionDiarized,
    TranscriptionVerbose,
    Translation,
    TranslationVerbose,
)
from openai.types.chat import ChatCompletion, ChatCompletionChunk  # noqa: E402
from openai.types.conversations import Conversation, ConversationDeletedResource, ConversationItemList  # noqa: E402
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent  # noqa: E402
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint  # noqa: E402
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
from tests.fine_tuning import GOOD_EXAMPLES, training_jsonl  # noqa: E402
from tests.media import make_wav  # noqa: E402

# The SDK marks translations and image variations deprecated; OpenAI still serves both.
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

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


# -- models, completions, chat --------------------------------------------------------------

HELLO = [{"role": "user", "content": "Say hello"}]


def test_models_are_listed_and_retrieved_typed(client):
    models = list(client.models.list())
    assert all(isinstance(model, Model) for model in models) and "gpt-4o-mini" in {model.id for model in models}
    assert client.models.retrieve("whisper-1") == Model(
        id="whisper-1", object="model", created=models[0].created, owned_by="openai-internal"
    )


def test_a_fine_tuned_model_is_deleted_and_a_base_model_is_not(client, openai_emulator):
    fine_tuned = finished_job(client, openai_emulator).fine_tuned_model
    assert client.models.retrieve(fine_tuned).owned_by == "org-emulator"
    deleted = client.models.delete(fine_tuned)
    assert isinstance(deleted, ModelDeleted) and deleted.deleted and deleted.id == fine_tuned
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.models.delete("gpt-4o-mini")
    assert caught.value.code == "insufficient_permissions"


def test_a_completion_is_typed(client):
    completion = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hello", max_tokens=40)
    assert isinstance(completion, Completion) and completion.object == "text_completion"
    (choice,) = completion.choices
    assert choice.finish_reason == "stop" and choice.text == " Emulated reply from gpt-3.5-turbo-instruct: Say hello"
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_completions_with_n_echo_and_logprobs_are_typed(client):
    completion = client.completions.create(
        model="davinci-002", prompt=["First", "Second"], n=2, echo=True, logprobs=2, max_tokens=40
    )
    assert [choice.index for choice in completion.choices] == [0, 1, 2, 3]
    assert [choice.text.split(" ")[0] for choice in completion.choices] == ["First", "First", "Second", "Second"]
    for choice in completion.choices:
        assert "".join(choice.logprobs.tokens) == choice.text and len(choice.logprobs.top_logprobs[0]) == 2


def test_streamed_completion_chunks_are_typed_but_for_the_null_finish_reason_openai_sends(client):
    """OpenAI streams ``finish_reason: null`` until a choice ends (the spec's own streaming example
    does too; see ``tests/contract/test_text_contract.py``), a value the SDK's ``Completion`` type
    does not admit: its strict check refuses such a stream, OpenAI's as the emulator's. So the chunks
    are read raw, and each goes into the SDK's type with only that one field filled in."""
    request = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hello", "max_tokens": 40, "stream": True}
    with pytest.raises(openai.APIResponseValidationError):
        next(iter(client.completions.create(**request)))
    with client.completions.with_streaming_response.create(**request, stream_options={"include_usage": True}) as raw:
        chunks = [json.loads(line.removeprefix("data: ")) for line in raw.iter_lines() if line.startswith("data: {")]
    *texts, usage = chunks
    reasons = [chunk["choices"][0]["finish_reason"] for chunk in texts]
    assert reasons == [None] * (len(texts) - 1) + ["stop"]
    typed = [Completion.model_validate(with_finish_reason(chunk)) for chunk in texts]
    assert "".join(chunk.choices[0].text for chunk in typed) == " Emulated reply from gpt-3.5-turbo-instruct: Say hello"
    assert Completion.model_validate(usage).usage.completion_tokens > 0 and usage["choices"] == []


def with_finish_reason(chunk: dict) -> dict:
    return {**chunk, "choices": [{**choice, "finish_reason": "stop"} for choice in chunk["choices"]]}


def test_a_chat_completion_and_its_n_choices_are_typed(client):
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, n=3)
    assert isinstance(completion, ChatCompletion) and [choice.index for choice in completion.choices] == [0, 1, 2]
    assert {choice.message.content for choice in completion.choices} == {"Emulated reply from gpt-4o-mini: Say hello"}
    assert completion.choices[0].finish_reason == "stop" and completion.usage.completion_tokens > 0


def test_a_streamed_chat_completion_is_typed_chunk_by_chunk_with_its_usage_last(client):
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini", messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
    )
    assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
    *deltas, last = chunks
    assert (
        "".join(chunk.choices[0].delta.content or "" for chunk in deltas)
        == "Emulated reply from gpt-4o-mini: Say hello"
    )
    assert deltas[-1].choices[0].finish_reason == "stop"
    assert last.choices == [] and last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens


def test_a_streamed_tool_call_is_typed_and_assembled_by_the_stream_helper(client):
    tool = {"type": "function", "function": {k: WEATHER_TOOL[k] for k in ("name", "parameters", "strict")}}
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Ask get_weather"}], "tools": [tool]}
    chunks = list(client.chat.completions.create(**request, stream=True))
    [call] = [call for chunk in chunks for call in chunk.choices[0].delta.tool_calls or []]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments).keys() == {"city"}
    with client.chat.completions.stream(**request) as stream:
        final = stream.get_final_completion()
    (choice,) = final.choices
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls[0].function.parsed_arguments.keys() == {
        "city"
    }


# -- embeddings, moderations ------------------------------------------------------------------


def test_float_embeddings_are_typed_at_the_dimensions_asked(client):
    answer = client.embeddings.create(
        model="text-embedding-3-large", input=["a lighthouse", "a harbour"], encoding_format="float", dimensions=256
    )
    assert isinstance(answer, CreateEmbeddingResponse) and [item.index for item in answer.data] == [0, 1]
    assert [len(item.embedding) for item in answer.data] == [256, 256] and answer.usage.prompt_tokens > 0


def test_base64_embeddings_are_the_float_vectors_packed_in_a_string_the_sdks_type_cannot_hold(client):
    """OpenAI answers ``encoding_format=base64`` with a string, which the SDK's ``Embedding.embedding``
    (a list of floats) does not admit: strict, the SDK refuses it, and it asks for base64 itself when
    no format is given. So the base64 answer is read raw and compared with the float one."""
    with pytest.raises(openai.APIResponseValidationError):
        client.embeddings.create(model="text-embedding-3-small", input="a lighthouse")
    request = {"model": "text-embedding-3-small", "input": "a lighthouse", "dimensions": 64}
    floats = client.embeddings.create(**request, encoding_format="float").data[0].embedding
    packed = client.embeddings.with_raw_response.create(**request, encoding_format="base64").http_response.json()
    decoded = struct.unpack("<64f", base64.b64decode(packed["data"][0]["embedding"]))
    assert decoded == pytest.approx(floats, abs=1e-7)


def test_a_moderation_of_one_text_and_of_several_is_typed(client):
    one = client.moderations.create(input="I will attack")
    assert isinstance(one, openai.types.ModerationCreateResponse) and one.model == "omni-moderation-latest"
    assert one.results[0].flagged and one.results[0].categories.violence
    several = client.moderations.create(model="omni-moderation-2024-09-26", input=["a quiet garden", "you idiot"])
    assert [result.flagged for result in several.results] == [False, True]
    assert several.results[1].categories.harassment and several.results[1].category_scores.harassment > 0.9


# -- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["assistants", "batch", "fine-tune", "vision", "user_data"])
def test_a_file_of_each_purpose_is_typed_and_processed(client, purpose):
    uploaded = client.files.create(file=("data.jsonl", training_jsonl()), purpose=purpose)
    assert isinstance(uploaded, FileObject) and uploaded.purpose == purpose and uploaded.bytes == len(training_jsonl())
    assert client.files.wait_for_processing(uploaded.id, poll_interval=0).status == "processed"


def test_an_evals_file_has_a_purpose_the_sdks_file_type_does_not_know(client):
    """The spec takes ``evals`` as an upload's purpose, but its ``OpenAIFile`` answer (and so the
    SDK's ``FileObject``) lists no such purpose: strict, the SDK refuses the answer. What purpose
    OpenAI's answer names is not documented; the emulator repeats the one given."""
    with pytest.raises(openai.APIResponseValidationError):
        client.files.create(file=("evals.jsonl", b"{}\n"), purpose="evals")
    raw = client.files.with_raw_response.list(purpose="evals").http_response.json()
    assert [file["purpose"] for file in raw["data"]] == ["evals"]


def test_files_are_listed_by_purpose_and_order_page_after_page(client):
    batch_files = [client.files.create(file=(f"{n}.jsonl", b"{}\n"), purpose="batch").id for n in range(3)]
    client.files.create(file=("train.jsonl", training_jsonl()), purpose="fine-tune")
    first = client.files.list(purpose="batch", order="asc", limit=2)
    assert [file.id for file in first.data] == batch_files[:2] and first.has_more
    assert [file.id for file in first] == batch_files  # every page
    assert [file.id for file in client.files.list(purpose="batch")] == batch_files[::-1]  # newest first


def test_a_files_content_is_read_and_the_file_deleted(client):
    uploaded = client.files.create(file=("data.jsonl", b'{"a": 1}\n'), purpose="batch")
    assert client.files.content(uploaded.id).content == b'{"a": 1}\n'
    deleted = client.files.delete(uploaded.id)
    assert isinstance(deleted, FileDeleted) and deleted.deleted and deleted.id == uploaded.id
    assert client.files.list().data == []


# -- fine-tuning ---------------------------------------------------------------------------------

FINE_TUNE_TIMINGS = {"validating": 100, "queued": 100, "running": 300}
PREFERENCES = [
    {
        "input": {"messages": [{"role": "user", "content": f"Greet customer {i}"}]},
        "preferred_output": [{"role": "assistant", "content": "Hello!"}],
        "non_preferred_output": [{"role": "assistant", "content": "What?"}],
    }
    for i in range(10)
]
GRADER = {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
          "reference": "{{item.answer}}", "operation": "eq"}  # fmt: skip
SUPERVISED = {
    "type": "supervised",
    "supervised": {"hyperparameters": {"batch_size": 2, "learning_rate_multiplier": 0.5}},
}
REINFORCEMENT = {"type": "reinforcement",
                 "reinforcement": {"grader": GRADER, "hyperparameters": {"reasoning_effort": "low"}}}  # fmt: skip


def fine_tune_file(client, examples=GOOD_EXAMPLES) -> str:
    return client.files.create(file=("train.jsonl", training_jsonl(examples)), purpose="fine-tune").id


def finished_job(client, openai_emulator, **params) -> FineTuningJob:
    """A job run to its end on the emulator's clock (default timings: five seconds)."""
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=fine_tune_file(client), **params)
    openai_emulator.advance_clock(60)
    return client.fine_tuning.jobs.retrieve(job.id)


def test_a_fine_tuning_job_is_typed_through_every_status(client, openai_emulator):
    openai_emulator.set_fine_tune_timings(**FINE_TUNE_TIMINGS)
    created = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=fine_tune_file(client), hyperparameters={"n_epochs": 2},
        suffix="tickets", seed=7, metadata={"team": "support"},
    )  # fmt: skip
    jobs = [created]
    for seconds in FINE_TUNE_TIMINGS.values():
        openai_emulator.advance_clock(seconds)
        jobs.append(client.fine_tuning.jobs.retrieve(created.id))
    assert all(isinstance(job, FineTuningJob) for job in jobs)
    assert [job.status for job in jobs] == ["validating_files", "queued", "running", "succeeded"]
    assert created.hyperparameters.batch_size == "auto" and jobs[1].hyperparameters.batch_size == 1
    assert jobs[2].estimated_finish == jobs[2].created_at + 200 + 300
    done = jobs[-1]
    assert done.fine_tuned_model.startswith("ft:gpt-4o-mini:emulator:tickets:") and done.trained_tokens > 0
    assert (done.seed, done.metadata, done.method.type) == (7, {"team": "support"}, "supervised")
    assert client.files.retrieve(done.result_files[0]).purpose == "fine-tune-results"


def test_each_fine_tuning_method_is_typed_on_its_job(client):
    training = fine_tune_file(client)
    supervised = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=training, validation_file=training,
        method=SUPERVISED,
        integrations=[{"type": "wandb", "wandb": {"project": "tickets", "tags": ["emulated"]}}],
    )  # fmt: skip
    assert supervised.method.supervised.hyperparameters.learning_rate_multiplier == 0.5
    assert supervised.integrations[0].wandb.project == "tickets" and supervised.validation_file == training
    dpo = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=fine_tune_file(client, PREFERENCES),
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}},
    )  # fmt: skip
    assert dpo.method.type == "dpo" and dpo.method.dpo.hyperparameters.beta == 0.2
    reinforcement = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=training,
        method=REINFORCEMENT,
    )  # fmt: skip
    assert reinforcement.method.reinforcement.grader.operation == "eq"
    assert reinforcement.method.reinforcement.hyperparameters.reasoning_effort == "low"


def test_jobs_are_listed_by_metadata_page_after_page(client):
    training = fine_tune_file(client)
    ids = [
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training, metadata=metadata).id
        for metadata in ({"team": "a"}, {"team": "b"}, {"team": "a"})
    ]
    assert [job.id for job in client.fine_tuning.jobs.list(metadata={"team": "a"})] == [ids[2], ids[0]]
    first = client.fine_tuning.jobs.list(limit=1)
    assert first.has_more and [job.id for job in first] == ids[::-1]  # every page, newest first


def test_a_jobs_events_and_checkpoints_are_listed_typed_page_after_page(client, openai_emulator):
    job = finished_job(client, openai_emulator, hyperparameters={"n_epochs": 3, "batch_size": 4})
    first = client.fine_tuning.jobs.list_events(job.id, limit=5)
    assert len(first.data) == 5 and first.has_more and first.data[0].message == "The job succeeded."
    events = list(first)  # every page
    assert all(isinstance(event, FineTuningJobEvent) for event in events)
    steps = [event.data["step"] for event in events if event.type == "metrics"]
    assert steps == list(range(9, 0, -1))  # 12 examples in batches of 4, three epochs; newest first
    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id, limit=1))
    assert all(isinstance(checkpoint, FineTuningJobCheckpoint) for checkpoint in checkpoints)
    assert [checkpoint.step_number for checkpoint in checkpoints] == [9, 6, 3]
    assert checkpoints[0].fine_tuned_model_checkpoint == f"{job.fine_tuned_model}:ckpt-step-9"
    assert checkpoints[0].metrics.train_loss > 0


def test_a_cancelled_job_and_a_failed_one_are_typed(client, openai_emulator):
    running = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=fine_tune_file(client))
    cancelled = client.fine_tuning.jobs.cancel(running.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    with pytest.raises(openai.BadRequestError, match="only a job in progress can be cancelled"):
        client.fine_tuning.jobs.cancel(running.id)
    bad = client.files.create(file=("bad.jsonl", b"{oops\n"), purpose="fine-tune")
    failed = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=bad.id)
    openai_emulator.advance_clock(60)
    error = client.fine_tuning.jobs.retrieve(failed.id).error
    assert (error.code, error.param) == ("invalid_training_file", "training_file") and "line 1" in error.message


# -- audio: transcriptions and translations ------------------------------------------------------

SPEECH_AUDIO = ("talk.wav", make_wav(4), "audio/wav")


def test_a_transcription_in_each_response_format_is_typed(client):
    create = client.audio.transcriptions.create
    plain = create(model="whisper-1", file=SPEECH_AUDIO)
    assert isinstance(plain, Transcription) and plain.usage.type == "duration" and plain.usage.seconds == 4
    verbose = create(
        model="whisper-1",
        file=SPEECH_AUDIO,
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert isinstance(verbose, TranscriptionVerbose) and verbose.text == plain.text and verbose.duration == 4
    assert " ".join(word.word for word in verbose.words) == plain.text.replace(".", "").lower()
    assert verbose.segments[0].start == 0 and verbose.segments[-1].end == pytest.approx(4)
    assert create(model="whisper-1", file=SPEECH_AUDIO, response_format="text") == plain.text + "\n"
    assert create(model="whisper-1", file=SPEECH_AUDIO, response_format="srt").startswith("1\n00:00:00,000 --> ")
    assert create(model="whisper-1", file=SPEECH_AUDIO, response_format="vtt").startswith("WEBVTT\n\n00:00:00.000")
    tokens = create(model="gpt-4o-mini-transcribe", file=SPEECH_AUDIO).usage
    assert tokens.type == "tokens" and tokens.input_token_details.audio_tokens == 40


def test_a_diarized_transcription_is_typed(client):
    answer = client.audio.transcriptions.create(
        model="gpt-4o-transcribe-diarize", file=("call.wav", make_wav(12), "audio/wav"),
        response_format="diarized_json", chunking_strategy="auto",
    )  # fmt: skip
    assert isinstance(answer, TranscriptionDiarized) and answer.task == "transcribe" and answer.duration == 12
    assert " ".join(segment.text for segment in answer.segments) == answer.text
    assert [segment.speaker for segment in answer.segments[:3]] == ["A", "B", "A"]
    assert answer.usage.type == "tokens"


def test_translations_are_typed(client):
    translation = client.audio.translations.create(model="whisper-1", file=SPEECH_AUDIO, prompt="Airflow")
    assert isinstance(translation, Translation) and translation.text.endswith(".")
    verbose = client.audio.translations.create(model="whisper-1", file=SPEECH_AUDIO, response_format="verbose_json")
    assert (
        isinstance(verbose, TranslationVerbose) and verbose.language == "english" and verbose.text == translation.text
    )
    assert client.audio.translations.create(model="whisper-1", file=SPEECH_AUDIO, response_format="text").endswith("\n")


def test_an_image_variation_is_typed(client):
    image = ("in.png", encode_png(64, 64, 1), "image/png")
    by_url = client.images.create_variation(image=image, n=2, size="256x256")
    assert isinstance(by_url, openai.types.ImagesResponse) and len(by_url.data) == 2
    assert all(item.url.startswith("http") for item in by_url.data)
    inline = client.images.create_variation(image=image, response_format="b64_json")
    assert base64.b64decode(inline.data[0].b64_json).startswith(b"\x89PNG")


# -- one error of each family, typed -------------------------------------------------------------

FAMILY_ERRORS = {
    "models": (lambda c: c.models.retrieve("gpt-nope"), openai.NotFoundError, "model_not_found", "model"),
    "completions": (
        lambda c: c.completions.create(model="davinci-002", prompt="x", n=2, best_of=1),
        openai.BadRequestError, None, "best_of",
    ),
    "chat": (
        lambda c: c.chat.completions.create(model="gpt-4o-mini", messages=HELLO, temperature=3),
        openai.BadRequestError, "invalid_value", "temperature",
    ),
    "embeddings": (
        lambda c: c.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=8, encoding_format="float"),
        openai.BadRequestError, None, "dimensions",
    ),
    "moderations": (lambda c: c.moderations.create(input=[]), openai.BadRequestError, None, "input"),
    "files": (lambda c: c.files.retrieve("file-nope"), openai.NotFoundError, None, "id"),
    "fine_tuning": (
        lambda c: c.fine_tuning.jobs.retrieve("ftjob-nope"), openai.NotFoundError, None, "fine_tuning_job_id",
    ),
    "fine_tuning model": (
        lambda c: c.fine_tuning.jobs.create(model="tts-1", training_file=fine_tune_file(c)),
        openai.BadRequestError, "model_not_available", "model",
    ),
    "transcriptions": (
        lambda c: c.audio.transcriptions.create(model="gpt-4o-transcribe", file=SPEECH_AUDIO, response_format="srt"),
        openai.BadRequestError, "unsupported_value", "response_format",
    ),
    "translations": (
        lambda c: c.audio.translations.create(model="whisper-1", file=("notes.txt", b"text")),
        openai.BadRequestError, "invalid_value", "file",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("call", "error", "code", "param"), FAMILY_ERRORS.values(), ids=FAMILY_ERRORS)
def test_an_error_of_each_family_is_the_sdks_error_class(client, call, error, code, param):
    with pytest.raises(error) as caught:
        call(client)
    assert (caught.value.code, caught.value.param) == (code, param)
    assert caught.value.status_code == {openai.BadRequestError: 400, openai.NotFoundError: 404}[error]
