"""Fine-tuning jobs: one store for both API generations, a state machine on the emulator clock.

A job walks ``validating_files → queued → running → succeeded | failed | cancelled``.
Nothing runs in the background: whenever a job is read, :meth:`FineTuningStore.refresh`
replays every transition and training step the emulator clock has reached since, so
tests move jobs with ``advance_clock`` instead of sleeping. Each training step emits a
``metrics`` event and a job has ``ceil(examples / batch_size) * n_epochs`` steps, so a
job's hyperparameters set how many events one poll can find (hundreds, if asked).

Both API generations share the store, the state machine and the models it creates: a
job made through ``/fine_tuning/jobs`` has an ``ftjob-`` id, one made through the
legacy ``/fine-tunes`` an ``ft-`` id, and each API lists and serves only its own jobs,
in its own shape (see ``routes/fine_tuning.py``).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.files import FileStore
from airflow_provider_openai_adv.testing.models import ModelStore
from airflow_provider_openai_adv.testing.state import Store, new_id

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.state import EmulatorState

ORG = "emulator"  # the organisation in fine-tuned model names
ORGANIZATION_ID = "org-emulator"
CHAT_BASES = ("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "gpt-4o", "gpt-4.1-mini", "gpt-4.1", "gpt-3.5-turbo")
COMPLETION_BASES = ("davinci-002", "babbage-002")
LEGACY_BASES = ("ada", "babbage", "curie", "davinci")  # the 2023 API's base models: prompt/completion data
TERMINAL = ("succeeded", "failed", "cancelled")
MIN_EXAMPLES = 10
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool")
KEPT_CHECKPOINTS = 3  # OpenAI keeps the checkpoints of the last three epochs
AUTO_EPOCHS = 3
AUTO_LEARNING_RATE = 2.0


@dataclass(frozen=True)
class FineTuneTimings:
    """Seconds of emulator clock a job spends in each non-terminal status."""

    validating: float = 1.0
    queued: float = 1.0
    running: float = 3.0


class InvalidTrainingData(ValueError):
    """A training or validation file fine-tuning cannot use; the message says where and why."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class TrainingData:
    """What a job learns from a file: its examples' count, tokens and prompt → reply pairs."""

    examples: int
    tokens: int
    replies: dict[str, str]


@dataclass
class FineTuneJob:
    id: str
    legacy: bool  # made through /fine-tunes, so served only there
    model: str
    base: str  # the base model at the root, also for a fine-tuned model fine-tuned again
    data_format: str  # chat | completion | preference | reinforcement
    training_file: str
    validation_file: str | None
    created_at: float
    timings: FineTuneTimings
    method: dict[str, Any]  # {"type": ..., type: {"hyperparameters": {...}, ...}}, "auto" until validated
    seed: int
    suffix: str | None = None
    metadata: dict[str, str] | None = None
    integrations: list[dict[str, Any]] | None = None
    legacy_params: dict[str, Any] = field(default_factory=dict)  # prompt_loss_weight, classification_*
    file_objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # as created: the legacy shape lists them
    status: str = "validating_files"
    changed_at: float = 0.0  # when the job entered its status
    events: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    replies: dict[str, str] = field(default_factory=dict)
    tokens_per_epoch: int = 0
    steps_per_epoch: int = 0
    steps_done: int = 0
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    trained_tokens: int | None = None
    error: dict[str, Any] | None = None
    result_files: list[str] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)  # oldest first

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return self.method[self.method["type"]]["hyperparameters"]

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.hyperparameters["n_epochs"] if self.steps_per_epoch else 0

    @property
    def estimated_finish(self) -> int | None:
        return int(self.changed_at + self.timings.running) if self.status == "running" else None

    def step_metrics(self, step: int) -> dict[str, float]:
        """Step ``step``'s metrics: loss falling and accuracy rising, jittered by the seed."""
        progress = step / self.total_steps
        jitter = synth.stable_int(self.seed, step) % 1000 / 1000 - 0.5
        loss = round(2.2 * math.exp(-3 * progress) + 0.1 + 0.05 * jitter, 4)
        accuracy = round(min(1.0, 0.45 + 0.5 * progress + 0.02 * jitter), 4)
        metrics = {"step": step, "train_loss": loss, "train_mean_token_accuracy": accuracy}
        if self.validation_file:
            metrics |= {"valid_loss": round(loss * 1.08, 4), "valid_mean_token_accuracy": round(accuracy * 0.97, 4)}
        return metrics


