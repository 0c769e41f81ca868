"""Embed a product catalogue through the Batch API, at half price, and join the vectors back.

embed (one request per product, sent as a batch; deferred while OpenAI works; the vectors
written beside each product's own columns) → related products (reads the joined file:
for each product, the nearest others by cosine similarity).

Runs against the connection ``openai_adv_default``: the emulator in tests (a batch takes
seconds there), or OpenAI with a real key (a batch finishes within 24 hours, usually
much sooner). ``OPENAI_ADV_POLL_SECONDS`` sets how often the batch is polled (default 60).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from airflow.sdk import dag, task

from airflow_provider_openai_adv.operators import OpenAIBatchOperator

CATALOGUE = str(Path(__file__).parent / "data" / "products.csv")
POLL_SECONDS = float(os.environ.get("OPENAI_ADV_POLL_SECONDS", "60"))
VECTORS = "{{ params.output_dir }}/{{ run_id | replace(':', '_') | replace('+', '_') }}/products.jsonl"


@dag(
    dag_id="openai_adv_batch_embeddings",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={"output_dir": "/tmp/openai_adv_batch_embeddings", "model": "text-embedding-3-small"},
    tags=["openai_adv", "example", "batch"],
    doc_md=__doc__,
)
def openai_adv_batch_embeddings():
    embed = OpenAIBatchOperator(
        task_id="embed",
        input=CATALOGUE,
        id_column="sku",
        endpoint="/v1/embeddings",
        body={"model": "{{ params.model }}", "input": "{name}: {description}"},
        output_path=VECTORS,
        deferrable=True,
        poll_interval=POLL_SECONDS,
        wait_timeout=24 * 3600,
    )

    @task
    def related_products(summary: dict) -> dict[str, list[str]]:
        """For each product, the two nearest others by the cosine of their embeddings."""
        import json

        from airflow_provider_openai_adv.evaluation import cosine

        with open(summary["path"]) as results:
            rows = [json.loads(line) for line in results]
        vectors = {row["sku"]: row["response"]["data"][0]["embedding"] for row in rows if row["status"] == "succeeded"}
        names = {row["sku"]: row["name"] for row in rows}
        related = {}
        for sku, vector in vectors.items():
            others = sorted((cosine(vector, other), name) for name, other in vectors.items() if name != sku)
            related[names[sku]] = [names[other] for _, other in others[-2:][::-1]]
        print(f"{summary['succeeded']} of {summary['total']} products embedded; tokens: {summary['usage']}")
        for name, nearest in related.items():
            print(f"{name:22} → {', '.join(nearest)}")
        return related

    related_products(embed.output)


openai_adv_batch_embeddings()
