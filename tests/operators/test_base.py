"""What all operators share: cheap imports, parameters, templating, usage, mapping, streamed logs."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest

import airflow_provider_openai_adv.operators as operators
from airflow_provider_openai_adv.operators.base import DeltaLog, OpenAIAdvBaseOperator, api_arguments

ALL = [getattr(operators, name) for name in sorted(operators.ACTIONS)]


def test_there_is_one_operator_per_action():
    assert len(ALL) == 24
    assert all(issubclass(operator, OpenAIAdvBaseOperator) for operator in ALL)


def test_importing_one_operator_loads_only_its_module():
    code = (
        "import sys, json; from airflow_provider_openai_adv.operators import OpenAICreateChatCompletionOperator;"
        "ours = ('airflow_provider_openai_adv', 'requests_toolbelt');"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(ours))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [  # no hook, client, other operators, or upload library
        "airflow_provider_openai_adv",
        "airflow_provider_openai_adv.get_provider_info",
        "airflow_provider_openai_adv.operators",
        "airflow_provider_openai_adv.operators.base",
        "airflow_provider_openai_adv.operators.completions",
    ]


def test_every_hook_method_named_by_an_operator_exists():
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

    for operator in ALL:
        method = getattr(OpenAIAdvHook, operator.hook_method)
        init = inspect.signature(operator.__init__).parameters
        hook_parameters = inspect.signature(method).parameters
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in hook_parameters.values())
        for name in init:
            if name in ("self", "kwargs", "extra_body", "output_path") or takes_kwargs:
                continue
            assert name in hook_parameters, f"{operator.__name__}({name}=...) has no {operator.hook_method}() parameter"


def test_templated_params_are_real_arguments():
    for operator in ALL:
        arguments = inspect.signature(operator.__init__).parameters
        for name in operator.templated_params:
            assert name in arguments or name == "output_path", f"{operator.__name__}.templated_params names {name!r}"


def test_api_arguments_keep_set_parameters_and_merge_extra_body():
    def fake_init(self, *, model, temperature=None, n=2, conn_id="x", output_path=None, extra_body=None, **kwargs):
        return api_arguments(locals())

    assert fake_init(None, model="m", extra_body={"new_flag": True}, task_id="t") == {
        "model": "m", "n": 2, "new_flag": True
    }  # fmt: skip


def test_stop_sequences_are_not_mangled_by_templating(make_dag, run_dag, openai_emulator):
    from airflow_provider_openai_adv.operators import OpenAICreateChatCompletionOperator

    with make_dag() as dag:
        OpenAICreateChatCompletionOperator(
            task_id="chat", model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stop=["\n\n", "END\n"]
        )
    run_dag(dag)
    assert openai_emulator.requests[-1].json()["stop"] == ["\n\n", "END\n"]


def test_chat_can_be_mapped_over_conversations(make_dag, run_dag, openai_emulator):
    from airflow_provider_openai_adv.operators import OpenAICreateChatCompletionOperator

    conversations = [[{"role": "user", "content": topic}] for topic in ("rivers", "mountains", "deserts")]
    with make_dag() as dag:
        OpenAICreateChatCompletionOperator.partial(task_id="chat", model="gpt-4o-mini").expand(messages=conversations)
    outcome = run_dag(dag)
    answers = [value["choices"][0]["message"]["content"] for value in outcome.mapped_values("chat")]
    assert answers == [f"Emulated reply from gpt-4o-mini: {topic}" for topic in ("rivers", "mountains", "deserts")]
    assert len(outcome.mapped_values("chat", key="usage")) == 3


def test_a_failed_call_fails_the_task_with_openais_error(make_dag, run_dag, openai_emulator, capfd):
    from airflow_provider_openai_adv.operators import OpenAIRetrieveFileOperator

    with make_dag() as dag:
        OpenAIRetrieveFileOperator(task_id="missing", file_id="file-does-not-exist")
    outcome = run_dag(dag)
    assert outcome.task_states[("missing", -1)] == "failed"
    assert "OpenAI API error 404" in capfd.readouterr().out


def test_the_api_key_never_reaches_the_rendered_fields_or_xcom(make_dag, run_dag, openai_emulator):
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    from airflow_provider_openai_adv.operators import OpenAICreateChatCompletionOperator

    with make_dag() as dag:
        OpenAICreateChatCompletionOperator(
            task_id="chat",
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "{{ conn.openai_adv_default.host }}"}],
        )
    outcome = run_dag(dag)
    with create_session() as session:
        rendered = session.query(RenderedTaskInstanceFields).filter_by(dag_id=dag.dag_id).one().rendered_fields
    assert openai_emulator.api_key not in repr(rendered)
    assert openai_emulator.api_key not in repr(outcome.xcoms)


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


@pytest.mark.parametrize("operator", ALL, ids=lambda operator: operator.__name__)
def test_every_operator_has_a_docstring_and_a_hook_method(operator):
    assert operator.__doc__ and operator.hook_method
