"""Responses: a store, and the state machine of background responses on the emulator clock.

The emulated model's answers are deterministic, so a response's answer is worked out when
it is created (``routes/responses.py``) and kept as its ``final`` object. A response
without ``background`` is finished at once. A background one is ``queued``, then
``in_progress``, then shows its final object (``completed``, ``incomplete`` or ``failed``)
as the emulator clock passes its timings, unless it is ``cancelled`` first. As with
batches nothing runs in the background: reading a response replays what the clock has
reached since.

A response that names a conversation adds its input and output items to it when it
finishes; conversation routes ask ``refresh_pending()`` first, so that they see the items
of background responses the clock has finished.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.testing.conversations import ConversationStore
from airflow_provider_openai_adv.testing.state import Store

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.state import EmulatorState

RUNNING = ("queued", "in_progress")
FINISHED = ("completed", "incomplete", "failed")


@dataclass(frozen=True)
class ResponseTimings:
    """Seconds of emulator clock a background response spends ``queued`` and ``in_progress``."""

    queued: float = 1.0
    in_progress: float = 2.0


@dataclass
class StoredResponse:
    final: dict[str, Any]  # the Response object once the model is done: completed, incomplete or failed
    input_items: list[dict[str, Any]]  # as ``/responses/{id}/input_items`` lists them
    context: list[dict[str, Any]]  # what the model read: earlier turns, then ``input_items``
    background: bool
    timings: ResponseTimings
    status: str
    changed_at: float  # when the response entered its status

    @property
    def id(self) -> str:
        return self.final["id"]

    def body(self) -> dict[str, Any]:
        """The Response object as it stands: the final one once finished, else without output or usage."""
        return self.final if self.status == self.final["status"] else unfinished(self.final, self.status)

    def turn(self) -> list[dict[str, Any]]:
        """The items a response continuing this one (``previous_response_id``) reads before its input."""
        return [*self.context, *self.body()["output"]]


class ResponseStore(Store):
    """The stored responses (``store`` true), by id; get it with ``state.store(ResponseStore)``."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.timings = ResponseTimings()  # background responses keep the timings they were created with
        self.responses: dict[str, StoredResponse] = {}
        self.pending: dict[str, StoredResponse] = {}  # background responses not finished yet

    def add(
        self,
        final: dict[str, Any],
        *,
        input_items: list[dict[str, Any]],
        context: list[dict[str, Any]],
        background: bool,
        stored: bool,
    ) -> StoredResponse:
        """Keep a new response (only while it runs unless ``stored``); one not in the background finishes now."""
        with self.state.lock:
            now = self.state.clock.now()
            status = "queued" if background else final["status"]
            record = StoredResponse(final, input_items, context, background, self.timings, status, now)
            if stored:
                self.responses[record.id] = record
            if background:
                self.pending[record.id] = record
            else:
                self._finish(record, now)
            return record

    def get(self, response_id: str) -> StoredResponse | None:
        with self.state.lock:
            record = self.responses.get(response_id)
            if record is not None:
                self.refresh(record)
            return record

    def delete(self, response_id: str) -> bool:
        """Forget a stored response (a background one stops); whether there was one."""
        with self.state.lock:
            self.pending.pop(response_id, None)
            return self.responses.pop(response_id, None) is not None

    def cancel(self, record: StoredResponse) -> bool:
        """Cancel a background response unless it has finished; whether it is (now) cancelled."""
        with self.state.lock:
            self.refresh(record)
            if record.status in RUNNING:
                record.status, record.changed_at = "cancelled", self.state.clock.now()
                self.pending.pop(record.id, None)
            return record.status == "cancelled"

    def refresh_pending(self) -> None:
        """Bring every unfinished background response up to the emulator clock."""
        with self.state.lock:
            for record in list(self.pending.values()):
                self.refresh(record)

    def refresh(self, record: StoredResponse) -> None:
        """Replay the status changes the emulator clock has reached (``state.lock`` held)."""
        now = self.state.clock.now()
        while record.status in RUNNING:
            wait = record.timings.queued if record.status == "queued" else record.timings.in_progress
            due = record.changed_at + wait
            if now < due:
                return
            if record.status == "queued":
                record.status, record.changed_at = "in_progress", due
            else:
                self._finish(record, due)

    def _finish(self, record: StoredResponse, at: float) -> None:
        """The model is done: the final object shows, and a conversation gets the turn's items."""
        record.status, record.changed_at = record.final["status"], at
        if record.status == "completed":
            record.final["completed_at"] = int(at)
        self.pending.pop(record.id, None)
        conversation = record.final.get("conversation")
        if conversation and record.status != "failed":
            turn = [*record.input_items, *record.final["output"]]
            self.state.store(ConversationStore).append(conversation["id"], turn)


def unfinished(final: dict[str, Any], status: str) -> dict[str, Any]:
    """A response as it is before the model is done (or once cancelled): no output, no usage.

    ``usage`` is left out rather than null: the spec's ``Response`` does not let it be null.
    """
    shown = {key: value for key, value in final.items() if key != "usage"}
    return shown | {"status": status, "completed_at": None, "error": None, "incomplete_details": None, "output": []}


def set_timings(state: EmulatorState, **seconds: float) -> ResponseTimings:
    """Change how long new background responses stay ``queued`` and ``in_progress``.

    ``reset()`` restores the defaults (1 s and 2 s).
    """
    store = state.store(ResponseStore)
    store.timings = replace(store.timings, **seconds)
    return store.timings
