"""``OpenAIAdvHook``: an Airflow Connection turned into an OpenAI client, and the API catalogue.

Each API action is one short method: check the arguments (``validation``), name the
HTTP method and the path template (ids go into it as single encoded segments), say how
the body is sent. Every HTTP detail (retries, errors, streaming, pagination) is the
client's. The eight actions whose endpoints OpenAI removed run on today's API here;
``OpenAIAdvLegacyHook`` (``hooks/legacy.py``) sends them to their 2023 paths, and
:meth:`OpenAIAdvHook.for_connection` picks between the two once.

The connection (type ``openai_adv``):

* password — the API key;
* host — the base URL, default ``https://api.openai.com/v1`` (any OpenAI-compatible server);
* extras — ``organization``, ``project``, ``timeout`` (seconds), ``max_retries``, and, less
  often needed, ``connect_timeout``, ``max_retry_wait`` (the cap on a server-requested
  wait, seconds), ``ca_bundle`` (a PEM file of CAs to trust) and ``legacy_endpoints``
  (send the removed actions to their 2023 paths).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from airflow_provider_openai_adv import validation as check
from airflow_provider_openai_adv.get_provider_info import CONN_TYPE, DEFAULT_CONN_ID, HOOK_NAME, UI_FIELD_BEHAVIOUR

if TYPE_CHECKING:
    from airflow_provider_openai_adv.client import OpenAIClient, RateLimitInfo
    from airflow_provider_openai_adv.client.aio import AsyncOpenAIClient
    from airflow_provider_openai_adv.client.config import ClientConfig
    from airflow_provider_openai_adv.client.multipart import FilePart
    from airflow_provider_openai_adv.hooks.streaming import OnDelta
    from airflow_provider_openai_adv.jobs.kinds import JobKind

ADOPTION_SKEW = 120  # seconds: how much earlier than our attempt a lost upload may be dated
IMAGE_EDIT_MODEL = "dall-e-2"  # sent when none is given: the API's own default has changed over time
JSON_AUDIO_FORMATS = ("json", "verbose_json", "diarized_json")


class OpenAIAdvHook(BaseHook):
    """Talk to the OpenAI API (or a compatible server) through an Airflow Connection.

    :param conn_id: the ``openai_adv`` connection to use.
    :param timeout: overrides the connection's ``timeout`` extra (seconds).
    :param max_retries: overrides the connection's ``max_retries`` extra.
    """

    conn_name_attr = "conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = HOOK_NAME
    legacy = False  # OpenAIAdvLegacyHook: the removed actions go to their 2023 paths

    def __init__(
        self, conn_id: str = DEFAULT_CONN_ID, *, timeout: float | None = None, max_retries: int | None = None
    ) -> None:
        super().__init__()
        self.conn_id = conn_id
        self._overrides = {"timeout": timeout, "max_retries": max_retries}

    @classmethod
    def for_connection(cls, conn_id: str = DEFAULT_CONN_ID, *, legacy: bool | None = None, **options: Any) -> Any:
        """The hook for ``conn_id``: :class:`OpenAIAdvLegacyHook` when ``legacy`` — or, when
        ``legacy`` is ``None``, the connection's ``legacy_endpoints`` extra — asks for the
        2023 paths of the removed actions; this class otherwise."""
        connection = None
        if legacy is None:
            from airflow_provider_openai_adv.hooks.connection import legacy_endpoints

            connection = cls.get_connection(conn_id)
            legacy = legacy_endpoints(connection)
        if legacy:
            from airflow_provider_openai_adv.hooks.legacy import OpenAIAdvLegacyHook

            hook = OpenAIAdvLegacyHook(conn_id, **options)
        else:
            hook = OpenAIAdvHook(conn_id, **options)
        if connection is not None:
            hook.__dict__["connection"] = connection  # read once, not again by the hook
        return hook

    # -- connection form (Airflow < 3.2 reads these; newer versions read provider info) --

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return UI_FIELD_BEHAVIOUR

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        from wtforms import IntegerField, StringField
        from wtforms.validators import NumberRange, Optional

        return {
            "organization": StringField("Organization ID"),
            "project": StringField("Project ID"),
            "timeout": IntegerField("Timeout (seconds)", validators=[Optional(), NumberRange(min=1)], default=600),
            "max_retries": IntegerField("Max retries", validators=[Optional(), NumberRange(min=0)], default=2),
            "ca_bundle": StringField("CA bundle (path)"),
        }

    # -- the client -----------------------------------------------------------------------

    @cached_property
    def connection(self) -> Any:
        return self.get_connection(self.conn_id)

    @cached_property
    def client(self) -> OpenAIClient:
        """The HTTP client, built once per hook from the connection."""
        from airflow_provider_openai_adv.client.http import OpenAIClient
        from airflow_provider_openai_adv.hooks.connection import client_config

        return OpenAIClient(client_config(self.connection, **self._overrides))

    async def async_client(self) -> AsyncOpenAIClient:
        """The asyncio client (for triggers): the running loop's pooled client for this
        connection's settings, shared with every other hook on the loop using them
        (``client/aio.py``); the connection is fetched without blocking, once per loop and
        connection for half a minute. :meth:`aclose` lets go of it."""
        if "async_hold_" not in self.__dict__:
            from airflow_provider_openai_adv.client.aio import cached_config, pooled_client

            key = (self.conn_type, self.conn_id, *sorted(self._overrides.items()))
            self.__dict__["async_hold_"] = pooled_client(await cached_config(key, self._async_config))
        return self.__dict__["async_hold_"].client

    async def _async_config(self) -> ClientConfig:
        from airflow_provider_openai_adv.hooks.connection import client_config

        return client_config(await self.aget_connection(self.conn_id), **self._overrides)

    def get_conn(self) -> OpenAIClient:
        return self.client

    @property
    def fine_tune_kind(self) -> JobKind:
        """The kind of job a fine-tune of this hook is, for the wait engine."""
        from airflow_provider_openai_adv.jobs.fine_tuning import FINE_TUNE

        return FINE_TUNE

    @property
    def last_rate_limit(self) -> RateLimitInfo | None:
        """The ``x-ratelimit-*`` state the server last reported."""
        return self.client.last_rate_limit

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()

    async def aclose(self) -> None:
        if "async_hold_" in self.__dict__:
            await self.__dict__.pop("async_hold_").release()

    def test_connection(self) -> tuple[bool, str]:
        """List the models: ``(True, summary)`` or ``(False, OpenAI's error message)``."""
        from airflow_provider_openai_adv.exceptions import APIStatusError, OpenAIAdvError

        try:
            models = self.get_models()
        except APIStatusError as error:
            return False, error.message or str(error)
        except OpenAIAdvError as error:
            return False, str(error)
        return True, f"Connected to {self.client.config.base_url}: {len(models)} models available."

    # -- models ---------------------------------------------------------------------------

    def get_models(self) -> list[dict[str, Any]]:
        """``GET /models``: every model the key can use."""
        return list(self.client.paginate("models"))

    def retrieve_model(self, model: str) -> dict[str, Any]:
        """``GET /models/{model}``."""
        return self.client.get("models/{model}", model=model)

    def delete_fine_tuned_model(self, model: str) -> dict[str, Any]:
        """``DELETE /models/{model}``: only fine-tuned models you own can be deleted."""
        return self.client.delete("models/{model}", model=model)

    # -- text -----------------------------------------------------------------------------

    def create_completion(
        self, *, model: str, prompt: Any, stream: bool = False, on_delta: OnDelta | None = None, **params: Any
    ) -> dict[str, Any]:
        """``POST /completions`` (the instruct models); ``stream=True`` as for chat."""
        check.check_completion(model, prompt, params)
        body = {"model": model, "prompt": prompt, **params}
        if not stream:
            return self.client.post("completions", body)
        from airflow_provider_openai_adv.hooks.streaming import assemble_completion

        return assemble_completion(self._stream("completions", body), on_delta)

    def create_chat_completion(
        self,
        *,
        model: str,
        messages: list[dict[str, Any]],
        stream: bool = False,
        on_delta: OnDelta | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """``POST /chat/completions``; with ``stream=True`` the answer is streamed and
        assembled, ``on_delta(choice_index, text)`` seeing each piece as it arrives.

        ``response_format`` may be a Pydantic model class or a JSON schema (or the API's
        own ``json_schema`` format): each choice's message then holds ``parsed``, the answer
        validated against it (``structured.py``); an answer that does not fit raises
        ``StructuredOutputError`` naming the field.
        """
        schema = _chat_schema(params.get("response_format"))
        if schema is not None:
            params["response_format"] = schema.chat_format()
        check.check_chat(model, messages, params)
        body = {"model": model, "messages": messages, **params}
        if stream:
            from airflow_provider_openai_adv.hooks.streaming import assemble_chat_completion

            completion = assemble_chat_completion(self._stream("chat/completions", body), on_delta)
        else:
            completion = self.client.post("chat/completions", body)
        if schema is None:
            return completion
        from airflow_provider_openai_adv.answers import parse_chat

        return parse_chat(completion, schema)

    def stream_chat_completion(
        self, *, model: str, messages: list[dict[str, Any]], **params: Any
    ) -> Iterator[dict[str, Any]]:
        """``POST /chat/completions`` with ``stream=True``: yield each chunk."""
        check.check_chat(model, messages, params)
        return self._stream("chat/completions", {"model": model, "messages": messages, **params})

    def _stream(self, template: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Stream ``body``; usage is asked for unless the caller said otherwise."""
        if body.get("stream_options") is None:
            body["stream_options"] = {"include_usage": True}
        return self.client.stream_events(template, {**body, "stream": True})

    def create_edit(self, *, instruction: str, input: str = "", model: str | None = None, **params: Any) -> dict:  # noqa: A002
        """An edit of ``input`` following ``instruction`` (``/edits`` was removed).

        A chat completion, the instruction as the system turn, returned in the ``edit``
        shape; a retired edit model is replaced by ``gpt-4o-mini``.
        """
        from airflow_provider_openai_adv.hooks import legacy as old

        check.check_edit(instruction, input, params)
        if model is None or model in old.RETIRED_EDIT_MODELS:
            if model:
                self.log.warning("%s was retired with /edits; using %s", model, old.DEFAULT_EDIT_MODEL)
            model = old.DEFAULT_EDIT_MODEL
        completion = self.create_chat_completion(model=model, messages=old.edit_messages(instruction, input), **params)
        return old.edit_from_chat(completion)

    # -- responses and conversations ------------------------------------------------------

    def create_response(
        self,
        *,
        model: str | None = None,
        input: Any = None,  # noqa: A002
        text_format: Any = None,
        stream: bool = False,
        on_delta: OnDelta | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """``POST /responses``; the answer with ``output_text``, its text joined.

        ``text_format`` (a Pydantic model class or a JSON schema) becomes ``text.format``,
        and a completed response then holds ``output_parsed``, its text validated against
        it. ``stream=True`` streams the events, ``on_delta(output_index, text)`` seeing each
        piece of text, and returns the response the stream ends with. A ``background``
        response comes back queued: wait on it with :attr:`response_kind`.
        """
        from airflow_provider_openai_adv.answers import parse_response, with_output_text
        from airflow_provider_openai_adv.structured import output_schema

        check.check_response(model, input, {**params, "stream": stream})
        schema = output_schema(text_format, argument="text_format")
        if schema is not None:
            if isinstance(params.get("text"), dict) and params["text"].get("format") is not None:
                raise check.fail("text_format", "give either text_format or text={'format': ...}, not both")
            params["text"] = {**(params.get("text") or {}), "format": schema.responses_format()}
        body = {"model": model, "input": input, **params}
        if stream:
            from airflow_provider_openai_adv.hooks.streaming import assemble_response

            events = self.client.stream_events("responses", {**body, "stream": True}, expect_done=False)
            response = assemble_response(events, on_delta)
        else:
            response = self.client.post("responses", body, safe_to_repeat=not params.get("background"))
        response = with_output_text(response)
        return response if schema is None else parse_response(response, schema)

    def retrieve_response(self, response_id: str) -> dict[str, Any]:
        """``GET /responses/{response_id}`` (a stored response), with ``output_text``."""
        from airflow_provider_openai_adv.answers import with_output_text

        return with_output_text(self.client.get("responses/{response_id}", response_id=response_id))

    def delete_response(self, response_id: str) -> dict[str, Any]:
        """``DELETE /responses/{response_id}``."""
        return self.client.delete("responses/{response_id}", response_id=response_id)

    def cancel_response(self, response_id: str) -> dict[str, Any]:
        """``POST /responses/{response_id}/cancel``: stop a background response."""
        return self.client.post("responses/{response_id}/cancel", response_id=response_id)

    def list_response_input_items(
        self, response_id: str, *, order: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """``GET /responses/{response_id}/input_items``: every input item (all pages), or the first ``limit``."""
        check.require_choice("order", order, check.LIST_ORDERS)
        template = "responses/{response_id}/input_items"
        return list(self.client.paginate(template, {"order": order}, limit=limit, response_id=response_id))

    @property
    def response_kind(self) -> JobKind:
        """A background response as the wait engine sees it."""
        from airflow_provider_openai_adv.jobs.responses import RESPONSE

        return RESPONSE

    def create_conversation(
        self, *, items: list[dict[str, Any]] | None = None, metadata: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """``POST /conversations``, with up to 20 first items."""
        check.check_conversation_items("items", items, required=False)
        check.check_metadata("metadata", metadata)
        return self.client.post("conversations", {"items": items, "metadata": metadata}, safe_to_repeat=False)

    def retrieve_conversation(self, conversation_id: str) -> dict[str, Any]:
        """``GET /conversations/{conversation_id}``."""
        return self.client.get("conversations/{conversation_id}", conversation_id=conversation_id)

    def update_conversation(self, conversation_id: str, *, metadata: dict[str, str]) -> dict[str, Any]:
        """``POST /conversations/{conversation_id}``: replace its metadata."""
        check.check_metadata("metadata", metadata)
        template = "conversations/{conversation_id}"
        return self.client.post(template, {"metadata": metadata}, conversation_id=conversation_id)

    def delete_conversation(self, conversation_id: str) -> dict[str, Any]:
        """``DELETE /conversations/{conversation_id}`` (its items go with it)."""
        return self.client.delete("conversations/{conversation_id}", conversation_id=conversation_id)

    def create_conversation_items(self, conversation_id: str, *, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``POST /conversations/{conversation_id}/items``: add up to 20 items; the items added.

        Not repeated after a failure that may have reached the server: the items would be
        added twice.
        """
        check.check_conversation_items("items", items, required=True)
        template = "conversations/{conversation_id}/items"
        added = self.client.post(template, {"items": items}, safe_to_repeat=False, conversation_id=conversation_id)
        return added.get("data", [])

    def list_conversation_items(
        self, conversation_id: str, *, order: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """``GET /conversations/{conversation_id}/items``: every item (all pages), or the first ``limit``."""
        check.require_choice("order", order, check.LIST_ORDERS)
        template = "conversations/{conversation_id}/items"
        return list(self.client.paginate(template, {"order": order}, limit=limit, conversation_id=conversation_id))

    def retrieve_conversation_item(self, conversation_id: str, item_id: str) -> dict[str, Any]:
        """``GET /conversations/{conversation_id}/items/{item_id}``."""
        template = "conversations/{conversation_id}/items/{item_id}"
        return self.client.get(template, conversation_id=conversation_id, item_id=item_id)

    def delete_conversation_item(self, conversation_id: str, item_id: str) -> dict[str, Any]:
        """``DELETE /conversations/{conversation_id}/items/{item_id}``; the conversation."""
        template = "conversations/{conversation_id}/items/{item_id}"
        return self.client.delete(template, conversation_id=conversation_id, item_id=item_id)

    # -- images ---------------------------------------------------------------------------

    def create_image(self, *, prompt: str, model: str | None = None, **params: Any) -> dict[str, Any]:
        """``POST /images/generations``."""
        check.check_image_request(model, prompt, params)
        return self.client.post("images/generations", {"prompt": prompt, "model": model, **params})

    def create_image_edit(
        self, *, image: Any, prompt: str, mask: Any = None, model: str | None = None, **params: Any
    ) -> dict[str, Any]:
        """``POST /images/edits`` (multipart): ``image`` is a path, a URI, or a list of them.

        The model is always sent (``dall-e-2`` when not given): the API's own default has
        changed over time (today a GPT image model), and the sizes and checks depend on it.
        """
        from airflow_provider_openai_adv.hooks.storage import describe_source, file_part

        model = model or IMAGE_EDIT_MODEL
        check.check_image_request(model, prompt, params, action="edits")
        images = image if isinstance(image, (list, tuple)) else [image]
        check.check_image_inputs(model, images, mask, describe=describe_source)
        field = "image[]" if len(images) > 1 else "image"
        parts = [file_part(field, source, argument="image") for source in images]
        if mask is not None:
            parts.append(file_part("mask", mask, argument="mask"))
        return self.client.upload("images/edits", {"prompt": prompt, "model": model, **params}, parts)

    def create_image_variation(self, *, image: Any, model: str | None = None, **params: Any) -> dict[str, Any]:
        """``POST /images/variations`` (multipart; DALL·E 2): variations of a square PNG."""
        from airflow_provider_openai_adv.hooks.storage import describe_source, file_part

        check.check_image_request(model, None, params, action="variations")
        check.check_image_inputs("dall-e-2", [image], None, describe=describe_source)
        part = file_part("image", image, argument="image")
        return self.client.upload("images/variations", {"model": model, **params}, [part])

    def download_url(self, url: str, destination: Any) -> str:
        """Save a generated file's pre-signed URL to ``destination`` (a local path or an
        object-storage URI); the API key is not sent to that host."""
        from airflow_provider_openai_adv.hooks.storage import open_for_writing

        with open_for_writing(destination) as target:
            self.client.download_url(url, target)
        return str(destination)

    # -- embeddings -----------------------------------------------------------------------

    def create_embeddings(self, *, input: Any, model: str, **params: Any) -> dict[str, Any]:  # noqa: A002
        """``POST /embeddings``."""
        check.check_embeddings(input, model, params)
        return self.client.post("embeddings", {"input": input, "model": model, **params})

    # -- audio ----------------------------------------------------------------------------

    def create_transcription(self, *, file: Any, model: str = "whisper-1", **params: Any) -> dict[str, Any] | str:
        """``POST /audio/transcriptions``: speech to text in its own language.

        JSON formats come back parsed; ``text``, ``srt`` and ``vtt`` as a string.
        """
        return self._audio("audio/transcriptions", file, model, params, formats=check.TRANSCRIPTION_FORMATS)

    def create_translation(self, *, file: Any, model: str = "whisper-1", **params: Any) -> dict[str, Any] | str:
        """``POST /audio/translations``: speech in any supported language to English text."""
        return self._audio("audio/translations", file, model, params, formats=check.AUDIO_FORMATS)

    def create_speech(
        self,
        *,
        model: str,
        input: str,
        voice: str | dict[str, str],
        output_path: Any,
        **params: Any,  # noqa: A002
    ) -> str:
        """``POST /audio/speech``: ``input`` read aloud, streamed to ``output_path`` (a local
        path or an object-storage URI, written whole or not at all); the path."""
        from airflow_provider_openai_adv.hooks.storage import check_output_file, open_for_writing

        check.check_speech(model, input, voice, params)
        check_output_file(output_path)
        body = {"model": model, "input": input, "voice": voice, **params}
        with open_for_writing(output_path) as destination:
            self.client.download("audio/speech", destination, json=body)
        return str(output_path)

    def _audio(
        self, template: str, file: Any, model: str, params: dict[str, Any], *, formats: tuple[str, ...]
    ) -> dict[str, Any] | str:
        from airflow_provider_openai_adv.client.http import APIResponse
        from airflow_provider_openai_adv.hooks.storage import describe_source, file_part

        name, size, _ = describe_source(file, argument="file")
        check.check_audio(name, size, params, formats=formats)
        as_json = (params.get("response_format") or "json") in JSON_AUDIO_FORMATS
        return self.client.request(
            "POST",
            template,
            form={"model": model, **params},
            files=[file_part("file", file, argument="file")],
            decode=APIResponse.json if as_json else attrgetter("text"),
        )

    # -- files ----------------------------------------------------------------------------

    def upload_file(
        self,
        file: Any,
        *,
        purpose: str,
        filename: str | None = None,
        check_data: bool = True,
        in_parts: bool | None = None,
        progress: Any = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Stream a local file, an object-storage URI or bytes to OpenAI; the File.

        Up to 512 MB in one ``POST /files``; above that (or with ``in_parts=True``) through
        the Uploads API in parts of 64 MB, resumable by a retried task through ``progress``
        (see ``hooks/uploads.py``).

        A ``fine-tune`` file is checked first (``training_data.check_training_data``): bad
        training data fails here, naming its lines, before any byte is uploaded or any
        fine-tune is paid for. ``check_data=False`` skips the check.

        An upload whose answer is lost (the connection drops after the server stored
        the file) is not sent twice: the file it created is found and returned.
        """
        from airflow_provider_openai_adv.hooks.storage import describe_source, file_part

        check.check_upload(purpose, params)
        _, size, _ = describe_source(file, argument="file")
        in_parts = size > check.UPLOAD_LIMIT if in_parts is None else in_parts
        check.check_upload_size(size, in_parts=in_parts, purpose=purpose)
        part = file_part("file", file, argument="file", filename=filename)
        if purpose == "fine-tune" and check_data:
            self._check_training_data(file, part.filename)
        if in_parts:
            from airflow_provider_openai_adv.hooks.uploads import upload_in_parts

            return upload_in_parts(self, part, size, purpose=purpose, progress=progress, **params)
        return self._upload_once(part, size, {"purpose": purpose, **params})

    def _check_training_data(self, file: Any, name: str) -> None:
        from dataclasses import replace

        from airflow_provider_openai_adv.hooks.storage import open_source
        from airflow_provider_openai_adv.training_data import check_training_data

        with open_source(file, argument="file") as lines:
            report = replace(check_training_data(lines), source=name)
        report.raise_for_errors("file")
        self.log.info("Training data checked: %d examples, about %d tokens", report.examples, report.estimated_tokens)

    def _upload_once(self, part: FilePart, size: int, form: dict[str, Any]) -> dict[str, Any]:
        """Send the upload; after an attempt whose answer was lost, adopt what it stored
        instead of storing a second copy."""
        from airflow_provider_openai_adv.exceptions import APIConnectionError

        retries_left = self.client.config.max_retries
        while True:
            started = time.time()
            try:
                return self.client.upload("files", form, [part], safe_to_repeat=False)
            except APIConnectionError as error:
                if not error.may_have_reached_server or retries_left == 0:
                    raise
                retries_left -= 1
                adopted = self._find_upload(part.filename, size, form["purpose"], since=started - ADOPTION_SKEW)
                if adopted is not None:
                    self.log.warning("The answer to the upload was lost; %s was stored, using it", adopted["id"])
                    return adopted
                self.log.warning("The upload was not stored (%s); sending it again", error)

    def _find_upload(self, filename: str, size: int, purpose: str, *, since: float) -> dict[str, Any] | None:
        """The newest file of ``purpose`` named ``filename`` with ``size`` bytes, created after ``since``."""
        for stored in self.client.paginate("files", {"purpose": purpose, "order": "desc"}, page_size=100):
            created = stored.get("created_at")
            if isinstance(created, (int, float)) and created < since:
                return None
            if stored.get("filename") == filename and stored.get("bytes") == size:
                return stored
        return None

    def create_upload(
        self,
        *,
        filename: str,
        purpose: str,
        bytes: int,
        mime_type: str,
        **params: Any,  # noqa: A002
    ) -> dict[str, Any]:
        """``POST /uploads``: an Upload of ``bytes`` to send in parts, within the hour."""
        return self.client.post(
            "uploads", {"filename": filename, "purpose": purpose, "bytes": bytes, "mime_type": mime_type, **params}
        )

    def add_upload_part(self, upload_id: str, data: FilePart) -> dict[str, Any]:
        """``POST /uploads/{upload_id}/parts``: one part (at most 64 MB), streamed."""
        return self.client.upload("uploads/{upload_id}/parts", {}, [replace(data, field="data")], upload_id=upload_id)

    def complete_upload(self, upload_id: str, *, part_ids: list[str], md5: str | None = None) -> dict[str, Any]:
        """``POST /uploads/{upload_id}/complete``: the parts, in order, become one File."""
        return self.client.post("uploads/{upload_id}/complete", {"part_ids": part_ids, "md5": md5}, upload_id=upload_id)

    def cancel_upload(self, upload_id: str) -> dict[str, Any]:
        """``POST /uploads/{upload_id}/cancel``: no more parts; nothing becomes a File."""
        return self.client.post("uploads/{upload_id}/cancel", upload_id=upload_id)

    def list_files(
        self, *, purpose: str | None = None, order: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """``GET /files``: every file (all pages), or the first ``limit``."""
        check.require_choice("order", order, check.LIST_ORDERS)
        return list(self.client.paginate("files", {"purpose": purpose, "order": order}, limit=limit))

    def retrieve_file(self, file_id: str) -> dict[str, Any]:
        """``GET /files/{file_id}``."""
        return self.client.get("files/{file_id}", file_id=file_id)

    def retrieve_file_content(self, file_id: str, output_path: Any = None) -> bytes | str:
        """``GET /files/{file_id}/content``.

        Without ``output_path`` the bytes are returned; with it (a local path or an
        object-storage URI) they are streamed there and the path is returned.
        """
        if output_path is None:
            return self.client.request(
                "GET", "files/{file_id}/content", ids={"file_id": file_id}, decode=attrgetter("content")
            )
        from airflow_provider_openai_adv.hooks.storage import check_output_file, open_for_writing

        check_output_file(output_path)
        self.client.url("files/{file_id}/content", {"file_id": file_id})  # a bad id fails before anything is opened
        with open_for_writing(output_path) as destination:
            self.client.download("files/{file_id}/content", destination, file_id=file_id)
        return str(output_path)

    def delete_file(self, file_id: str) -> dict[str, Any]:
        """``DELETE /files/{file_id}``."""
        return self.client.delete("files/{file_id}", file_id=file_id)

    # -- fine-tunes -----------------------------------------------------------------------

    def create_fine_tune(
        self, *, training_file: str, model: str | None = None, reattach_key: str | None = None, **params: Any
    ) -> dict[str, Any]:
        """Start a fine-tune: ``POST /fine_tuning/jobs`` (``/fine-tunes`` was removed).

        ``n_epochs``, ``batch_size`` and ``learning_rate_multiplier`` are sent as the
        supervised method's hyperparameters. Creating a job costs money, so the request
        is not re-sent after a failure that may have reached the server.

        :param reattach_key: a key naming the caller, e.g. a task instance: a job already
            tagged with it that has not failed or been cancelled is returned instead of
            starting another, and a new job is tagged with it (metadata ``airflow_task``).
        """
        from airflow_provider_openai_adv.hooks import legacy as old
        from airflow_provider_openai_adv.jobs.fine_tuning import REATTACH_TAG

        check.check_fine_tune(training_file, model, params, legacy=False)
        body = old.current_fine_tune_body({"training_file": training_file, "model": model, **params})
        if reattach_key:
            earlier = self._job_tagged(reattach_key)
            if earlier is not None:
                return earlier
            body["metadata"] = {**(body.get("metadata") or {}), REATTACH_TAG: reattach_key}
        return self.client.post("fine_tuning/jobs", body, safe_to_repeat=False)

    def _job_tagged(self, key: str) -> dict[str, Any] | None:
        from airflow_provider_openai_adv.jobs.fine_tuning import FINE_TUNE, REATTACH_TAG
        from airflow_provider_openai_adv.jobs.kinds import JobState

        for job in self.list_fine_tunes(metadata={REATTACH_TAG: key}):
            if FINE_TUNE.state_of(job) not in (JobState.FAILED, JobState.CANCELLED):
                self.log.info("Re-attaching to fine-tuning job %s (%s), started earlier for %s", job["id"],
                              job["status"], key)  # fmt: skip
                return job
        return None

    def list_fine_tunes(self, *, limit: int | None = None, metadata: dict[str, str] | None = None) -> list[dict]:
        """``GET /fine_tuning/jobs``: every job (all pages), or the first ``limit``; newest first."""
        check.check_metadata("metadata", metadata)
        filters = {f"metadata[{key}]": value for key, value in (metadata or {}).items()}
        return list(self.client.paginate("fine_tuning/jobs", filters, limit=limit))

    def retrieve_fine_tune(self, fine_tune_id: str) -> dict[str, Any]:
        """``GET /fine_tuning/jobs/{fine_tune_id}``."""
        return self.client.get("fine_tuning/jobs/{fine_tune_id}", fine_tune_id=fine_tune_id)

    def cancel_fine_tune(self, fine_tune_id: str) -> dict[str, Any]:
        """``POST /fine_tuning/jobs/{fine_tune_id}/cancel``: stop a job that has not finished."""
        return self.client.post("fine_tuning/jobs/{fine_tune_id}/cancel", fine_tune_id=fine_tune_id)

    def list_fine_tune_events(self, fine_tune_id: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        """``GET /fine_tuning/jobs/{fine_tune_id}/events``: the job's events, newest first."""
        template = "fine_tuning/jobs/{fine_tune_id}/events"
        return list(self.client.paginate(template, limit=limit, fine_tune_id=fine_tune_id))

    # -- batches --------------------------------------------------------------------------

    def create_batch(
        self, *, input_file_id: str, endpoint: str, completion_window: str = "24h", **params: Any
    ) -> dict[str, Any]:
        """``POST /batches``: run every request of an uploaded JSONL file, at half price,
        within ``completion_window``. Creating a batch costs money, so the request is not
        re-sent after a failure that may have reached the server."""
        check.check_batch(input_file_id, endpoint, completion_window, params)
        body = {"input_file_id": input_file_id, "endpoint": endpoint, "completion_window": completion_window}
        return self.client.post("batches", {**body, **params}, safe_to_repeat=False)

    def retrieve_batch(self, batch_id: str) -> dict[str, Any]:
        """``GET /batches/{batch_id}``."""
        return self.client.get("batches/{batch_id}", batch_id=batch_id)

    def cancel_batch(self, batch_id: str) -> dict[str, Any]:
        """``POST /batches/{batch_id}/cancel``: the batch goes ``cancelling``, then ``cancelled``."""
        return self.client.post("batches/{batch_id}/cancel", batch_id=batch_id)

    def list_batches(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        """``GET /batches``: every batch (all pages), or the first ``limit``; newest first."""
        return list(self.client.paginate("batches", limit=limit))

    def find_batches(self, metadata: dict[str, str], *, since: float | None = None) -> list[dict[str, Any]]:
        """The batches whose metadata holds every pair of ``metadata``, newest first; the
        list is read back to ``since`` (a UNIX time) only — ``GET /batches`` has no filter."""
        found = []
        for batch in self.client.paginate("batches", page_size=100):
            created = batch.get("created_at")
            if since is not None and isinstance(created, (int, float)) and created < since:
                break
            tags = batch.get("metadata") if isinstance(batch.get("metadata"), dict) else {}
            if all(tags.get(key) == value for key, value in metadata.items()):
                found.append(batch)
        return found

    # -- moderation -----------------------------------------------------------------------

    def create_moderation(self, *, input: Any, model: str | None = None) -> dict[str, Any]:  # noqa: A002
        """``POST /moderations``: text (or text and images) checked against the usage policies."""
        check.check_moderation(input, model)
        return self.client.post("moderations", {"input": input, "model": model})

    # -- engines --------------------------------------------------------------------------

    def list_engines(self) -> list[dict[str, Any]]:
        """Engines were models (``/engines`` was removed): ``GET /models``, as engine objects."""
        from airflow_provider_openai_adv.hooks.legacy import engine_from_model

        return [engine_from_model(model) for model in self.get_models()]

    def retrieve_engine(self, engine_id: str) -> dict[str, Any]:
        """``GET /models/{engine_id}``, as an engine object."""
        from airflow_provider_openai_adv.hooks.legacy import engine_from_model

        return engine_from_model(self.client.get("models/{engine_id}", engine_id=engine_id))


def _chat_schema(response_format: Any) -> Any:
    """The :class:`~airflow_provider_openai_adv.structured.OutputSchema` a chat
    ``response_format`` asks for; ``None`` for plain text, JSON mode, or anything else
    (which ``check_chat`` then refuses by name)."""
    from airflow_provider_openai_adv.structured import asks_for_schema, output_schema

    return output_schema(response_format, argument="response_format") if asks_for_schema(response_format) else None
