"""The fault matrix of ``docs/reliability.md``: each fault the emulator can inject, met by
each way the provider talks to the API, and what must come of it.

Every cell runs over real HTTP with the client's default budget (``max_retries=2``), its
waits recorded instead of slept, and the wait engine on a clock the test moves. A cell
asserts the outcome and the cost: how many requests, how many objects the server holds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from airflow_provider_openai_adv.client import ClientConfig, OpenAIClient
from airflow_provider_openai_adv.client.aio import AsyncOpenAIClient
from airflow_provider_openai_adv.exceptions import (
    APIConnectionError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidResponseError,
    StreamError,
)
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.jobs.engine import WaitPolicy, Watch, await_job, wait
from airflow_provider_openai_adv.jobs.events import Outcome
from airflow_provider_openai_adv.jobs.fine_tuning import FINE_TUNE
from airflow_provider_openai_adv.testing.fine_tuning import FineTuningStore
from tests.fine_tuning import training_jsonl

TRAINING = training_jsonl()


@dataclass
class World:
    """The emulator, a client on it that records its waits, and a clock for the wait engine."""

    emulator: object
    client: OpenAIClient
    hook: OpenAIAdvHook
    waits: list[float]
    now: float = 1_700_000_000.0

    def fault(self, path: str, **fault) -> None:
        self.emulator.add_fault(path=path, **fault)

    def requests_to(self, path: str, method: str | None = None) -> list:
        return [e for e in self.emulator.requests if e.path == path and (method is None or e.method == method)]

    def jobs(self) -> int:
        return len(self.emulator.state.store(FineTuningStore).jobs)

    def files(self) -> int:
        return len(self.emulator.state.files)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.emulator.advance_clock(seconds)


@pytest.fixture
def world(openai_emulator, monkeypatch, sleeps):
    openai_emulator.set_fine_tune_timings(validating=30, queued=30, running=120)
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(max_retries=2))
    hook = OpenAIAdvHook()
    config = ClientConfig(api_key=openai_emulator.api_key, base_url=openai_emulator.base_url, max_retries=2)
    hook.__dict__["client"] = OpenAIClient(config, sleep=sleeps)  # the hook's client, its waits recorded
    return World(openai_emulator, hook.client, hook, sleeps.waits)


def start(world: World) -> dict:
    file_id = world.client.upload("files", {"purpose": "fine-tune"}, [_training_part()])["id"]
    return world.client.post("fine_tuning/jobs", {"training_file": file_id, "model": "gpt-4o-mini"})


def _training_part():
    from airflow_provider_openai_adv.client import FilePart

    return FilePart.from_bytes("file", TRAINING, "train.jsonl")


# -- the cells -------------------------------------------------------------------------------
# Each takes the world, injects its fault, acts, and asserts. Their ids are the matrix's rows.


def read_recovers_from_a_burst_of_5xx(w: World) -> None:
    w.fault("/v1/models", status=503, times=2)
    assert w.client.get("models")["data"]
    assert len(w.requests_to("/v1/models")) == 3 and len(w.waits) == 2


def read_fails_on_persistent_5xx_after_its_budget(w: World) -> None:
    w.fault("/v1/models", status=502)
    with pytest.raises(InternalServerError):
        w.client.get("models")
    assert len(w.requests_to("/v1/models")) == 3


def read_waits_as_a_429_asks(w: World) -> None:
    w.fault("/v1/models", status=429, retry_after=7, times=1)
    assert w.client.get("models")["data"] and w.waits == [7.0]


def read_stops_at_insufficient_quota(w: World) -> None:
    w.fault("/v1/models", status=429, code="insufficient_quota")
    with pytest.raises(InsufficientQuotaError):
        w.client.get("models")
    assert len(w.requests_to("/v1/models")) == 1 and w.waits == []


def read_survives_a_dropped_connection(w: World) -> None:
    w.fault("/v1/models", drop=True, times=1)
    assert w.client.get("models")["data"] and len(w.waits) == 1


def read_rides_out_a_proxy_page(w: World) -> None:
    w.fault("/v1/models", status=200, body="<html>maintenance</html>", times=1)
    assert w.client.get("models")["data"] and len(w.requests_to("/v1/models")) == 2


def read_reports_a_lasting_proxy_page_as_our_error(w: World) -> None:
    w.fault("/v1/models", status=200, body="<html>maintenance</html>")
    with pytest.raises(InvalidResponseError, match="not valid JSON"):
        w.client.get("models")


def read_fails_when_the_server_is_down(w: World) -> None:
    with w.emulator.outage(), pytest.raises(APIConnectionError, match="connection failed"):
        w.client.get("models")
    assert len(w.waits) == 2  # a refused connection is retried like any network failure


def create_is_not_resent_after_a_dropped_connection(w: World) -> None:
    file_id = w.client.upload("files", {"purpose": "fine-tune"}, [_training_part()])["id"]
    w.fault("/v1/fine_tuning/jobs", method="POST", drop=True, times=1)
    with pytest.raises(APIConnectionError):
        w.client.post("fine_tuning/jobs", {"training_file": file_id, "model": "gpt-4o-mini"}, safe_to_repeat=False)
    assert w.jobs() == 0 and w.waits == []


def create_whose_answer_was_lost_is_found_by_its_tag(w: World) -> None:
    file_id = w.client.upload("files", {"purpose": "fine-tune"}, [_training_part()])["id"]
    w.fault("/v1/fine_tuning/jobs", method="POST", lose_answer=True, times=1)
    arguments = {"training_file": file_id, "model": "gpt-4o-mini", "reattach_key": "dag/task/run/-1"}
    with pytest.raises(APIConnectionError):
        w.hook.create_fine_tune(**arguments)  # the task's first try fails...
    again = w.hook.create_fine_tune(**arguments)  # ...and its retry re-attaches
    assert w.jobs() == 1 and again["metadata"]["airflow_task"] == "dag/task/run/-1"


def create_is_retried_after_a_5xx_answer(w: World) -> None:
    w.fault("/v1/fine_tuning/jobs", method="POST", status=503, times=1)
    assert start(w)["status"] == "validating_files" and w.jobs() == 1


def upload_whose_answer_was_lost_is_adopted(w: World) -> None:
    w.fault("/v1/files", method="POST", lose_answer=True, times=1)
    w.hook.upload_file(TRAINING, purpose="batch", filename="rows.jsonl")
    assert w.files() == 1 and len(w.requests_to("/v1/files", "POST")) == 1


def upload_cut_before_the_server_is_sent_again(w: World) -> None:
    w.fault("/v1/files", method="POST", drop=True, times=1)
    w.hook.upload_file(TRAINING, purpose="batch", filename="rows.jsonl")
    assert w.files() == 1


def delete_whose_answer_was_lost_is_done(w: World) -> None:
    file_id = w.hook.upload_file(TRAINING, purpose="batch", filename="rows.jsonl")["id"]
    w.fault(f"/v1/files/{file_id}", method="DELETE", lose_answer=True, times=1)
    assert w.hook.delete_file(file_id)["deleted"] is True and w.files() == 0


def stream_cut_midway_is_an_error_not_an_answer(w: World) -> None:
    w.fault("/v1/chat/completions", stream_cut_after=2)
    with pytest.raises(StreamError):
        w.hook.create_chat_completion(model="gpt-4o-mini", messages=[{"role": "user", "content": "a b c"}], stream=True)


def _watch(w: World, job: dict, grace: float = 300.0) -> Watch:
    return Watch(FINE_TUNE, job["id"], WaitPolicy(60, None, grace, jitter=0), clock=w.clock)


def worker_wait_rides_out_an_outage(w: World) -> None:
    job = start(w)

    def sleep(seconds: float) -> None:
        w.sleep(seconds)
        if w.now == 1_700_000_060.0:
            w.emulator.stop()
        if w.now == 1_700_000_180.0:
            w.emulator.start()

    assert wait(_watch(w, job), w.client, sleep=sleep).outcome is Outcome.SUCCESS


def worker_wait_ends_past_its_grace_naming_the_cause(w: World) -> None:
    job = start(w)
    w.fault(f"/v1/fine_tuning/jobs/{job['id']}", status=502)
    event = wait(_watch(w, job, grace=120), w.client, sleep=w.sleep)
    assert (
        event.outcome is Outcome.ERROR and "transient_error_grace is 120 s" in event.message and "502" in event.message
    )


def worker_wait_ends_at_once_on_quota(w: World) -> None:
    job = start(w)
    w.fault(f"/v1/fine_tuning/jobs/{job['id']}", status=429, code="insufficient_quota")
    event = wait(_watch(w, job), w.client, sleep=w.sleep)
    assert event.outcome is Outcome.ERROR and w.now == 1_700_000_000.0  # no pause: no poll can fix it


def worker_wait_rides_out_proxy_pages(w: World) -> None:
    job = start(w)
    w.fault(f"/v1/fine_tuning/jobs/{job['id']}", status=200, body="<html>", times=4)
    assert wait(_watch(w, job), w.client, sleep=w.sleep).outcome is Outcome.SUCCESS


def trigger_rides_out_a_burst_then_fires_success(w: World) -> None:
    job = start(w)
    w.emulator.advance_clock(600)
    w.fault(f"/v1/fine_tuning/jobs/{job['id']}", status=503, times=5)
    assert _trigger_wait(w, job, grace=300).outcome is Outcome.SUCCESS


def trigger_fires_one_error_for_garbage(w: World) -> None:
    job = start(w)
    w.fault(f"/v1/fine_tuning/jobs/{job['id']}", status=200, body=json.dumps([{"status": "running"}]))
    event = _trigger_wait(w, job, grace=0.02)
    assert event.outcome is Outcome.ERROR and "expected a JSON object, got list" in event.message


def _trigger_wait(w: World, job: dict, *, grace: float):
    """The trigger's wait: the async loop and client, polling every 10 ms, retries not slept."""

    async def no_wait(seconds: float) -> None:
        return None

    async def main():
        client = AsyncOpenAIClient(w.client.config, sleep=no_wait)
        try:
            return await await_job(Watch(FINE_TUNE, job["id"], WaitPolicy(0.01, None, grace)), client)
        finally:
            await client.aclose()

    return asyncio.run(main())


