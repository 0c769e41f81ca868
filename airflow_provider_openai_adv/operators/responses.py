"""The Responses API: a model response (plain, streamed, structured, or in the background),
and the conversations a DAG keeps state in."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator, StreamingOperator
from airflow_provider_openai_adv.operators.jobs import JobWaitOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.jobs.kinds import JobKind


RUNNING_KEY = "openai_adv_background_response"  # task state store: the response a try is waiting on


def _request_tag(arguments: dict[str, Any]) -> str:
    """What makes two tries' requests the same one."""
    return hashlib.sha256(json.dumps(arguments, sort_keys=True, default=repr).encode()).hexdigest()


class OpenAICreateResponseOperator(StreamingOperator, JobWaitOperator):
    """Generate a model response (``POST /responses``).

    Every parameter of the endpoint is an argument; those left ``None`` are not sent, and
    ``extra_body`` passes newer ones. ``model``, ``input``, ``instructions`` and the ids
    are templated.

    * ``text_format`` — a Pydantic model class or a JSON schema: the answer is validated
      against it and XCom holds the validated value (a Pydantic model's as plain JSON); an
      answer that does not fit fails the task, naming the field.
    * ``stream=True`` writes the text to the task log as it arrives; XCom gets the
      assembled response, as without streaming.
    * ``background=True`` lets OpenAI work on it while the task waits — deferred to the
      triggerer (``deferrable``) or in the worker — on the wait engine: ``wait_timeout``
      and ``execution_timeout`` bound the wait and then cancel it (unless
      ``cancel_on_timeout=False``), and a task killed while waiting cancels it. A retried
      task waits on the response its earlier try left running (Airflow 3.3's task state
      store keeps its id) instead of starting and paying for another.
    * An ``incomplete`` response (cut by ``max_output_tokens`` or a content filter) fails
      the task with its reason, without retries, unless ``allow_incomplete=True``; it is
      then returned whole, unparsed.

    XCom: the response (with ``output_text``, its text joined; tool calls as the API
    returned them) or the validated value; the response id under ``response_id``, the
    usage under ``usage``.
    """

    hook_method = OpenAIAdvHook.create_response
    templated = (
        "model",
        "input",
        "instructions",
        "conversation",
        "previous_response_id",
        "metadata",
        "prompt_cache_key",
        "safety_identifier",
        "user",
    )
    task_settings = ("allow_incomplete",)
    stream_label = "output"

    def __init__(
        self,
        *,
        input: str | list[dict[str, Any]] | None = None,  # noqa: A002 - the API's name
        model: str | None = None,
        instructions: str | None = None,
        text_format: Any = None,
        conversation: str | dict[str, Any] | None = None,
        previous_response_id: str | None = None,
        background: bool | None = None,
        stream: bool | None = None,
        stream_options: dict[str, Any] | None = None,
        max_output_tokens: int | None = None,
        max_tool_calls: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_logprobs: int | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        reasoning: dict[str, Any] | None = None,
        text: dict[str, Any] | None = None,
        include: list[str] | None = None,
        prompt: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
        store: bool | None = None,
        service_tier: str | None = None,
        truncation: str | None = None,
        context_management: list[dict[str, Any]] | None = None,
        prompt_cache_key: str | None = None,
        prompt_cache_options: dict[str, Any] | None = None,
        moderation: dict[str, Any] | None = None,
        prompt_cache_retention: str | None = None,
        safety_identifier: str | None = None,
        user: str | None = None,
        extra_body: dict[str, Any] | None = None,
        allow_incomplete: bool = False,
        poll_interval: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)

    def job_kind(self) -> JobKind:
        return self.hook.response_kind

    def execute(self, context: Context) -> Any:
        arguments = self.api_arguments()
        if self.background:
            self.check_wait_settings(self.wait_timeout)
            earlier = self._still_running(context, arguments)
            if earlier is not None:
                return self.wait_for(earlier, context)
        response = self.call_api(arguments)
        if self.job_kind().state_of(response).is_terminal:
            return self.succeeded(response, context)
        self.log.info("Response %s is %s; waiting for it", response["id"], response["status"])
        context["ti"].xcom_push(key="response_id", value=response["id"])
        if context.get("task_state_store") is not None:
            context["task_state_store"].set(RUNNING_KEY, {"id": response["id"], "request": _request_tag(arguments)})
        return self.wait_for(response["id"], context)

    def _still_running(self, context: Context, arguments: dict[str, Any]) -> str | None:
        """The background response an earlier try of this task started for the same request,
        if it is still running: a retry waits on it instead of paying again. (A finished one
        is not reused: the try that saw it finish failed on its answer, so ask anew.)"""
        store = context.get("task_state_store")  # Airflow 3.3 and later
        earlier = store.get(RUNNING_KEY) if store is not None else None
        if not isinstance(earlier, dict) or earlier.get("request") != _request_tag(arguments):
            return None
        from airflow_provider_openai_adv.exceptions import NotFoundError

        try:
            response = self.hook.retrieve_response(str(earlier.get("id")))
        except NotFoundError:
            return None
        if self.job_kind().state_of(response).is_terminal:
            return None
        self.log.info("Re-attaching to response %s (%s), started by an earlier try", response["id"], response["status"])
        context["ti"].xcom_push(key="response_id", value=response["id"])
        return response["id"]

    def succeeded(self, response: dict[str, Any], context: Context) -> Any:
        """Judge a finished response; its validated value, or the response itself."""
        from airflow_provider_openai_adv.jobs.kinds import JobState

        kind = self.job_kind()
        if self.background and context.get("task_state_store") is not None:
            context["task_state_store"].delete(RUNNING_KEY)  # finished: nothing for a retry to wait on
        if kind.state_of(response) is not JobState.SUCCEEDED:
            from airflow_provider_openai_adv.exceptions import OpenAIAdvError

            raise OpenAIAdvError(kind.failure_reason(response))
        if "output_text" not in response:  # a background response, as the wait last read it
            from airflow_provider_openai_adv.answers import with_output_text

            response = with_output_text(response)
        context["ti"].xcom_push(key="response_id", value=response["id"])
        self.record_usage(response, context)
        if response.get("status") == "incomplete":
            return self._incomplete(response)
        if self.text_format is None:
            return response
        return self._parsed(response)

    def _incomplete(self, response: dict[str, Any]) -> dict[str, Any]:
        from airflow_provider_openai_adv.jobs.responses import incomplete_reason

        reason = incomplete_reason(response)
        if not self.allow_incomplete:
            from airflow_provider_openai_adv.exceptions import IncompleteResponseError

            raise IncompleteResponseError(
                f"response {response['id']} is incomplete ({reason}); allow_incomplete=True accepts it as it is"
            )
        self.log.warning("Response %s is incomplete (%s); accepted as it is (allow_incomplete)", response["id"], reason)
        return response

    def _parsed(self, response: dict[str, Any]) -> Any:
        """The validated value: parsed by the hook already, or now (a background response
        was queued when the hook saw it)."""
        if "output_parsed" not in response:
            from airflow_provider_openai_adv.answers import parse_response
            from airflow_provider_openai_adv.structured import output_schema

            response = parse_response(response, output_schema(self.text_format, argument="text_format"))
        return response["output_parsed"]


class OpenAICreateConversationOperator(OpenAIAdvBaseOperator):
    """Start a conversation (``POST /conversations``), with up to 20 first items; XCom
    holds the conversation, whose ``id`` later responses take as ``conversation``."""

    hook_method = OpenAIAdvHook.create_conversation
    templated = ("items", "metadata")

    def __init__(
        self,
        *,
        items: list[dict[str, Any]] | None = None,
        metadata: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)


class OpenAIAddConversationItemsOperator(OpenAIAdvBaseOperator):
    """Add up to 20 items to a conversation (``POST /conversations/{id}/items``); XCom
    holds the items added."""

    hook_method = OpenAIAdvHook.create_conversation_items
    templated = ("conversation_id", "items")

    def __init__(self, *, conversation_id: str, items: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)


class OpenAIDeleteConversationOperator(OpenAIAdvBaseOperator):
    """Delete a conversation and its items (``DELETE /conversations/{id}``)."""

    hook_method = OpenAIAdvHook.delete_conversation
    templated = ("conversation_id",)

    def __init__(self, *, conversation_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
