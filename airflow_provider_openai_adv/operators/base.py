"""What every operator shares: the hook, the call, token usage, streamed text, outputs.

An operator is a thin class: its ``__init__`` lists the endpoint's parameters as
keyword arguments (so ``.partial().expand()`` and IDEs know them), and its body is
one hook call. Arguments are checked by the hook, in ``execute()``, after templating
and before any request is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_openai_adv.get_provider_info import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

# Keyword arguments of an operator's ``__init__`` that are not API parameters.
OPERATOR_SETTINGS = frozenset({"self", "kwargs", "__class__", "conn_id", "output_path", "extra_body"})


def api_arguments(scope: dict[str, Any]) -> dict[str, Any]:
    """The API parameters among an ``__init__``'s arguments (call it with ``locals()``).

    Every keyword argument that is not an operator setting is a parameter of the
    endpoint; those left at ``None`` are not sent, so the API's defaults apply.
    ``extra_body`` adds parameters this version does not know by name yet.
    """
    params = {name: value for name, value in scope.items() if name not in OPERATOR_SETTINGS and value is not None}
    params.update(scope.get("extra_body") or {})
    return params


class OpenAIAdvBaseOperator(BaseOperator):
    """Base of every OpenAI Advanced operator.

    The free-text and id arguments (``templated_params``) are Jinja-templated and kept
    in ``api_params``; the others, in ``api_options``, are sent as given — templating
    would, for one, strip the trailing newline of a ``stop`` sequence such as ``"\\n\\n"``.

    :param conn_id: the ``openai_adv`` connection (default ``openai_adv_default``).
    """

    hook_method: str = ""  # the OpenAIAdvHook method the operator calls with its API parameters
    templated_params: tuple[str, ...] = ()  # the API parameters rendered with Jinja
    template_fields: Sequence[str] = ("api_params", "conn_id")
    template_fields_renderers = {"api_params": "json"}
    ui_color = "#c7ece0"

    def __init__(
        self, *, conn_id: str = DEFAULT_CONN_ID, api_params: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        params = api_params or {}
        self.api_params = {name: value for name, value in params.items() if name in self.templated_params}
        self.api_options = {name: value for name, value in params.items() if name not in self.templated_params}

    def argument(self, name: str, default: Any = None) -> Any:
        """An API argument as it will be sent (templated or not)."""
        return self.api_params.get(name, self.api_options.get(name, default))

    @cached_property
    def hook(self) -> OpenAIAdvHook:
        from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

        return OpenAIAdvHook(conn_id=self.conn_id)

    def execute(self, context: Context) -> Any:
        result = self.call_api({**self.api_options, **self.api_params})
        self.record_usage(result, context)
        return self.to_xcom(result, context)

    def call_api(self, params: dict[str, Any]) -> Any:
        """One hook call; operators that stream or upload override it."""
        return getattr(self.hook, self.hook_method)(**params)

    def to_xcom(self, result: Any, context: Context) -> Any:
        """What goes to XCom; operators with bulky results write them out instead."""
        return result

    def record_usage(self, result: Any, context: Context) -> None:
        """Log the call's token usage and push it to XCom under the key ``usage``."""
        usage = result.get("usage") if isinstance(result, dict) else None
        if not usage:
            return
        self.log.info(
            "Token usage: %s",
            ", ".join(f"{key}={value}" for key, value in usage.items() if not isinstance(value, dict)),
        )
        context["ti"].xcom_push(key="usage", value=usage)


class DeltaLog:
    """Streamed text into the task log as it arrives, a line (or ~100 characters) at a time."""

    WIDTH = 100

    def __init__(self, log: Any) -> None:
        self.log = log
        self.pending: dict[int, str] = {}

    def __call__(self, index: int, text: str) -> None:
        buffer = self.pending.get(index, "") + text
        while "\n" in buffer or len(buffer) >= self.WIDTH:
            cut = buffer.find("\n")
            if cut < 0:
                cut = buffer.rfind(" ", 0, self.WIDTH)
                cut = cut if cut > 0 else self.WIDTH
            self._emit(index, buffer[:cut])
            buffer = buffer[cut + 1 :] if buffer[cut : cut + 1] in ("\n", " ") else buffer[cut:]
        self.pending[index] = buffer

    def flush(self) -> None:
        for index, buffer in sorted(self.pending.items()):
            if buffer:
                self._emit(index, buffer)
        self.pending.clear()

    def _emit(self, index: int, line: str) -> None:
        self.log.info("[stream choice %d] %s", index, line)


class OpenAIAdvOutputOperator(OpenAIAdvBaseOperator):
    """An operator whose results are files: they go to ``output_path``, XCom holds paths.

    :param output_path: a folder, local or an object-storage URI (templated). Files are
        named after the task (and its map index, so mapped tasks never overwrite each other).
    """

    template_fields: Sequence[str] = (*OpenAIAdvBaseOperator.template_fields, "output_path")

    def __init__(self, *, output_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.output_path = output_path

    def require_output_path(self, why: str) -> None:
        if not self.output_path:
            from airflow_provider_openai_adv.exceptions import OpenAIValidationError

            raise OpenAIValidationError(f"output_path: needed {why}; give a local folder or an object-storage URI")

    def output_file(self, context: Context, suffix: str) -> Any:
        """``<output_path>/<task_id>[-<map_index>]<suffix>``."""
        from airflow_provider_openai_adv.hooks.storage import join

        ti = context["ti"]
        map_index = getattr(ti, "map_index", -1)
        stem = ti.task_id + (f"-{map_index}" if map_index is not None and map_index >= 0 else "")
        return join(self.output_path, f"{stem}{suffix}")
