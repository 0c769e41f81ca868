"""``OpenAIAdvHook``: an Airflow Connection turned into an OpenAI client, and the API catalogue.

Each API action is one short method: check the arguments (``validation``), name the
HTTP method and path, say how the body is sent. Every HTTP detail (retries, errors,
streaming, pagination) is the client's; the eight actions on endpoints OpenAI removed
are mapped to today's API in ``hooks/legacy.py``.

The connection (type ``openai_adv``):

* password — the API key;
* host — the base URL, default ``https://api.openai.com/v1`` (any OpenAI-compatible server);
* extras — ``organization``, ``project``, ``timeout`` (seconds), ``max_retries``, and, less
  often needed, ``connect_timeout``, ``max_retry_wait`` (the cap on a server-requested
  wait, seconds) and ``legacy_endpoints`` (send the removed actions to their 2023 paths).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from airflow_provider_openai_adv import validation as check
from airflow_provider_openai_adv.get_provider_info import CONN_TYPE, DEFAULT_CONN_ID, HOOK_NAME, UI_FIELD_BEHAVIOUR

if TYPE_CHECKING:
    from airflow_provider_openai_adv.client import OpenAIClient, RateLimitInfo
    from airflow_provider_openai_adv.client.aio import AsyncOpenAIClient
    from airflow_provider_openai_adv.hooks.streaming import OnDelta


class OpenAIAdvHook(BaseHook):
    """Talk to the OpenAI API (or a compatible server) through an Airflow Connection.

    :param conn_id: the ``openai_adv`` connection to use.
    :param timeout: overrides the connection's ``timeout`` extra (seconds).
    :param max_retries: overrides the connection's ``max_retries`` extra.
    :param legacy: send the removed actions (edits, fine-tunes, engines) to their 2023
        paths; ``None`` reads the connection's ``legacy_endpoints`` extra (default off).
    """

    conn_name_attr = "conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = HOOK_NAME

    def __init__(
        self,
        conn_id: str = DEFAULT_CONN_ID,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        legacy: bool | None = None,
    ) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.legacy = legacy
        self._overrides = {"timeout": timeout, "max_retries": max_retries}

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
        }

    # -- the client -----------------------------------------------------------------------

    @cached_property
    def connection(self) -> Any:
        return self.get_connection(self.conn_id)

    @cached_property
    def client(self) -> OpenAIClient:
        """The HTTP client, built once per hook from the connection."""
        from airflow_provider_openai_adv.hooks.connection import client_from_connection

        return client_from_connection(self.connection, **self._overrides)

    def use_legacy(self, legacy: bool | None = None) -> bool:
        """Whether a removed action goes to its 2023 path: the call, the hook, the connection."""
        from airflow_provider_openai_adv.hooks.connection import legacy_endpoints

        for choice in (legacy, self.legacy):
            if choice is not None:
                return bool(choice)
        return legacy_endpoints(self.connection)

    def get_conn(self) -> OpenAIClient:
        return self.client

    @property
    def last_rate_limit(self) -> RateLimitInfo | None:
        """The ``x-ratelimit-*`` state the server last reported."""
        return self.client.last_rate_limit

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()

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
        return self.client.get("models")["data"]

    def retrieve_model(self, model: str) -> dict[str, Any]:
        """``GET /models/{model}``."""
        check.require_text("model", model)
        return self.client.get(f"models/{model}")

    def delete_fine_tuned_model(self, model: str) -> dict[str, Any]:
        """``DELETE /models/{model}``: only fine-tuned models you own can be deleted."""
        check.require_text("model", model)
        return self.client.delete(f"models/{model}")

    # -- text -----------------------------------------------------------------------------

    def create_completion(
        self, *, model: str, prompt: Any, stream: bool = False, on_delta: OnDelta | None = None, **params: Any
    ) -> dict[str, Any]:
        """``POST /completions`` (the instruct models); ``stream=True`` as for chat."""
        check.require_text("model", model)
        check.require_texts("prompt", prompt)
        check.check_sampling(params)
        check.require_range("best_of", params.get("best_of"), 0, 20, integer=True)
        body = {"model": model, "prompt": prompt, **params}
        if not stream:
            return self.client.post("completions", body)
        from airflow_provider_openai_adv.hooks.streaming import assemble_completion

        return assemble_completion(self._stream("completions", body), on_delta)

    def stream_completion(self, *, model: str, prompt: Any, **params: Any) -> Iterator[dict[str, Any]]:
        """``POST /completions`` with ``stream=True``: yield each chunk."""
        check.require_texts("prompt", prompt)
        return self._stream("completions", {"model": model, "prompt": prompt, **params})

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
        assembled, ``on_delta(choice_index, text)`` seeing each piece as it arrives."""
        check.require_text("model", model)
        check.require_messages("messages", messages)
        check.check_sampling(params)
        body = {"model": model, "messages": messages, **params}
        if not stream:
            return self.client.post("chat/completions", body)
        from airflow_provider_openai_adv.hooks.streaming import assemble_chat_completion

        return assemble_chat_completion(self._stream("chat/completions", body), on_delta)

    def stream_chat_completion(
        self, *, model: str, messages: list[dict[str, Any]], **params: Any
    ) -> Iterator[dict[str, Any]]:
        """``POST /chat/completions`` with ``stream=True``: yield each chunk."""
        check.require_messages("messages", messages)
        return self._stream("chat/completions", {"model": model, "messages": messages, **params})

    def _stream(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Stream ``body`` to ``path``; usage is asked for unless the caller said otherwise."""
        body.setdefault("stream_options", {"include_usage": True})
        return self.client.stream_events(path, {**body, "stream": True})

    def create_edit(
        self,
        *,
        instruction: str,
        input: str = "",
        model: str | None = None,
        legacy: bool | None = None,
        **params: Any,  # noqa: A002
    ) -> dict[str, Any]:
        """An edit of ``input`` following ``instruction``.

        Today: a chat completion (instruction as the system turn), returned in the
        ``edit`` shape; a retired edit model is replaced by ``gpt-4o-mini``.
        Legacy: ``POST /edits``.
        """
        from airflow_provider_openai_adv.hooks import legacy as old

        check.require_text("instruction", instruction)
        check.check_sampling(params, max_n=20)
        if self.use_legacy(legacy):
            body = {"model": model or "text-davinci-edit-001", "instruction": instruction, "input": input, **params}
            return self.client.post("edits", body)
        if model is None or model in old.RETIRED_EDIT_MODELS:
            if model:
                self.log.warning("%s was retired with /edits; using %s", model, old.DEFAULT_EDIT_MODEL)
            model = old.DEFAULT_EDIT_MODEL
        completion = self.create_chat_completion(model=model, messages=old.edit_messages(instruction, input), **params)
        return old.edit_from_chat(completion)

    # -- images ---------------------------------------------------------------------------

    def create_image(self, *, prompt: str, model: str | None = None, **params: Any) -> dict[str, Any]:
        """``POST /images/generations``."""
        check.require_text("prompt", prompt)
        check.check_image_request(model or "dall-e-2", params)
        return self.client.post("images/generations", _without_none({"prompt": prompt, "model": model, **params}))

    def create_image_edit(
        self, *, image: Any, prompt: str, mask: Any = None, model: str = "dall-e-2", **params: Any
    ) -> dict[str, Any]:
        """``POST /images/edits`` (multipart): ``image`` is a path, a URI, or a list of them.

        The model is always sent: the API's own default has changed over time (today a
        GPT image model), and the sizes and checks depend on it.
        """
        from airflow_provider_openai_adv.hooks.storage import describe_source, file_part

        check.require_text("prompt", prompt)
        check.check_image_request(model, params)
        images = image if isinstance(image, (list, tuple)) else [image]
        if not images:
            raise check.fail("image", "no image given")
        field = "image[]" if len(images) > 1 else "image"
        if model == "dall-e-2":
            if len(images) > 1:
                raise check.fail("image", "dall-e-2 edits take one image")
            _, size, head = describe_source(images[0], argument="image")
            dimensions = check.check_square_png("image", size, head)
            if mask is not None:
                _, mask_size, mask_head = describe_source(mask, argument="mask")
                if check.check_square_png("mask", mask_size, mask_head) != dimensions:
                    raise check.fail("mask", "must have the same size as image")
        parts = [file_part(field, source, argument="image") for source in images]
        if mask is not None:
            parts.append(file_part("mask", mask, argument="mask"))
        form = _form_fields({"prompt": prompt, "model": model, **params})
        return self.client.upload("images/edits", form, parts).json()

    def create_image_variation(self, *, image: Any, model: str | None = None, **params: Any) -> dict[str, Any]:
        """``POST /images/variations`` (multipart; DALL·E 2): variations of a square PNG."""
        from airflow_provider_openai_adv.hooks.storage import describe_source, file_part

        check.check_image_request(model or "dall-e-2", params)
        _, size, head = describe_source(image, argument="image")
        check.check_square_png("image", size, head)
        form = _form_fields({"model": model, **params})
        return self.client.upload("images/variations", form, [file_part("image", image, argument="image")]).json()

    # -- embeddings -----------------------------------------------------------------------

    def create_embeddings(self, *, input: Any, model: str, **params: Any) -> dict[str, Any]:  # noqa: A002
        """``POST /embeddings``."""
        check.require_texts("input", input)
        check.require_text("model", model)
        check.require_range("dimensions", params.get("dimensions"), 1, integer=True)
        check.require_choice("encoding_format", params.get("encoding_format"), ("float", "base64"))
        return self.client.post("embeddings", {"input": input, "model": model, **params})

    # -- audio ----------------------------------------------------------------------------

    def create_transcription(self, *, file: Any, model: str = "whisper-1", **params: Any) -> dict[str, Any] | str:
        """``POST /audio/transcriptions``: speech to text in its own language.

        JSON formats come back parsed; ``text``, ``srt`` and ``vtt`` as a string.
        """
        return self._audio("audio/transcriptions", file, model, params)

    def create_translation(self, *, file: Any, model: str = "whisper-1", **params: Any) -> dict[str, Any] | str:
        """``POST /audio/translations``: speech in any supported language to English text."""
        return self._audio("audio/translations", file, model, params)

    def _audio(self, path: str, file: Any, model: str, params: dict[str, Any]) -> dict[str, Any] | str:
        from airflow_provider_openai_adv.hooks.storage import describe_source, file_part

        name, size, _ = describe_source(file, argument="file")
        check.check_audio(name, size, params)
        response = self.client.upload(
            path, _form_fields({"model": model, **params}), [file_part("file", file, argument="file")]
        )
        return response.json() if params.get("response_format", "json") in ("json", "verbose_json") else response.text

    # -- files ----------------------------------------------------------------------------

    def upload_file(
        self, file: Any, *, purpose: str, filename: str | None = None, check_data: bool = True, **params: Any
    ) -> dict[str, Any]:
        """``POST /files``: stream a local file or an object-storage URI to OpenAI.

        A ``fine-tune`` file is checked first (``datasets.check_training_data``): bad
        training data fails here, naming its lines, before any byte is uploaded or any
        fine-tune is paid for. ``check_data=False`` skips the check.
        """
        from airflow_provider_openai_adv.hooks.storage import file_part

        check.require_choice("purpose", purpose, check.FILE_PURPOSES)
        part = file_part("file", file, argument="file", filename=filename)
        if purpose == "fine-tune" and check_data:
            from dataclasses import replace

            from airflow_provider_openai_adv.datasets import check_training_data

            with part.opener() as lines:
                report = replace(check_training_data(lines), source=part.filename)
            report.raise_for_errors("file")
            self.log.info(
                "Training data checked: %d examples, about %d tokens", report.examples, report.estimated_tokens
            )
        return self.client.upload("files", _form_fields({"purpose": purpose, **params}), [part]).json()

    def list_files(
        self, *, purpose: str | None = None, order: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """``GET /files``: every file (all pages), or the first ``limit``."""
        check.require_choice("order", order, ("asc", "desc"))
        return list(self.client.paginate("files", _without_none({"purpose": purpose, "order": order}), limit=limit))

    def retrieve_file(self, file_id: str) -> dict[str, Any]:
        """``GET /files/{file_id}``."""
        check.require_text("file_id", file_id)
        return self.client.get(f"files/{file_id}")

    def retrieve_file_content(self, file_id: str, output_path: Any = None) -> bytes | str:
        """``GET /files/{file_id}/content``.

        Without ``output_path`` the bytes are returned; with it (a local path or an
        object-storage URI) they are streamed there and the path is returned.
        """
        check.require_text("file_id", file_id)
        if output_path is None:
            return self.client.request("GET", f"files/{file_id}/content").content
        from airflow_provider_openai_adv.hooks.storage import open_for_writing

        with open_for_writing(output_path) as destination:
            self.client.download(f"files/{file_id}/content", destination)
        return str(output_path)

    def delete_file(self, file_id: str) -> dict[str, Any]:
        """``DELETE /files/{file_id}``."""
        check.require_text("file_id", file_id)
        return self.client.delete(f"files/{file_id}")

    # -- fine-tunes -----------------------------------------------------------------------

    def create_fine_tune(
        self,
        *,
        training_file: str,
        model: str | None = None,
        legacy: bool | None = None,
        reattach_key: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Start a fine-tune. Today: ``POST /fine_tuning/jobs``; legacy: ``POST /fine-tunes``.

        ``n_epochs``, ``batch_size`` and ``learning_rate_multiplier`` may be given as
        arguments on either path. Creating a job costs money, so the request is not
        re-sent after a failure that may have reached the server.

        :param reattach_key: (today's API) a key naming the caller, e.g. a task instance:
            a job already tagged with it that has not failed or been cancelled is returned
            instead of starting another, and a new job is tagged with it (metadata
            ``airflow_task``).
        """
        from airflow_provider_openai_adv.hooks import legacy as old

        check.require_text("training_file", training_file)
        arguments = {"training_file": training_file, "model": model, **params}
        if self.use_legacy(legacy):
            return self.client.post("fine-tunes", old.legacy_fine_tune_body(arguments), safe_to_repeat=False)
        check.require_text("model", model)
        body = old.current_fine_tune_body(arguments)
        if reattach_key:
            earlier = self._job_tagged(reattach_key)
            if earlier is not None:
                return earlier
            body["metadata"] = {**(body.get("metadata") or {}), old.REATTACH_TAG: reattach_key}
        return self.client.post("fine_tuning/jobs", body, safe_to_repeat=False)

    def _job_tagged(self, key: str) -> dict[str, Any] | None:
        from airflow_provider_openai_adv.hooks.legacy import REATTACH_TAG
        from airflow_provider_openai_adv.status import FineTuneStatus

        for job in self.list_fine_tunes(metadata={REATTACH_TAG: key}):
            status = FineTuneStatus.of(job)
            if status not in (FineTuneStatus.FAILED, FineTuneStatus.CANCELLED):
                self.log.info(
                    "Re-attaching to fine-tuning job %s (%s), started earlier for %s", job["id"], job.get("status"), key
                )
                return job
        return None

    def list_fine_tunes(
        self, *, limit: int | None = None, metadata: dict[str, str] | None = None, legacy: bool | None = None
    ) -> list[dict[str, Any]]:
        """Every fine-tune job (all pages), or the first ``limit``; newest first."""
        if self.use_legacy(legacy):
            jobs = self.client.get("fine-tunes")["data"]
            return jobs[:limit] if limit else jobs
        filters = {f"metadata[{key}]": value for key, value in (metadata or {}).items()}
        return list(self.client.paginate("fine_tuning/jobs", filters, limit=limit))

    def retrieve_fine_tune(self, fine_tune_id: str, *, legacy: bool | None = None) -> dict[str, Any]:
        """The job: ``GET /fine_tuning/jobs/{id}`` (legacy ``/fine-tunes/{id}``)."""
        return self.client.get(self._fine_tune_path(fine_tune_id, legacy))

    def cancel_fine_tune(self, fine_tune_id: str, *, legacy: bool | None = None) -> dict[str, Any]:
        """``POST .../{id}/cancel``: stop a job that has not finished."""
        return self.client.post(self._fine_tune_path(fine_tune_id, legacy, "cancel"))

    def list_fine_tune_events(
        self, fine_tune_id: str, *, limit: int | None = None, legacy: bool | None = None
    ) -> list[dict[str, Any]]:
        """The job's events, newest first today (oldest first on the legacy path)."""
        path = self._fine_tune_path(fine_tune_id, legacy, "events")
        if self.use_legacy(legacy):
            events = self.client.get(path)["data"]
            return events[:limit] if limit else events
        return list(self.client.paginate(path, limit=limit))

    # The waiting side of fine-tunes, for triggers: the same calls without blocking the loop.

    async def async_client(self) -> AsyncOpenAIClient:
        """The asyncio client, built from the connection fetched without blocking."""
        if "async_client_" not in self.__dict__:
            from airflow_provider_openai_adv.client.aio import AsyncOpenAIClient
            from airflow_provider_openai_adv.hooks.connection import client_config

            if "connection" not in self.__dict__:  # use_legacy() reads it too
                self.__dict__["connection"] = await self.aget_connection(self.conn_id)
            self.__dict__["async_client_"] = AsyncOpenAIClient(client_config(self.connection, **self._overrides))
        return self.__dict__["async_client_"]

    async def aretrieve_fine_tune(self, fine_tune_id: str, *, legacy: bool | None = None) -> dict[str, Any]:
        client = await self.async_client()
        return await client.get(self._fine_tune_path(fine_tune_id, legacy))

    async def alist_fine_tune_events(
        self, fine_tune_id: str, *, limit: int = 50, legacy: bool | None = None
    ) -> list[dict[str, Any]]:
        """The latest events (one page): enough to report progress between two polls."""
        client = await self.async_client()
        path = self._fine_tune_path(fine_tune_id, legacy, "events")
        params = None if self.use_legacy(legacy) else {"limit": limit}
        return (await client.get(path, params))["data"]

    async def aclose(self) -> None:
        if "async_client_" in self.__dict__:
            await self.__dict__.pop("async_client_").aclose()

    def _fine_tune_path(self, fine_tune_id: str, legacy: bool | None, action: str = "") -> str:
        check.require_text("fine_tune_id", fine_tune_id)
        base = "fine-tunes" if self.use_legacy(legacy) else "fine_tuning/jobs"
        return f"{base}/{fine_tune_id}/{action}".rstrip("/")

    # -- moderation -----------------------------------------------------------------------

    def create_moderation(self, *, input: Any, model: str | None = None) -> dict[str, Any]:  # noqa: A002
        """``POST /moderations``: text (or text and images) checked against the usage policies."""
        multi_modal = isinstance(input, (list, tuple)) and input and all(isinstance(item, dict) for item in input)
        if not multi_modal:  # text parts and image parts are checked by the API itself
            check.require_texts("input", input)
        return self.client.post("moderations", _without_none({"input": input, "model": model}))

    # -- engines --------------------------------------------------------------------------

    def list_engines(self, *, legacy: bool | None = None) -> list[dict[str, Any]]:
        """Engines were models: today ``GET /models`` as engine objects; legacy ``GET /engines``."""
        from airflow_provider_openai_adv.hooks.legacy import engine_from_model

        if self.use_legacy(legacy):
            return self.client.get("engines")["data"]
        return [engine_from_model(model) for model in self.get_models()]

    def retrieve_engine(self, engine_id: str, *, legacy: bool | None = None) -> dict[str, Any]:
        """Today ``GET /models/{id}`` as an engine object; legacy ``GET /engines/{id}``."""
        from airflow_provider_openai_adv.hooks.legacy import engine_from_model

        check.require_text("engine_id", engine_id)
        if self.use_legacy(legacy):
            return self.client.get(f"engines/{engine_id}")
        return engine_from_model(self.retrieve_model(engine_id))


def _without_none(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def _form_fields(params: dict[str, Any]) -> dict[str, Any]:
    """Multipart fields as OpenAI reads them: a list as repeated ``name[]`` fields, an
    object as ``name[key]`` fields (``expires_after[seconds]``)."""
    fields: dict[str, Any] = {}
    for key, value in _without_none(params).items():
        if isinstance(value, dict):
            fields.update({f"{key}[{inner}]": item for inner, item in value.items()})
        elif isinstance(value, (list, tuple)) and not key.endswith("[]"):
            fields[f"{key}[]"] = value
        else:
            fields[key] = value
    return fields
