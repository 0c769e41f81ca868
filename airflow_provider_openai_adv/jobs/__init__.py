"""Long-running jobs and the one engine that waits for them. No Airflow import.

Fine-tunes today; batches, uploads, eval runs, background responses and vector-store
file batches next. Each is "create, then wait for a terminal status", so the waiting is
written once:

* a **job kind** (:mod:`.kinds`) is data: its retrieve / cancel / events endpoints and a
  map from its statuses to :class:`~.kinds.JobState` (running, succeeded, failed,
  cancelled, expired), plus how its progress reads in a log;
* the **engine** (:mod:`.engine`) polls a job of any kind, in a worker or on the
  triggerer's event loop, owning the deadline, the grace period for transient errors,
  the progress log and the single :class:`~.events.WaitEvent` that ends the wait;
* that event is the one payload the trigger fires and the operator and sensor read.
"""