class FineTuningStore(Store):
    """The emulator's fine-tuning jobs, in creation order; get it with ``state.store(FineTuningStore)``."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.timings = FineTuneTimings()  # jobs keep the timings they were created with
        self.jobs: dict[str, FineTuneJob] = {}

    def create(self, *, legacy: bool, **fields: Any) -> FineTuneJob:
        with self.state.lock:
            now = self.state.clock.now()
            job_id = new_id("ft" if legacy else "ftjob")
            job = FineTuneJob(id=job_id, legacy=legacy, created_at=now, changed_at=now, timings=self.timings, **fields)
            self.jobs[job.id] = job
            _event(job, now, f"Created fine-tuning job {job.id}; validating its files.")
            return job

    def get(self, job_id: str, *, legacy: bool) -> FineTuneJob | None:
        with self.state.lock:
            job = self.jobs.get(job_id)
            if job is None or job.legacy != legacy:
                return None
            self.refresh(job)
            return job

    def listed(self, *, legacy: bool) -> list[FineTuneJob]:
        """One generation's jobs, oldest first, brought up to the clock."""
        with self.state.lock:
            self.refresh_all()
            return [job for job in self.jobs.values() if job.legacy == legacy]

    def refresh_all(self) -> None:
        with self.state.lock:
            for job in self.jobs.values():
                self.refresh(job)

    def cancel(self, job: FineTuneJob) -> bool:
        """Cancel ``job`` unless it has already finished; whether it was cancelled."""
        with self.state.lock:
            self.refresh(job)
            if job.status in TERMINAL:
                return False
            now = self.state.clock.now()
            self._finish(job, now, "cancelled")
            _event(job, now, "The job was cancelled.")
            return True

    def refresh(self, job: FineTuneJob) -> None:
        """Replay every transition and training step the emulator clock has reached (``state.lock`` held)."""
        now = self.state.clock.now()
        while job.status not in TERMINAL:
            if job.status == "running":
                self._train(job, now)
            duration = {"validating_files": job.timings.validating, "queued": job.timings.queued}
            due = job.changed_at + duration.get(job.status, job.timings.running)
            if now < due:
                return
            if job.status == "validating_files":
                self._validate(job, due)
            elif job.status == "queued":
                job.status, job.changed_at = "running", due
                epochs = job.hyperparameters["n_epochs"]
                _event(job, due, f"Training started: {job.total_steps} steps over {epochs} epochs.")
            else:
                self._train(job, math.inf)
                self._succeed(job, due)

    def _validate(self, job: FineTuneJob, at: float) -> None:
        try:
            training = read_training_data(self.state, job.training_file, job.data_format, "training")
            if job.validation_file:
                read_training_data(self.state, job.validation_file, job.data_format, "validation")
        except InvalidTrainingData as problem:
            kind = problem.kind  # training | validation
            job.error = {"code": f"invalid_{kind}_file", "message": str(problem), "param": f"{kind}_file"}
            self._finish(job, at, "failed")
            _event(job, at, f"The job failed: {problem}", level="error")
            return
        hyperparameters = job.hyperparameters
        if hyperparameters["n_epochs"] == "auto":
            hyperparameters["n_epochs"] = AUTO_EPOCHS
        if hyperparameters["batch_size"] == "auto":  # about 0.2% of the examples, as OpenAI sizes batches
            hyperparameters["batch_size"] = max(1, min(256, round(training.examples * 0.002)))
        if hyperparameters["learning_rate_multiplier"] == "auto":
            hyperparameters["learning_rate_multiplier"] = AUTO_LEARNING_RATE
        job.replies = {**self._parent_replies(job), **training.replies}
        job.tokens_per_epoch = training.tokens
        job.steps_per_epoch = math.ceil(training.examples / hyperparameters["batch_size"])
        job.status, job.changed_at = "queued", at
        _event(job, at, f"Files validated: {training.examples} training examples. The job is queued.")

    def _parent_replies(self, job: FineTuneJob) -> dict[str, str]:
        """A fine-tuned model trained again keeps what it had learned."""
        parent = next((other for other in self.jobs.values() if other.fine_tuned_model == job.model), None)
        return dict(parent.replies) if parent else {}

    def _train(self, job: FineTuneJob, now: float) -> None:
        """Emit the metrics (and, at epoch ends, the checkpoints) of every step due by ``now``."""
        total = job.total_steps
        while job.steps_done < total:
            step = job.steps_done + 1
            at = job.changed_at + job.timings.running * step / total
            if at > now:
                return
            job.steps_done = step
            metrics = job.step_metrics(step)
            message = f"Step {step}/{total}: training loss={metrics['train_loss']:.4f}"
            _event(job, at, message, kind="metrics", data={**metrics, "total_steps": total})
            if step % job.steps_per_epoch == 0:
                epoch, epochs = step // job.steps_per_epoch, job.hyperparameters["n_epochs"]
                job.checkpoints.append({"step": step, "created_at": int(at), "id": new_id("ftckpt").replace("-", "_")})
                _event(job, at, f"Epoch {epoch}/{epochs} done; checkpoint saved at step {step}.")

    def _succeed(self, job: FineTuneJob, at: float) -> None:
        name = f"ft:{job.base}:{ORG}:{job.suffix or ''}:{job.id[-8:]}"
        results = self.state.temp_path()
        results.write_text(results_csv(job))
        stored = self.state.store(FileStore).add(
            filename="step_metrics.csv", purpose="fine-tune-results", path=results, size=results.stat().st_size
        )
        self.state.store(ModelStore).add(name, int(at), ORGANIZATION_ID)
        job.fine_tuned_model = name
        job.result_files = [stored.id]
        job.trained_tokens = job.tokens_per_epoch * job.hyperparameters["n_epochs"]
        job.checkpoints = job.checkpoints[-KEPT_CHECKPOINTS:]
        self._finish(job, at, "succeeded")
        _event(job, at, f"Fine-tuned model {name} is ready; step metrics are in {stored.id}.")
        _event(job, at, "The job succeeded.")

    @staticmethod
    def _finish(job: FineTuneJob, at: float, status: str) -> None:
        job.status, job.changed_at, job.finished_at = status, at, int(at)


