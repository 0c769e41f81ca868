"""Fine-tuning jobs on the emulator, for the tests of everything that waits on them."""

from __future__ import annotations

import json

GOOD_EXAMPLES = [
    {"messages": [{"role": "user", "content": f"What is {i} plus {i}?"}, {"role": "assistant", "content": str(2 * i)}]}
    for i in range(12)
]


def training_jsonl(examples=GOOD_EXAMPLES) -> bytes:
    return "".join(json.dumps(example) + "\n" for example in examples).encode()


def upload_training_data(hook, examples=GOOD_EXAMPLES, *, raw: bytes | None = None) -> str:
    """Upload a chat JSONL (purpose fine-tune) as given — unchecked, so bad data reaches the server."""
    content = raw if raw is not None else training_jsonl(examples)
    return hook.upload_file(content, purpose="fine-tune", filename="train.jsonl", check_data=False)["id"]


def start_job(hook, *, raw: bytes | None = None, **params) -> dict:
    return hook.create_fine_tune(training_file=upload_training_data(hook, raw=raw), model="gpt-4o-mini", **params)
