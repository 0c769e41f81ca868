"""A job's progress as task-log lines: each new event once, in order, and its state when it changes."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.jobs.kinds import JobKind

MAX_EVENTS_PER_POLL = 2_000  # events reported per poll at most; older ones are counted, not listed
EVENT_PAGE_SIZE = 100


class NewEvents:
    """A job's events newer than the last one reported, gathered page by page.

    Today's APIs list events newest first, so pages are read until the last reported
    event appears (everything before it is new); the 2023 fine-tunes API listed them
    oldest first, in one page. The list's own order is trusted, as event timestamps are
    whole seconds, too coarse to sort by.
    """

    def __init__(
        self, last_event_id: str | None, *, newest_first: bool = True, max_events: int = MAX_EVENTS_PER_POLL
    ) -> None:
        self.last_event_id = last_event_id
        self.newest_first = newest_first
        self.max_events = max_events
        self.found: list[dict[str, Any]] = []
        self.truncated = False  # more new events than max_events: the oldest are not listed

    def take(self, items: list[dict[str, Any]]) -> bool:
        """Add one page; whether the next page is needed too."""
        if not self.newest_first:
            ids = [item.get("id") for item in items]
            new = items[ids.index(self.last_event_id) + 1 :] if self.last_event_id in ids else items
            self.truncated = len(new) > self.max_events
            self.found = new[-self.max_events :]
            return False
        for item in items:
            if self.last_event_id is not None and item.get("id") == self.last_event_id:
                return False
            if len(self.found) >= self.max_events:
                self.truncated = True
                return False
            self.found.append(item)
        return True

    def oldest_first(self) -> list[dict[str, Any]]:
        return list(reversed(self.found)) if self.newest_first else list(self.found)


class ProgressLog:
    """Logs each new event of one job once, and the job's state when it changes."""

    def __init__(self, kind: JobKind, log: Any, last_event_id: str | None = None) -> None:
        self.kind = kind
        self.log = log
        self.last_event_id = last_event_id
        self._last_state: str | None = None

    def report(self, job: dict[str, Any], events: NewEvents | None = None) -> None:
        if events is not None:
            if events.truncated:
                self.log.info(
                    "[%s] more than %d new events; the earlier ones are not shown", job.get("id"), events.max_events
                )
            for event in events.oldest_first():
                self.log.info("[%s] %s", job.get("id"), self.kind.describe_event(event))
                if isinstance(event.get("id"), str):
                    self.last_event_id = event["id"]
        state = self.kind.describe(job)
        if state != self._last_state:
            self.log.info("%s", state)
            self._last_state = state