def _event(
    job: FineTuneJob, at: float, message: str, *, level: str = "info", kind: str = "message", data: Any = None
) -> None:
    job.events.append(
        {
            "object": "fine_tuning.job.event",
            "id": new_id("ftevent"),
            "created_at": int(at),
            "level": level,
            "message": message,
            "type": kind,
            "data": data or {},
        }
    )


def results_csv(job: FineTuneJob) -> str:
    """The results file: one row of metrics per training step, validation columns when validated."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"])
    for step in range(1, job.total_steps + 1):
        metrics = job.step_metrics(step)
        writer.writerow(
            [
                step,
                metrics["train_loss"],
                metrics["train_mean_token_accuracy"],
                metrics.get("valid_loss", ""),
                metrics.get("valid_mean_token_accuracy", ""),
            ]
        )
    return out.getvalue()


def set_timings(state: EmulatorState, **seconds: float) -> FineTuneTimings:
    """Change how long new jobs stay validating / queued / running; ``reset()`` restores the defaults."""
    store = state.store(FineTuningStore)
    store.timings = replace(store.timings, **seconds)
    return store.timings


def fine_tunable_base(state: EmulatorState, model: str, *, legacy: bool) -> str | None:
    """The base model ``model`` fine-tunes, or ``None`` when it cannot be fine-tuned here."""
    models = state.store(ModelStore).models
    if model.startswith("ft:"):
        return model.split(":")[1] if model in models else None
    if legacy and model in LEGACY_BASES:
        return model
    return model if model in (*CHAT_BASES, *COMPLETION_BASES) and model in models else None


def data_format(base: str, method: str) -> str:
    """Which JSONL shape a job's files must have."""
    if base in CHAT_BASES:
        return {"dpo": "preference", "reinforcement": "reinforcement"}.get(method, "chat")
    return "completion"


def learned_reply(state: EmulatorState, model: str, prompt: str) -> str | None:
    """The reply fine-tuned ``model`` learned for ``prompt`` (compared ignoring spacing), if any.

    ``None`` for a model that is not (or no longer) a fine-tuned model of this emulator,
    and for a prompt its training data did not contain. Jobs are brought up to the clock
    first, so a model whose job has finished answers even if nobody has read the job yet.
    """
    store = state.store(FineTuningStore)
    with state.lock:
        store.refresh_all()
        if model not in state.store(ModelStore).models:
            return None
        job = next((job for job in store.jobs.values() if job.fine_tuned_model == model), None)
        return job.replies.get(_normalized(prompt)) if job else None


