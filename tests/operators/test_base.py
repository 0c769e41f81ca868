"""What all operators share: an operator is its hook method and its signature; cheap imports,
templating, usage, mapping, failing fast, streamed logs."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import airflow_provider_openai_adv.operators as operators
from airflow_provider_openai_adv.hooks.legacy import OpenAIAdvLegacyHook
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import (
    DeltaLog,
    OpenAIAdvBaseOperator,
    RemovedActionOperator,
    keyword_parameters,
)
from tests.tasks import run_task

ALL = [getattr(operators, name) for name in sorted(operators.ACTIONS)]
EACH = pytest.mark.parametrize("operator", ALL, ids=lambda operator: operator.__name__)
REMOVED = {
    "OpenAICreateEditOperator",
    "OpenAICreateFineTuneOperator",
    "OpenAIListFineTunesOperator",
    "OpenAIRetrieveFineTuneOperator",
    "OpenAICancelFineTuneOperator",
    "OpenAIListFineTuneEventsOperator",
    "OpenAIListEnginesOperator",
    "OpenAIRetrieveEngineOperator",
}
SAY_HI = [{"role": "user", "content": "hi"}]


def all_parameters(operator: type) -> dict[str, inspect.Parameter]:
    """The keyword parameters of every ``__init__`` from the base operator down to ``operator``."""
    parameters: dict[str, inspect.Parameter] = {}
    for klass in reversed(operator.__mro__):
        if issubclass(klass, OpenAIAdvBaseOperator) and "__init__" in vars(klass):
            parameters.update(keyword_parameters(vars(klass)["__init__"]))
    return parameters


# -- an operator is a hook method and a signature ----------------------------------------


def test_there_is_one_operator_per_action():
    assert len(ALL) == 24
    assert all(issubclass(operator, OpenAIAdvBaseOperator) for operator in ALL)
    assert {operator.__name__ for operator in ALL if issubclass(operator, RemovedActionOperator)} == REMOVED


@EACH
def test_the_hook_method_is_a_hook_function_named_by_reference(operator):
    assert operator.__doc__
    assert inspect.isfunction(operator.hook_method)
    assert getattr(OpenAIAdvHook, operator.hook_method.__name__) is operator.hook_method


@EACH
def test_every_api_parameter_is_a_parameter_of_the_hook_method(operator):
    assert set(operator.api_parameters) <= set(keyword_parameters(operator.__init__))
    hooks = (OpenAIAdvHook, OpenAIAdvLegacyHook) if operator.__name__ in REMOVED else (OpenAIAdvHook,)
    for hook in hooks:
        method = getattr(hook, operator.hook_method.__name__)
        accepted = inspect.signature(method).parameters
        if any(parameter.kind is parameter.VAR_KEYWORD for parameter in accepted.values()):
            continue  # the hook takes **params: any name is sent to the API
        for name in operator.api_parameters:
            where = f"{hook.__name__}.{method.__name__}"
            assert name in accepted, f"{operator.__name__}({name}=...) is no parameter of {where}"


def test_settings_are_not_sent_to_the_api():
    settings = {"conn_id", "extra_body", "legacy", "wait_for_completion", "deferrable", "poll_interval", "model_asset"}
    assert not any(settings & set(operator.api_parameters) for operator in ALL)
    assert "output_path" not in operators.OpenAICreateImageOperator.api_parameters
    assert "output_path" in operators.OpenAIRetrieveFileContentOperator.api_parameters  # the hook writes the file
    assert operators.OpenAIGetModelsOperator.api_parameters == ()


def test_legacy_picks_the_hook_once_per_task(openai_emulator, monkeypatch):
    engines = operators.OpenAIListEnginesOperator
    assert type(engines(task_id="e", legacy=True).hook) is OpenAIAdvLegacyHook
    assert type(engines(task_id="e", legacy=False).hook) is OpenAIAdvHook
    assert type(engines(task_id="e").hook) is OpenAIAdvHook
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(legacy_endpoints=True))
    assert type(engines(task_id="e").hook) is OpenAIAdvLegacyHook
    assert type(engines(task_id="e", legacy=False).hook) is OpenAIAdvHook  # the task's own choice wins


@EACH
def test_templated_names_real_parameters_and_template_fields_follow_the_class_tree(operator):
    parameters = all_parameters(operator)
    assert set(operator.templated) <= set(parameters)
    expected = []
    for klass in reversed(operator.__mro__):
        for name in vars(klass).get("templated", ()):
            if name not in expected:
                expected.append(name)
    assert list(operator.template_fields) == expected
    assert operator.template_fields[0] == "conn_id"


def test_template_fields_of_an_output_operator():
    embeddings = operators.OpenAICreateEmbeddingsOperator
    assert embeddings.template_fields == ("conn_id", "output_path", "input", "model", "user")


def test_a_templated_typo_is_refused_when_the_class_is_made():
    with pytest.raises(TypeError, match=r"Typo\.templated names \['inptu'\], which are not parameters of __init__"):

        class Typo(OpenAIAdvBaseOperator):
            hook_method = OpenAIAdvHook.create_moderation
            templated = ("inptu",)

            def __init__(self, *, input: Any, model: str | None = None, **kwargs: Any) -> None:  # noqa: A002
                super().__init__(**kwargs)


@pytest.mark.parametrize(
    "operator",
    [pytest.param(operator, id=operator.__name__) for operator in ALL],
)
def test_the_init_body_is_only_the_call_to_super(operator):
    """The signature is the operator: nothing to keep in step with it by hand."""
    if "__init__" not in vars(operator):
        return  # no parameters of its own
    source = textwrap.dedent(inspect.getsource(vars(operator)["__init__"].__wrapped__))
    (function,) = ast.parse(source).body
    assert [ast.unparse(statement) for statement in function.body] == ["super().__init__(**kwargs)"]


def required_arguments(operator: type) -> dict[str, Any]:
    return {
        name: f"<{name}>"
        for name, parameter in all_parameters(operator).items()
        if parameter.default is parameter.empty
    }


@EACH
def test_each_parameter_becomes_an_attribute(operator):
    given = {**required_arguments(operator), "conn_id": "my_conn", "extra_body": {"new_flag": True}}
    given.update({name: f"<{name}>" for name in operator.api_parameters})
    task = operator(task_id="t", **given)
    for name, parameter in all_parameters(operator).items():
        expected = given.get(name, parameter.default)
        assert getattr(task, name) == expected, f"{operator.__name__}.{name}"


def test_api_arguments_are_every_parameter_with_extra_body_merged():
    task = operators.OpenAICreateChatCompletionOperator(
        task_id="chat", model="gpt-4o-mini", messages=SAY_HI, temperature=0.2, n=None,
        extra_body={"new_flag": True, "temperature": 0.4},
    )  # fmt: skip
    arguments = task.api_arguments()
    assert set(arguments) == {*task.api_parameters, "new_flag"}
    assert arguments["temperature"] == 0.4 and arguments["n"] is None  # None: not given; the client leaves it out


def test_extra_body_reaches_the_request(openai_emulator):
    run_task(
        operators.OpenAICreateChatCompletionOperator(
            task_id="chat", model="gpt-4o-mini", messages=SAY_HI, extra_body={"store": True, "prompt_cache_key": "k"}
        )
    )
    assert openai_emulator.requests[-1].json() == {
        "model": "gpt-4o-mini", "messages": SAY_HI, "store": True, "prompt_cache_key": "k"
    }  # fmt: skip


def test_a_parameter_the_hook_defaults_is_left_to_the_hook(openai_emulator, tmp_path):
    """None means "not given": the image edit keeps the hook's pinned model, a stream asks for usage."""
    from airflow_provider_openai_adv.testing.png import encode_png

    image = tmp_path / "in.png"
    image.write_bytes(encode_png(256, 256, seed=1))
    run_task(operators.OpenAICreateImageEditOperator(task_id="edit", image=str(image), prompt="x", size="256x256"))
    assert openai_emulator.requests[-1].form["model"] == ["dall-e-2"]
    chat = operators.OpenAICreateChatCompletionOperator(task_id="c", model="gpt-4o-mini", messages=SAY_HI, stream=True)
    run = run_task(chat)
    assert openai_emulator.requests[-1].json()["stream_options"] == {"include_usage": True}
    assert run.xcoms["usage"]["total_tokens"] > 0


