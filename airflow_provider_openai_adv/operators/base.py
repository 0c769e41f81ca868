"""What every operator shares: parameters, the hook, the call, token usage, streamed text, outputs.

An operator for an API action is two things: the hook method it calls, and its
signature::

    class OpenAICreateModerationOperator(OpenAIAdvBaseOperator):
        hook_method = OpenAIAdvHook.create_moderation
        templated = ("model", "input")

        def __init__(self, *, input: Any, model: str | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)

Each keyword parameter the class adds to its bases' becomes an attribute of the same
name (so Airflow's rendered view shows each one) and is passed to the hook method;
``templated`` names those rendered with Jinja (the others are sent as given: templating
would strip the trailing newline of a ``stop`` sequence such as ``"\\n\\n"``);
``template_fields`` is derived from it. Parameters left ``None`` are not sent, so the
API's defaults apply; ``extra_body`` adds parameters this version does not know by name.
Arguments are checked by the hook, in ``execute()``, after templating and before any
request is sent.

An error no retry can fix — a bad argument, a 400/401/403/404/422, an exhausted quota,
an untrusted certificate — fails the task at once, without Airflow's retries
(:class:`FailsFast`); transient errors keep them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_openai_adv.get_provider_info import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

JSON_FIELDS = ("messages", "metadata", "tools", "response_format", "input", "extra_body", "models")


class FailsFast:
    """Turns an error no retry can fix into ``AirflowFailException``, in ``execute``,
    ``execute_complete`` and ``poke`` of every subclass, so Airflow does not retry it.

    The message is the error's own; the original stays chained as the cause.
    """

    FAIL_FAST_METHODS = ("execute", "execute_complete", "poke")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.FAIL_FAST_METHODS:
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "fails_fast", False):
                setattr(cls, name, _failing_fast(method))

    def is_final(self, error: BaseException) -> bool:
        """Whether retrying the task could not help."""
        from airflow_provider_openai_adv.exceptions import is_permanent

        return is_permanent(error)


def _failing_fast(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def failing_fast(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            if not self.is_final(error):
                raise
            raise _fail_exception()(str(error)) from error

    failing_fast.fails_fast = True  # type: ignore[attr-defined]
    return failing_fast


def _fail_exception() -> type[Exception]:
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # Airflow 3.0 keeps it in airflow.exceptions
        from airflow.exceptions import AirflowFailException
    return AirflowFailException


def keyword_parameters(function: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    """The keyword-only parameters of ``function`` (through decorators that wrap it)."""
    return {
        name: parameter
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY
    }


def _recording(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap an ``__init__`` so that each of its keyword parameters becomes an attribute.

    They are set before the body runs, so a body may still convert one (``model_asset``
    to an ``Asset``); a base's ``__init__`` further down, not given a parameter the
    subclass took, leaves the subclass's value alone.
    """
    parameters = keyword_parameters(init)

    @functools.wraps(init)
    def recording_init(self: Any, *args: Any, **kwargs: Any) -> None:
        for name, parameter in parameters.items():
            if name in kwargs or name not in self.__dict__:
                setattr(self, name, kwargs.get(name, parameter.default))
        init(self, *args, **kwargs)

    return recording_init