MATRIX: list[Callable[[World], None]] = [
    read_recovers_from_a_burst_of_5xx,
    read_fails_on_persistent_5xx_after_its_budget,
    read_waits_as_a_429_asks,
    read_stops_at_insufficient_quota,
    read_survives_a_dropped_connection,
    read_rides_out_a_proxy_page,
    read_reports_a_lasting_proxy_page_as_our_error,
    read_fails_when_the_server_is_down,
    create_is_not_resent_after_a_dropped_connection,
    create_whose_answer_was_lost_is_found_by_its_tag,
    create_is_retried_after_a_5xx_answer,
    upload_whose_answer_was_lost_is_adopted,
    upload_cut_before_the_server_is_sent_again,
    delete_whose_answer_was_lost_is_done,
    stream_cut_midway_is_an_error_not_an_answer,
    worker_wait_rides_out_an_outage,
    worker_wait_ends_past_its_grace_naming_the_cause,
    worker_wait_ends_at_once_on_quota,
    worker_wait_rides_out_proxy_pages,
    trigger_rides_out_a_burst_then_fires_success,
    trigger_fires_one_error_for_garbage,
]


@pytest.mark.parametrize("cell", MATRIX, ids=lambda cell: cell.__name__)
def test_fault_matrix(world, cell):
    cell(world)
