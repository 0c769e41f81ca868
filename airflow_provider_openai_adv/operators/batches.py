"""Batches: rows in, results joined to the rows out, at half price — and the batch actions.

``OpenAIBatchOperator`` is the whole job: build the requests from rows (``bulk/``), split
them into batches within OpenAI's limits, upload and create each batch once (tagged, so a
retried task finds them instead of paying twice), wait on the one wait engine, download
the results and write one record per input row, in input order, to ``output_path``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.jobs.engine import DEFAULT_GRACE
from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator
from airflow_provider_openai_adv.operators.jobs import task_tag
from airflow_provider_openai_adv.operators.rows import RowsToResults
from airflow_provider_openai_adv.waiting import JobWaiter, default_deferrable

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.bulk.results import ResultIndex, Summary
    from airflow_provider_openai_adv.jobs.events import WaitEvent
    from airflow_provider_openai_adv.jobs.kinds import JobKind

TAG, PART = "airflow_task", "airflow_part"  # metadata keys: who created a batch, and which part of the job
WAITING = "batches"  # XCom key of what the task needs when it resumes: its batches, its deadline
FINISHED_ELSEWHERE = ("failed", "cancelled")  # a batch in these is not re-attached to: its part runs again
REATTACH_WINDOW = 3600.0  # seconds before the DAG run's start a batch of this task may be dated


class OpenAIBatchOperator(RowsToResults, JobWaiter, OpenAIAdvBaseOperator):
    """Send every row as a request through the Batch API; write the results beside the rows.

    **In.** ``input`` is a list of rows (from XCom or the DAG file) or a JSONL, CSV or
    Parquet file, local or in object storage; ``columns`` picks the columns to use and
    ``id_column`` the one holding each row's ``custom_id`` (by default ``row-<position>``).
    The request is ``endpoint`` and a ``body`` whose ``{column}`` placeholders take each
    row's values (``bulk/template.py``)::

        OpenAIBatchOperator(
            task_id="classify",
            input="s3://tickets/{{ ds }}.parquet", id_column="ticket_id",
            endpoint="/v1/chat/completions",
            body={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Label: {text}"}]},
            output_path="s3://tickets/labelled/{{ ds }}.parquet",
        )

    **Batches.** The request lines are split into batches of at most 50,000 requests and
    200 MB (an embeddings batch: 50,000 inputs), uploaded and created each once: every
    batch carries the task instance and its part in its metadata, so a retried task waits
    on the batches an earlier try created (unless they failed or were cancelled) instead of
    paying again.

    **Waiting** is deferred by default (``deferrable``), or in the worker, on the wait engine:
    the request counts are logged as they move, outages are ridden out
    (``transient_error_grace``), ``wait_timeout`` and ``execution_timeout`` bound the wait and
    then cancel the batches (unless ``cancel_on_timeout=False``); a task killed while waiting
    in the worker cancels them (``cancel_on_kill``).

    **Out.** ``output_path`` (``.jsonl`` or ``.parquet``, local or object storage) gets one
    record per input row, in input order: the row's columns, ``custom_id``, ``status``
    (``succeeded``, ``failed``, ``expired``, ``missing``), ``response`` (the answer's body)
    and ``error``. XCom holds the path, the counts and the summed usage.

    **Typed answers.** ``text_format`` (a Pydantic model class or a JSON schema; chat and
    responses only) is asked for in every request line, and each answer is validated against
    it: the record's ``parsed`` holds the value, and an answer that does not fit fails its
    row, the error naming the field.

    **Outcomes.** A completed batch whose failed rows exceed ``max_failed_fraction`` (default
    0) fails the task after writing the output, naming the count and a few errors; an
    expired batch keeps what finished and, with ``resubmit_expired=True``, sends the rest in
    a new batch once; a batch that failed validation fails the task with OpenAI's errors; a
    batch cancelled from outside fails it.
    """

    templated = ("input", "body", "output_path", "metadata")

    def __init__(
        self,
        *,
        input: Any,  # noqa: A002 - the operator's input
        endpoint: str,
        body: dict[str, Any],
        output_path: str,
        text_format: Any = None,
        columns: list[str] | None = None,
        id_column: str | None = None,
        input_format: str | None = None,
        output_format: str | None = None,
        completion_window: str = "24h",
        metadata: dict[str, str] | None = None,
        max_failed_fraction: float = 0.0,
        resubmit_expired: bool = False,
        max_requests_per_batch: int = 50_000,
        max_bytes_per_batch: int = 200 * 1024 * 1024,
        deferrable: bool = default_deferrable(),
        poll_interval: float = 60.0,
        wait_timeout: float | None = None,
        transient_error_grace: float = DEFAULT_GRACE,
        cancel_on_timeout: bool = True,
        cancel_on_kill: bool = True,
        reattach: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.batch_ids: list[str] = []

    # -- Airflow's entry points ----------------------------------------------------------

    def job_kind(self) -> JobKind:
        from airflow_provider_openai_adv.jobs.batches import BATCH

        return BATCH

    def execute(self, context: Context) -> dict[str, Any]:
        self.check_arguments()
        deadline = self.wait_deadline(self.wait_timeout, context)
        self.batch_ids = self.submit(context, keep=None)
        return self.wait_and_finish(context, deadline, resubmitted=False)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        ti = context["ti"]
        kept = ti.xcom_pull(task_ids=ti.task_id, key=WAITING, map_indexes=getattr(ti, "map_index", None)) or {}
        self.batch_ids = list(kept.get("batch_ids") or [])
        self.judge(self.event_of(event))
        return self.wait_and_finish(context, kept.get("deadline"), bool(kept.get("resubmitted")))

    def on_kill(self) -> None:
        if self.cancel_on_kill:
            self.cancel_unfinished("the task was killed")

    # -- the steps -----------------------------------------------------------------------

    def check_settings(self) -> None:
        from airflow_provider_openai_adv import validation as check

        self.limits.check()
        check.require_choice("completion_window", self.completion_window, check.BATCH_WINDOWS)
        check.check_metadata("metadata", self.metadata)
        self.check_wait_settings(self.wait_timeout)

    def is_final(self, error: BaseException) -> bool:
        """A batch that failed validation or was cancelled by someone would fail or be
        cancelled again: the task fails without retries."""
        from airflow_provider_openai_adv.jobs.events import JobWaitFailed, Outcome

        stopped = isinstance(error, JobWaitFailed) and error.outcome in (Outcome.FAILED, Outcome.CANCELLED)
        return super().is_final(error) or stopped

    @property
    def limits(self) -> Any:
        from airflow_provider_openai_adv.bulk.batch_files import Limits

        return Limits(requests=self.max_requests_per_batch, bytes=self.max_bytes_per_batch)

    def submit(self, context: Context, keep: Any, round_name: str = "") -> list[str]:
        """Build the batches' input files; re-attach to the batches an earlier try created
        for each part, or upload the part and create its batch; the batch ids, in part order."""
        from airflow_provider_openai_adv.bulk.batch_files import build_parts

        tag = task_tag(context)
        folder = Path(tempfile.mkdtemp(prefix="openai-adv-batch-"))
        try:  # every row is read (and can be refused) before the first request
            parts = build_parts(self.rows, self.template, folder, self.limits, keep=keep or (lambda row: True))
            earlier = self.earlier_batches(tag, context) if self.reattach else {}
            ids = []
            for part in parts:
                label = f"{round_name}{part.number + 1}/{len(parts)}"
                found = earlier.get(label)
                if found is not None:
                    self.log.info(
                        "Re-attaching to batch %s (%s), part %s of this task", found["id"], found["status"], label
                    )
                    ids.append(found["id"])
                    continue
                ids.append(self.create_batch(part, {TAG: tag, PART: label}))
            return ids
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def earlier_batches(self, tag: str, context: Context) -> dict[str, dict[str, Any]]:
        """The batches an earlier try of this task created, by part, that can still be used."""
        dag_run = context.get("dag_run")
        started = getattr(dag_run, "start_date", None)
        since = started.timestamp() - REATTACH_WINDOW if started is not None else None
        found: dict[str, dict[str, Any]] = {}
        for batch in self.hook.find_batches({TAG: tag}, since=since):
            label = batch["metadata"].get(PART)
            if label not in found and batch.get("status") not in FINISHED_ELSEWHERE:
                found[label] = batch  # newest first: the latest usable batch of each part
        return found

    def create_batch(self, part: Any, tags: dict[str, str]) -> str:
        uploaded = self.hook.upload_file(part.path, purpose="batch", filename=f"{self.task_id}-{part.path.name}")
        batch = self.hook.create_batch(
            input_file_id=uploaded["id"],
            endpoint=self.endpoint,
            completion_window=self.completion_window,
            metadata={**(self.metadata or {}), **tags},
        )
        self.log.info("Created batch %s: %d requests (part %s)", batch["id"], part.requests, tags[PART])
        return batch["id"]

    def wait_and_finish(self, context: Context, deadline: float | None, resubmitted: bool) -> dict[str, Any]:
        """Wait for each batch in turn (deferring when asked), then join the results."""
        from airflow_provider_openai_adv.jobs.engine import poll_once

        for batch_id in self.batch_ids:
            if not self.deferrable:
                self.judge(self.wait_in_worker(batch_id, deadline))
                continue
            event = poll_once(self.watch(batch_id, deadline), self.hook.client)  # finished already?
            if event is None:
                # What the task resumes with, kept in XCom: it outlives the deferral, as the
                # defer() keyword arguments do not under dag.test().
                waiting = {"batch_ids": self.batch_ids, "deadline": deadline, "resubmitted": resubmitted}
                context["ti"].xcom_push(key=WAITING, value=waiting)
                self.defer_wait(batch_id, deadline)
            self.judge(event)
        return self.finish(context, deadline, resubmitted)

    def judge(self, event: WaitEvent) -> None:
        """Carry on for a batch that completed or expired; fail, saying why, for any other end."""
        from airflow_provider_openai_adv.jobs.events import JobWaitFailed, Outcome

        if event.outcome in (Outcome.SUCCESS, Outcome.EXPIRED):
            return
        message = event.message
        if event.outcome is Outcome.TIMEOUT:
            cancelled = self.cancel_on_timeout and self.cancel_unfinished("the wait timed out")
            message += "; the batches were cancelled" if cancelled else "; the batches were left running"
        raise JobWaitFailed(message, outcome=event.outcome, job_id=event.job_id, kind=event.kind)

    def cancel_unfinished(self, why: str) -> bool:
        """Cancel every batch of this task still running; whether any was."""
        cancelled = False
        for batch_id in self.batch_ids:
            if not self.job_kind().state_of(self.hook.retrieve_batch(batch_id)).is_terminal:
                self.hook.cancel_batch(batch_id)
                self.log.info("Cancelled batch %s: %s", batch_id, why)
                cancelled = True
        return cancelled

    def finish(self, context: Context, deadline: float | None, resubmitted: bool) -> dict[str, Any]:
        """Download every batch's results, resubmit expired rows once if asked, write the output."""
        from airflow_provider_openai_adv.bulk.results import EXPIRED, ResultIndex

        folder = Path(tempfile.mkdtemp(prefix="openai-adv-results-"))
        index = ResultIndex(folder)
        try:
            self.collect(index, folder)
            if self.resubmit_expired and not resubmitted:
                expired = {row.custom_id for row in self.rows if _status(index, row.custom_id) == EXPIRED}
                if expired:
                    self.log.info("Resubmitting the %d rows whose batch expired", len(expired))
                    self.batch_ids += self.submit(
                        context, keep=lambda row: row.custom_id in expired, round_name="resubmit "
                    )
                    return self.wait_and_finish(context, deadline, resubmitted=True)
            summary = self.write(index)
        finally:
            index.close()
            shutil.rmtree(folder, ignore_errors=True)
        return self.verdict(summary, context)

    def collect(self, index: ResultIndex, folder: Path) -> None:
        """Download each batch's output and error files (streamed) and index their lines."""
        for number, batch_id in enumerate(self.batch_ids):
            batch = self.hook.retrieve_batch(batch_id)
            for field in ("output_file_id", "error_file_id"):
                file_id = batch.get(field)
                if isinstance(file_id, str) and file_id:
                    target = folder / f"{number:04d}-{field}.jsonl"
                    self.hook.retrieve_file_content(file_id, output_path=target)
                    index.add(target)

    def write(self, index: ResultIndex) -> Summary:
        from airflow_provider_openai_adv.bulk.results import ResultWriter, results_in_order

        with ResultWriter(self.output_path, self.output_format, parse=self.template.parser) as writer:
            for row, result in results_in_order(iter(self.rows), index):
                writer.write(row, result)
        self.log.info("Wrote %d results to %s: %s", writer.summary.total, self.output_path, writer.summary.counts)
        return writer.summary


def _status(index: ResultIndex, custom_id: str) -> str | None:
    found = index.get(custom_id)
    return found.status if found is not None else None


class OpenAIRetrieveBatchOperator(OpenAIAdvBaseOperator):
    """One batch, with its status and request counts (``GET /batches/{batch_id}``)."""

    hook_method = OpenAIAdvHook.retrieve_batch
    templated = ("batch_id",)

    def __init__(self, *, batch_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class OpenAICancelBatchOperator(OpenAIAdvBaseOperator):
    """Cancel a batch (``POST /batches/{batch_id}/cancel``)."""

    hook_method = OpenAIAdvHook.cancel_batch
    templated = ("batch_id",)

    def __init__(self, *, batch_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class OpenAIListBatchesOperator(OpenAIAdvBaseOperator):
    """List batches, newest first (``GET /batches``): every page unless ``limit`` asks for fewer."""

    hook_method = OpenAIAdvHook.list_batches

    def __init__(self, *, limit: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