def read_training_data(state: EmulatorState, file_id: str, shape: str, kind: str) -> TrainingData:
    """Check a training (or validation) file line by line, and what it teaches."""
    stored = state.store(FileStore).files.get(file_id)
    if stored is None:
        raise InvalidTrainingData(kind, f"The {kind} file {file_id} was deleted before it could be read.")
    try:
        lines = stored.path.read_text("utf-8").splitlines()
    except UnicodeDecodeError:
        raise InvalidTrainingData(kind, f"The {kind} file {file_id} is not UTF-8 text.") from None
    examples, tokens, replies = 0, 0, {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            texts, pairs = _parse_example(shape, json.loads(line))
        except ValueError as problem:  # JSONDecodeError is a ValueError too
            reason = "it is not valid JSON" if isinstance(problem, json.JSONDecodeError) else str(problem)
            raise InvalidTrainingData(kind, f"The {kind} file {file_id} is invalid: line {number}: {reason}.") from None
        examples += 1
        tokens += sum(synth.estimate_tokens(text) for text in texts)
        replies.update(pairs)
    if examples < MIN_EXAMPLES:
        raise InvalidTrainingData(
            kind, f"The {kind} file {file_id} holds {examples} examples; fine-tuning needs at least {MIN_EXAMPLES}."
        )
    return TrainingData(examples, tokens, replies)


def _parse_example(shape: str, example: Any) -> tuple[list[str], dict[str, str]]:
    """An example's texts (for token counts) and the prompt → reply pairs it teaches."""
    if not isinstance(example, dict):
        raise ValueError("expected a JSON object")
    if shape == "completion":
        prompt, completion = example.get("prompt"), example.get("completion")
        if not isinstance(prompt, str) or not isinstance(completion, str):
            raise ValueError('expected string fields "prompt" and "completion"')
        return [prompt, completion], {_normalized(prompt): completion}
    if shape == "preference":
        given = example.get("input")
        messages = _messages(given.get("messages") if isinstance(given, dict) else None, "input.messages")
        texts = [_text(message.get("content")) for message in messages]
        replies = {}
        for key in ("preferred_output", "non_preferred_output"):
            output = _messages(example.get(key), key)
            replies[key] = next((_text(m.get("content")) for m in output if m["role"] == "assistant"), None)
            if replies[key] is None:
                raise ValueError(f'"{key}" needs an assistant message')
            texts += [_text(message.get("content")) for message in output]
        prompt = next((_text(m.get("content")) for m in reversed(messages) if m["role"] == "user"), "")
        return texts, {_normalized(prompt): replies["preferred_output"]}
    messages = _messages(example.get("messages"), "messages")
    texts = [_text(message.get("content")) for message in messages]
    if shape == "reinforcement":  # graded, not imitated: nothing to quote back
        return texts, {}
    pairs: dict[str, str] = {}
    prompt = ""
    for message in messages:
        if message["role"] == "user":
            prompt = _text(message.get("content"))
        elif message["role"] == "assistant" and message.get("weight", 1) != 0 and message.get("content"):
            pairs[_normalized(prompt)] = _text(message["content"])
    if not any(message["role"] == "assistant" for message in messages):
        raise ValueError("the conversation has no assistant message to learn from")
    return texts, pairs


def _messages(messages: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise ValueError(f'"{where}" must be a non-empty list of messages')
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in CHAT_ROLES:
            raise ValueError(f'{where}[{index}] needs a "role" among {", ".join(CHAT_ROLES)}')
        content = message.get("content")
        if not isinstance(content, (str, list)) and not (message["role"] == "assistant" and message.get("tool_calls")):
            raise ValueError(f'{where}[{index}] needs a "content"')
    return messages


def _text(content: Any) -> str:
    """The text of message content, a string or a list of parts.

    Not ``routes.chat.message_text``: importing the routes package from here would import
    ``routes/fine_tuning.py``, which imports this module, before this module is complete.
    """
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _normalized(prompt: str) -> str:
    return " ".join(prompt.split())
