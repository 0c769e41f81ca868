"""``/v1/moderations``: a deterministic classifier driven by word lists.

A category is flagged when a word of the input starts with one of its triggers ("kill"
catches "killing"); a flagged subcategory flags its parent too. Flagged categories score
above 0.9, the others below 0.001. A string, or each string of an array, is one input
with one result; an array of ``text`` / ``image_url`` parts is one input, as on OpenAI.
The emulator does not fetch images: an image is judged by the words of its URL, and
only for the categories OpenAI applies to images. The text-moderation models predate
the ``illicit`` categories, which they answer with null.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.http import APIError, Request, Response, invalid, json_response
from airflow_provider_openai_adv.testing.routes.common import model_of_kind, optional, require
from airflow_provider_openai_adv.testing.routing import Route
from airflow_provider_openai_adv.testing.state import new_id

DEFAULT_MODEL = "omni-moderation-latest"
OMNI_PREFIX = "omni-moderation-"  # the models that read images too; the text-moderation ones do not

TRIGGERS: dict[str, tuple[str, ...]] = {
    "hate": ("subhuman", "vermin", "inferior race"),
    "hate/threatening": ("exterminate", "ethnic cleansing"),
    "harassment": ("idiot", "loser", "worthless", "pathetic"),
    "harassment/threatening": ("threaten", "watch your back"),
    "illicit": ("shoplift", "counterfeit", "launder money", "smuggl"),
    "illicit/violent": ("bomb", "explosive", "firearm"),
    "self-harm": ("suicid", "self harm"),
    "self-harm/intent": ("kill myself", "end my life"),
    "self-harm/instructions": ("overdose", "how to cut"),
    "sexual": ("sexual", "nude", "porn"),
    "sexual/minors": ("underage",),
    "violence": ("kill", "attack", "murder", "shoot", "stabb", "assault"),
    "violence/graphic": ("blood", "gore", "dismember", "mutilat"),
}
IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)


def _inputs(value: str | list[Any]) -> list[list[tuple[str, str]]]:
    """Each input as its parts, ``("text", text)`` or ``("image", url)``."""
    if isinstance(value, str):
        return [[("text", value)]]
    if not value:
        raise invalid("'input' must not be an empty array.", param="input")
    if all(isinstance(item, str) for item in value):
        return [[("text", item)] for item in value]
    parts = []
    for index, item in enumerate(value):
        kind = item.get("type") if isinstance(item, dict) else None
        image = item.get("image_url") if kind == "image_url" else None
        if kind == "text" and isinstance(item.get("text"), str):
            parts.append(("text", item["text"]))
        elif isinstance(image, dict) and isinstance(image.get("url"), str):
            parts.append(("image", image["url"]))
        else:
            raise invalid(
                f"Invalid 'input[{index}]': expected a {{type: text, text}} or {{type: image_url, image_url: {{url}}}} "
                "object (strings and objects cannot be mixed).",
                param=f"input[{index}]",
            )
    return [parts]


def _matches(text: str, trigger: str) -> bool:
    """Whether ``trigger`` (one or more words) starts at a word boundary of ``text``."""
    return f" {trigger}" in f" {text}"


def _result(parts: list[tuple[str, str]], omni: bool) -> dict[str, Any]:
    kinds = {kind for kind, _ in parts}
    texts = {kind: " ".join(" ".join(synth.words(value)) for k, value in parts if k == kind) for kind in kinds}
    categories: dict[str, bool | None] = {}
    scores: dict[str, float] = {}
    applied: dict[str, list[str]] = {}
    for category, triggers in TRIGGERS.items():
        if not omni and category.startswith("illicit"):
            categories[category], scores[category], applied[category] = None, 0.0, []
            continue
        applied[category] = [
            kind for kind in ("text", "image") if kind in kinds and (kind == "text" or category in IMAGE_CATEGORIES)
        ]
        hit = any(_matches(texts[kind], trigger) for kind in applied[category] for trigger in triggers)
        noise = synth.stable_int(category, parts) % 1000
        categories[category] = hit
        scores[category] = 0.9 + noise / 10_000 if hit else noise / 1_000_000
    for category in TRIGGERS:
        parent = category.split("/")[0]
        if parent != category and categories[category]:
            categories[parent] = True
            scores[parent] = max(scores[parent], scores[category])
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": applied,
    }


def not_a_moderation_model(model: str, kind: str) -> APIError:
    return invalid(f"The model `{model}` is not a moderation model.", param="model")


def create_moderation(request: Request) -> Response:
    body = request.json()
    inputs = _inputs(require(body, "input", (str, list)))
    model = optional(body, "model") or DEFAULT_MODEL
    model_of_kind(request, model, ("moderation",), not_a_moderation_model)
    omni = model.startswith(OMNI_PREFIX)
    if not omni and any(kind == "image" for parts in inputs for kind, _ in parts):
        raise invalid(f"The model `{model}` does not accept images; use an omni-moderation model.", param="input")
    return json_response({"id": new_id("modr"), "model": model, "results": [_result(parts, omni) for parts in inputs]})


ROUTES = (Route("POST", "/moderations", create_moderation),)