# -- imports --------------------------------------------------------------------------------


def test_importing_one_operator_loads_only_what_it_needs():
    code = (
        "import sys, json; from airflow_provider_openai_adv.operators import OpenAICreateChatCompletionOperator;"
        "ours = ('airflow_provider_openai_adv', 'requests', 'requests_toolbelt', 'urllib3');"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ours)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [  # no client, no HTTP library, no other operator, no wait engine
        "airflow_provider_openai_adv",
        "airflow_provider_openai_adv.exceptions",
        "airflow_provider_openai_adv.get_provider_info",
        "airflow_provider_openai_adv.hooks",
        "airflow_provider_openai_adv.hooks.openai_adv",
        "airflow_provider_openai_adv.operators",
        "airflow_provider_openai_adv.operators.base",
        "airflow_provider_openai_adv.operators.completions",
        "airflow_provider_openai_adv.validation",
    ]


# -- templating and the task's results -----------------------------------------------------


def test_stop_sequences_are_not_mangled_by_templating(openai_emulator):
    task = operators.OpenAICreateChatCompletionOperator(
        task_id="chat", model="gpt-4o-mini", messages=[{"role": "user", "content": "{{ ds }}"}], stop=["\n\n", "END\n"]
    )
    run_task(task)
    assert openai_emulator.requests[-1].json()["stop"] == ["\n\n", "END\n"]
    assert openai_emulator.requests[-1].json()["messages"] == [{"role": "user", "content": "2024-01-01"}]


