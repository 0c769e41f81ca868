"""``OpenAIJobSensor``: wait for a long-running job created elsewhere, in any sensor mode.

The base of the sensor of each job kind. Every mode reads the one wait engine: a poke
is one poll; ``deferrable=True`` hands the wait to the triggerer; only success passes,
and a job that failed, was cancelled or expired fails the task at once (retrying the
sensor cannot change a finished job). A server unreachable for a while is ridden out
for ``transient_error_grace`` seconds of failing pokes in a row.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_openai_adv.get_provider_info import DEFAULT_CONN_ID
from airflow_provider_openai_adv.jobs.engine import DEFAULT_GRACE, poll_once
from airflow_provider_openai_adv.operators.base import FailsFast
from airflow_provider_openai_adv.waiting import JobWaiter, default_deferrable

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
    from airflow_provider_openai_adv.jobs.engine import Watch
    from airflow_provider_openai_adv.jobs.kinds import JobKind


class OpenAIJobSensor(JobWaiter, FailsFast, BaseSensorOperator):
    """Wait until a job of ``kind`` succeeds; XCom gets the job.

    ``timeout`` bounds the wait in every mode; ``poke_interval`` is the poll interval.
    A kind's own sensor names the id after the kind (``fine_tune_id``) and fixes the kind.

    :param kind: the job kind (``fine_tune``…; see ``jobs.kinds.KIND_MODULES``).
    :param job_id: the job (templated).
    :param conn_id: the ``openai_adv`` connection.
    :param deferrable: wait in the triggerer (default ``[operators] default_deferrable``).
    :param transient_error_grace: seconds of failing polls in a row ridden out.
    """

    job_id_field = "job_id"  # the attribute holding the job's id (templated)
    template_fields = ("job_id", "conn_id")
    ui_color = "#c7ece0"

    def __init__(
        self,
        *,
        kind: str | None = None,
        job_id: str | None = None,
        conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = default_deferrable(),
        transient_error_grace: float = DEFAULT_GRACE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.job_id = job_id
        self.conn_id = conn_id
        self.deferrable = deferrable
        self.transient_error_grace = transient_error_grace

    def job_kind(self) -> JobKind:
        from airflow_provider_openai_adv.jobs.kinds import kind_named

        return kind_named(str(self.kind))

    @property
    def target(self) -> str:
        """The id of the job waited on, as rendered."""
        return getattr(self, self.job_id_field)

    @property
    def poll_interval(self) -> float:
        return float(self.poke_interval)

    @cached_property
    def hook(self) -> OpenAIAdvHook:
        from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

        return OpenAIAdvHook(conn_id=self.conn_id)

    @cached_property
    def current_watch(self) -> Watch:
        """One watch for every poke of this run (its events reported, its failing polls counted)."""
        self.check_wait_settings()
        return self.watch(self.target, deadline=None)

    def is_final(self, error: BaseException) -> bool:
        from airflow_provider_openai_adv.jobs.events import JobWaitFailed, Outcome

        finished = (Outcome.FAILED, Outcome.CANCELLED, Outcome.EXPIRED)
        return super().is_final(error) or (isinstance(error, JobWaitFailed) and error.outcome in finished)

    def poke(self, context: Context) -> PokeReturnValue | bool:
        event = poll_once(self.current_watch, self.hook.client)
        if event is None:
            return False
        return PokeReturnValue(is_done=True, xcom_value=event.result())

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        done = self.poke(context)
        if done:
            return done.xcom_value
        deadline = self.clock() + self.timeout if self.timeout else None
        self.defer_wait(self.target, deadline, self.current_watch.last_event_id)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowSensorTimeout

        from airflow_provider_openai_adv.jobs.events import Outcome

        ended = self.event_of(event)
        if ended.outcome is Outcome.TIMEOUT:  # as in poke mode, so soft_fail applies alike
            raise AirflowSensorTimeout(ended.message)
        return ended.result()
