"""Fine-tune a support-ticket classifier, and keep it only if it beats the base model.

check the data → upload training and validation files → fine-tune (deferred: no worker
slot is held while OpenAI trains) → evaluate the fine-tuned model against the base
model on an eval set → promote it (an Airflow Asset event other DAGs can be scheduled
on) or delete it → delete the uploaded files → print the evaluation table.

Runs against the connection ``openai_adv_default``: the emulator in ``make demo`` (a
fine-tune takes seconds there), or OpenAI with a real key (a fine-tune of
``gpt-4o-mini-2024-07-18`` on these 24 examples takes minutes and costs cents).
``OPENAI_ADV_POLL_SECONDS`` sets how often the job is polled (default 60).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from airflow.sdk import Asset, dag, task

from airflow_provider_openai_adv.operators import (
    OpenAICheckFineTuneDataOperator,
    OpenAICreateFineTuneOperator,
    OpenAIDeleteFileOperator,
    OpenAIDeleteFineTunedModelOperator,
    OpenAIEvaluateModelOperator,
    OpenAIUploadFileOperator,
)

DATA = Path(__file__).parent / "data"
TRAINING, VALIDATION, EVAL_SET = (
    str(DATA / name) for name in ("tickets_train.jsonl", "tickets_validation.jsonl", "tickets_eval.jsonl")
)
POLL_SECONDS = float(os.environ.get("OPENAI_ADV_POLL_SECONDS", "60"))
MIN_SCORE = 0.7  # the fine-tuned model must label at least 70 % of the eval tickets exactly
FINE_TUNED = Asset("openai://fine-tuned-models/ticket-classifier")  # every model trained here
PROMOTED = Asset("openai://promoted-models/ticket-classifier")  # the models that passed the gate
MODEL = "{{ ti.xcom_pull(task_ids='fine_tune')['fine_tuned_model'] }}"
OUTPUT = "{{ params.output_dir }}/{{ run_id | replace(':', '_') | replace('+', '_') }}"
ONE_BRANCH_DONE = "none_failed_min_one_success"


@dag(
    dag_id="openai_adv_fine_tune_pipeline",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={"base_model": "gpt-4o-mini-2024-07-18", "output_dir": "/tmp/openai_adv_fine_tune"},
    tags=["openai_adv", "example", "fine-tuning"],
    doc_md=__doc__,
)
def openai_adv_fine_tune_pipeline():
    checks = [
        OpenAICheckFineTuneDataOperator(task_id="check_training_data", file=TRAINING),
        OpenAICheckFineTuneDataOperator(task_id="check_validation_data", file=VALIDATION),
    ]
    uploads = [
        OpenAIUploadFileOperator(task_id="upload_training_data", file=TRAINING, purpose="fine-tune", check_data=False),
        OpenAIUploadFileOperator(
            task_id="upload_validation_data", file=VALIDATION, purpose="fine-tune", check_data=False
        ),
    ]
    fine_tune = OpenAICreateFineTuneOperator(
        task_id="fine_tune",
        training_file="{{ ti.xcom_pull(task_ids='upload_training_data')['id'] }}",
        validation_file="{{ ti.xcom_pull(task_ids='upload_validation_data')['id'] }}",
        model="{{ params.base_model }}",
        suffix="tickets",
        n_epochs=3,
        wait_for_completion=True,
        deferrable=True,
        poll_interval=POLL_SECONDS,
        wait_timeout=4 * 3600,
        model_asset=FINE_TUNED,
    )
    evaluate = OpenAIEvaluateModelOperator(
        task_id="evaluate",
        eval_file=EVAL_SET,
        models=[MODEL, "{{ params.base_model }}"],
        metrics=["exact_match", "contains", "cosine"],
        gate_metric="exact_match",
        min_score=MIN_SCORE,
        pass_task_ids="promote",
        fail_task_ids="discard_model",
        output_path=OUTPUT,
    )

    @task(outlets=[PROMOTED])
    def promote(**context) -> str:
        """Announce the new model: DAGs scheduled on the PROMOTED asset run with it."""
        job = context["ti"].xcom_pull(task_ids="fine_tune")
        context["outlet_events"][PROMOTED].extra = {"model": job["fine_tuned_model"], "fine_tune_id": job["id"]}
        print(f"Promoted {job['fine_tuned_model']}")
        return job["fine_tuned_model"]

    discard = OpenAIDeleteFineTunedModelOperator(task_id="discard_model", model=MODEL)
    cleanup = [
        OpenAIDeleteFileOperator(
            task_id=f"delete_{kind}_file",
            file_id=f"{{{{ ti.xcom_pull(task_ids='upload_{kind}_data')['id'] }}}}",
            trigger_rule=ONE_BRANCH_DONE,
        )
        for kind in ("training", "validation")
    ]

    @task(trigger_rule=ONE_BRANCH_DONE)
    def report(**context) -> None:
        from airflow_provider_openai_adv.evaluation import summary_table

        summary = context["ti"].xcom_pull(task_ids="evaluate")
        metrics = list(next(iter(summary["models"].values()))["scores"])
        verdict = "promoted" if summary["passed"] else "deleted"
        print(f"Evaluation on {summary['examples']} tickets (* best on {summary['gate_metric']}):")
        print(summary_table(summary["models"], metrics, summary["winner"]))
        print(f"The fine-tuned model {summary['candidate']} was {verdict}; report: {summary['report_path']}")

    promoted, printed = promote(), report()
    for check, upload in zip(checks, uploads, strict=True):
        check >> upload >> fine_tune
    fine_tune >> evaluate >> [promoted, discard]
    for branch in (promoted, discard):
        branch >> [*cleanup, printed]


openai_adv_fine_tune_pipeline()