def test_the_rendered_fields_show_each_templated_parameter_and_never_the_api_key(make_dag, run_dag, openai_emulator):
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    with make_dag() as dag:
        operators.OpenAICreateChatCompletionOperator(
            task_id="chat",
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "{{ conn.openai_adv_default.host }}"}],
            user="{{ dag.dag_id }}",
            temperature=0.5,
        )
    outcome = run_dag(dag)
    with create_session() as session:
        rendered = session.query(RenderedTaskInstanceFields).filter_by(dag_id=dag.dag_id).one().rendered_fields
    assert set(rendered) == set(operators.OpenAICreateChatCompletionOperator.template_fields)
    assert rendered["messages"] == [{"role": "user", "content": openai_emulator.base_url}]
    assert (rendered["model"], rendered["user"]) == ("gpt-4o-mini", dag.dag_id)
    assert rendered["conn_id"] == "openai_adv_default"
    assert "temperature" not in rendered  # not templated: sent as given
    assert openai_emulator.api_key not in repr(rendered)
    assert openai_emulator.api_key not in repr(outcome.xcoms)


def test_chat_can_be_mapped_over_conversations(make_dag, run_dag, openai_emulator):
    conversations = [[{"role": "user", "content": topic}] for topic in ("rivers", "mountains", "deserts")]
    with make_dag() as dag:
        operators.OpenAICreateChatCompletionOperator.partial(task_id="chat", model="gpt-4o-mini").expand(
            messages=conversations
        )
    outcome = run_dag(dag)
    answers = [value["choices"][0]["message"]["content"] for value in outcome.mapped_values("chat")]
    assert answers == [f"Emulated reply from gpt-4o-mini: {topic}" for topic in ("rivers", "mountains", "deserts")]
    assert len(outcome.mapped_values("chat", key="usage")) == 3


def test_usage_is_pushed_beside_the_result(openai_emulator):
    run = run_task(operators.OpenAICreateChatCompletionOperator(task_id="chat", model="gpt-4o-mini", messages=SAY_HI))
    assert run.xcoms["usage"] == run.value["usage"] and run.value["usage"]["total_tokens"] > 0


# -- failing fast ---------------------------------------------------------------------------


def test_a_permanent_error_fails_the_task_at_once_and_a_transient_one_is_retried(
    make_dag, run_dag, openai_emulator, monkeypatch, capfd
):
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(max_retries=0))
    openai_emulator.add_fault(path="/v1/models", status=503, times=1)
    with make_dag(default_args={"retries": 2, "retry_delay": 0}) as dag:
        operators.OpenAIRetrieveFileOperator(task_id="missing", file_id="file-does-not-exist")
        operators.OpenAIGetModelsOperator(task_id="flaky")
    outcome = run_dag(dag)
    assert outcome.task_states[("missing", -1)] == "failed" and outcome.tries[("missing", -1)] == 1
    assert outcome.task_states[("flaky", -1)] == "success" and outcome.tries[("flaky", -1)] == 2
    paths = [entry.path for entry in openai_emulator.requests]
    assert paths.count("/v1/files/file-does-not-exist") == 1 and paths.count("/v1/models") == 2
    assert "OpenAI API error 404" in capfd.readouterr().out


@pytest.mark.parametrize(
    ("fault", "final"),
    [
        ({"status": 400}, True),
        ({"status": 401}, True),
        ({"status": 403}, True),
        ({"status": 404}, True),
        ({"status": 422}, True),
        ({"status": 429, "code": "insufficient_quota"}, True),
        ({"status": 429}, False),
        ({"status": 500}, False),
        ({"status": 503}, False),
    ],
    ids=lambda value: str(value) if isinstance(value, bool) else "-".join(map(str, value.values())),
)
def test_which_errors_fail_the_task_for_good(openai_emulator, monkeypatch, fault, final):
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_provider_openai_adv.exceptions import APIStatusError

    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(max_retries=0))
    openai_emulator.add_fault(path="/v1/models", **fault)
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is what is tested
        run_task(operators.OpenAIGetModelsOperator(task_id="models"))
    assert isinstance(caught.value, AirflowFailException) is final
    cause = caught.value.__cause__ if final else caught.value
    assert isinstance(cause, APIStatusError) and cause.status_code == fault["status"]
    assert str(caught.value) == str(cause)  # OpenAI's message, as it was


# -- streamed text in the log ---------------------------------------------------------------


class RecordingLog:
    def __init__(self):
        self.lines = []

    def info(self, template, *args):
        self.lines.append(template % args)


def test_delta_log_writes_whole_lines_as_they_complete():
    log = RecordingLog()
    delta_log = DeltaLog(log)
    for piece in ["Hel", "lo wor", "ld\nSecond", " line"]:
        delta_log(0, piece)
    assert log.lines == ["[stream choice 0] Hello world"]
    delta_log.flush()
    assert log.lines[-1] == "[stream choice 0] Second line"


def test_delta_log_breaks_long_lines_at_spaces():
    log = RecordingLog()
    delta_log = DeltaLog(log)
    delta_log(1, "word " * 50)
    delta_log.flush()
    assert all(len(line) <= len("[stream choice 1] ") + DeltaLog.WIDTH for line in log.lines)
    assert " ".join(line.removeprefix("[stream choice 1] ") for line in log.lines).split() == ["word"] * 50