class OpenAIAdvBaseOperator(FailsFast, BaseOperator):
    """Base of every OpenAI Advanced operator.

    :param conn_id: the ``openai_adv`` connection (default ``openai_adv_default``).
    :param extra_body: more API parameters, for those newer than this operator.
    """

    hook_method: Callable[..., Any] | None = None  # the OpenAIAdvHook method of the action
    task_settings: tuple[str, ...] = ()  # parameters of an action's class that are not sent to the API
    templated: tuple[str, ...] = ("conn_id",)  # parameters rendered with Jinja, this class's own
    api_parameters: tuple[str, ...] = ()  # derived: the parameters passed to hook_method
    template_fields: Sequence[str] = ("conn_id",)  # derived from ``templated`` along the class tree
    template_fields_renderers = dict.fromkeys(JSON_FIELDS, "json")
    legacy: bool | None = None  # the removed actions' operators take it: which endpoints to use
    ui_color = "#c7ece0"

    @_recording
    def __init__(
        self, *, conn_id: str = DEFAULT_CONN_ID, extra_body: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _recording(cls.__dict__["__init__"])  # type: ignore[method-assign]
        cls.api_parameters = _api_parameters(cls)
        cls.template_fields = tuple(
            dict.fromkeys(name for klass in reversed(cls.__mro__) for name in vars(klass).get("templated", ()))
        )
        parameters = keyword_parameters(cls.__init__)
        unknown = [name for name in cls.template_fields if name not in parameters and name != "conn_id"]
        if unknown:
            raise TypeError(f"{cls.__name__}.templated names {unknown}, which are not parameters of __init__")

    def api_arguments(self) -> dict[str, Any]:
        """The hook method's arguments: every API parameter, plus ``extra_body``.

        ``None`` means "not given" all the way down: the hook's methods take it so, and
        the client leaves it out of the request, so the API's default applies.
        """
        arguments = {name: getattr(self, name) for name in self.api_parameters}
        arguments.update(self.extra_body or {})
        return arguments

    @cached_property
    def hook(self) -> OpenAIAdvHook:
        from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

        return OpenAIAdvHook.for_connection(self.conn_id, legacy=self.legacy)

    def execute(self, context: Context) -> Any:
        result = self.call_api(self.api_arguments())
        self.record_usage(result, context)
        return self.to_xcom(result, context)

    def call_api(self, arguments: dict[str, Any]) -> Any:
        """One call of the action's hook method (on this task's hook: today's or the legacy
        endpoints); operators that stream or write files add to it."""
        return getattr(self.hook, type(self).hook_method.__name__)(**arguments)

    def to_xcom(self, result: Any, context: Context) -> Any:
        """What goes to XCom; operators with bulky results write them out instead."""
        return result

    def record_usage(self, result: Any, context: Context) -> None:
        """Log the call's token usage and push it to XCom under the key ``usage``."""
        usage = result.get("usage") if isinstance(result, dict) else None
        if not isinstance(usage, dict) or not usage:
            return
        self.log.info(
            "Token usage: %s",
            ", ".join(f"{key}={value}" for key, value in usage.items() if not isinstance(value, (dict, list))),
        )
        context["ti"].xcom_push(key="usage", value=usage)


def _api_parameters(cls: type) -> tuple[str, ...]:
    """The keyword parameters of ``cls.__init__`` that are not settings of a base class.

    A base without a ``hook_method`` (this module's bases, ``BaseOperator``) declares
    settings — ``conn_id``, ``output_path``, ``legacy``, how to wait; everything an
    action's operator adds to them is a parameter of its API call.
    """
    settings = {"extra_body", *(name for klass in cls.__mro__ for name in vars(klass).get("task_settings", ()))}
    for klass in cls.__mro__[1:]:
        if issubclass(klass, BaseOperator) and klass.__dict__.get("__init__") and not _action(klass):
            settings.update(keyword_parameters(klass.__dict__["__init__"]))
    if not _action(cls):
        return ()
    return tuple(name for name in keyword_parameters(cls.__init__) if name not in settings)


def _action(klass: type) -> bool:
    return getattr(klass, "hook_method", None) is not None


class RemovedActionOperator(OpenAIAdvBaseOperator):
    """Base of the eight actions whose endpoints OpenAI removed (edits, fine-tunes, engines).

    :param legacy: send the action to its 2023 endpoint, for servers that still serve it;
        ``None`` (default) reads the connection's ``legacy_endpoints`` extra.
    """

    def __init__(self, *, legacy: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class DeltaLog:
    """Streamed text into the task log as it arrives, a line (or ~100 characters) at a time."""

    WIDTH = 100

    def __init__(self, log: Any, label: str = "choice") -> None:
        self.log = log
        self.label = label  # what the index counts: a completion's choices, a response's output items
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
        self.log.info("[stream %s %d] %s", self.label, index, line)


class StreamingOperator(OpenAIAdvBaseOperator):
    """With ``stream=True`` the text is written to the task log as it arrives, and the
    assembled answer goes to XCom as if it had not been streamed."""

    stream_label = "choice"  # what the streamed pieces' index counts

    def call_api(self, arguments: dict[str, Any]) -> Any:
        if not arguments.get("stream"):
            return super().call_api(arguments)
        delta_log = DeltaLog(self.log, self.stream_label)
        try:
            return super().call_api({**arguments, "on_delta": delta_log})
        finally:
            delta_log.flush()


class OpenAIAdvOutputOperator(OpenAIAdvBaseOperator):
    """An operator whose results are files: they go to ``output_path``, XCom holds paths.

    :param output_path: a folder, local or an object-storage URI (templated), checked
        before any request. Files are named after the task (and its map index, so mapped
        tasks never overwrite each other).
    """

    templated = ("output_path",)

    def __init__(self, *, output_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def call_api(self, arguments: dict[str, Any]) -> Any:
        if self.output_path is not None:
            from airflow_provider_openai_adv.hooks.storage import check_output_folder

            check_output_folder(self.output_path)
        return super().call_api(arguments)

    def require_output_path(self, why: str) -> None:
        if not self.output_path:
            from airflow_provider_openai_adv.exceptions import OpenAIValidationError

            raise OpenAIValidationError(f"output_path: needed {why}; give a local folder or an object-storage URI")

    def output_name(self, context: Context, suffix: str) -> str:
        """``<task_id>[-<map_index>]<suffix>``: a plain name within ``output_path``."""
        ti = context["ti"]
        map_index = getattr(ti, "map_index", -1)
        return ti.task_id + (f"-{map_index}" if map_index is not None and map_index >= 0 else "") + suffix

    def output_file(self, context: Context, suffix: str) -> Any:
        """``<output_path>/<task_id>[-<map_index>]<suffix>``."""
        from airflow_provider_openai_adv.hooks.storage import join

        return join(self.output_path, self.output_name(context, suffix))
