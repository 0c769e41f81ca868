"""``OpenAIAdvHook``: an Airflow Connection turned into an OpenAI client, and the API catalogue.

Each API action is one short method: the HTTP method, the path, how the body is sent.
Every HTTP detail (retries, errors, streaming, pagination) is the client's.

The connection (type ``openai_adv``):

* password — the API key;
* host — the base URL, default ``https://api.openai.com/v1`` (any OpenAI-compatible server);
* extras — ``organization``, ``project``, ``timeout`` (seconds), ``max_retries``, and, less
  often needed, ``connect_timeout`` and ``max_retry_wait`` (the cap on a server-requested
  wait, seconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from airflow_provider_openai_adv.get_provider_info import CONN_TYPE, DEFAULT_CONN_ID, HOOK_NAME, UI_FIELD_BEHAVIOUR

if TYPE_CHECKING:
    from airflow_provider_openai_adv.client import OpenAIClient, RateLimitInfo


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

    def __init__(
        self,
        conn_id: str = DEFAULT_CONN_ID,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        super().__init__()
        self.conn_id = conn_id
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
    def client(self) -> OpenAIClient:
        """The HTTP client, built once per hook from the connection."""
        from airflow_provider_openai_adv.hooks.connection import client_from_connection

        return client_from_connection(self.get_connection(self.conn_id), **self._overrides)

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
        return self.client.get(f"models/{model}")

    def delete_fine_tuned_model(self, model: str) -> dict[str, Any]:
        """``DELETE /models/{model}``: only fine-tuned models you own can be deleted."""
        return self.client.delete(f"models/{model}")

    # -- chat -----------------------------------------------------------------------------

    def create_chat_completion(
        self, *, model: str, messages: list[dict[str, Any]], stream: bool = False, on_delta: Any = None, **params: Any
    ) -> dict[str, Any]:
        """``POST /chat/completions``; with ``stream=True`` the answer is streamed and
        assembled, ``on_delta(choice_index, text)`` seeing each piece as it arrives."""
        if stream:
            from airflow_provider_openai_adv.hooks.streaming import assemble_chat_completion

            return assemble_chat_completion(
                self.stream_chat_completion(model=model, messages=messages, **params), on_delta
            )
        return self.client.post("chat/completions", {"model": model, "messages": messages, **params})

    def stream_chat_completion(
        self, *, model: str, messages: list[dict[str, Any]], **params: Any
    ) -> Iterator[dict[str, Any]]:
        """``POST /chat/completions`` with ``stream=True``: yield each chunk.

        Usage is asked for (``stream_options.include_usage``) unless you say otherwise.
        """
        params.setdefault("stream_options", {"include_usage": True})
        return self.client.stream_events(
            "chat/completions", {"model": model, "messages": messages, **params, "stream": True}
        )

    # -- embeddings -----------------------------------------------------------------------

    def create_embeddings(self, *, input: str | list[Any], model: str, **params: Any) -> dict[str, Any]:  # noqa: A002
        """``POST /embeddings``."""
        return self.client.post("embeddings", {"input": input, "model": model, **params})

    # -- files ----------------------------------------------------------------------------

    def upload_file(self, file: Any, *, purpose: str, filename: str | None = None, **params: Any) -> dict[str, Any]:
        """``POST /files``: stream a local file or an object-storage URI to OpenAI."""
        from airflow_provider_openai_adv.hooks.storage import file_part

        part = file_part("file", file, argument="file", filename=filename)
        return self.client.upload("files", {"purpose": purpose, **params}, [part]).json()

    def list_files(
        self, *, purpose: str | None = None, order: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """``GET /files``: every file (all pages), or the first ``limit``."""
        params = {key: value for key, value in (("purpose", purpose), ("order", order)) if value}
        return list(self.client.paginate("files", params, limit=limit))

    def retrieve_file(self, file_id: str) -> dict[str, Any]:
        """``GET /files/{file_id}``."""
        return self.client.get(f"files/{file_id}")

    def retrieve_file_content(self, file_id: str, output_path: Any = None) -> bytes | str:
        """``GET /files/{file_id}/content``.

        Without ``output_path`` the bytes are returned; with it (a local path or an
        object-storage URI) they are streamed there and the path is returned.
        """
        if output_path is None:
            return self.client.request("GET", f"files/{file_id}/content").content
        from airflow_provider_openai_adv.hooks.storage import open_for_writing

        with open_for_writing(output_path) as destination:
            self.client.download(f"files/{file_id}/content", destination)
        return str(output_path)

    def delete_file(self, file_id: str) -> dict[str, Any]:
        """``DELETE /files/{file_id}``."""
        return self.client.delete(f"files/{file_id}")
