"""Quickstart: one pass over the basics of the OpenAI API from Airflow.

List the models, ask a question (streamed, deltas in the task log), embed the answer,
then keep the answer as a file on OpenAI, read it back, and delete it. Runs against
the connection ``openai_adv_default``: OpenAI itself, or the emulator in ``make demo``.

The hook is imported inside the tasks, so parsing this file costs almost nothing.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task

CHAT_MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"


@dag(
    dag_id="openai_adv_quickstart",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["openai_adv", "example"],
    doc_md=__doc__,
)
def openai_adv_quickstart():
    @task
    def list_models() -> list[str]:
        from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

        return sorted(model["id"] for model in OpenAIAdvHook().get_models())

    @task
    def ask(models: list[str]) -> dict:
        from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

        if CHAT_MODEL not in models:
            raise ValueError(f"{CHAT_MODEL} is not available to this key")
        completion = OpenAIAdvHook().create_chat_completion(
            model=CHAT_MODEL,
            messages=[{"role": "user", "content": "In one sentence: why schedule data pipelines?"}],
            max_completion_tokens=60,
            stream=True,
            on_delta=lambda index, text: print(text, end="", flush=True),
        )
        print()
        return {"answer": completion["choices"][0]["message"]["content"], "usage": completion.get("usage")}

    @task
    def embed(answer: dict) -> dict:
        from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

        result = OpenAIAdvHook().create_embeddings(input=answer["answer"], model=EMBEDDING_MODEL, dimensions=256)
        return {"dimensions": len(result["data"][0]["embedding"]), "usage": result["usage"]}

    @task
    def keep_as_file(answer: dict) -> dict:
        from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

        hook = OpenAIAdvHook()
        uploaded = hook.upload_file(answer["answer"].encode(), purpose="user_data", filename="answer.txt")
        content = hook.retrieve_file_content(uploaded["id"]).decode()
        hook.delete_file(uploaded["id"])
        return {"file_id": uploaded["id"], "bytes": uploaded["bytes"], "round_trip_ok": content == answer["answer"]}

    @task
    def report(models: list[str], answer: dict, embedding: dict, stored: dict) -> dict:
        summary = {
            "models_available": len(models),
            "answer": answer["answer"],
            "chat_tokens": (answer["usage"] or {}).get("total_tokens"),
            "embedding_dimensions": embedding["dimensions"],
            "file_round_trip_ok": stored["round_trip_ok"],
        }
        for name, value in summary.items():
            print(f"{name:>22}: {value}")
        return summary

    models = list_models()
    answer = ask(models)
    report(models, answer, embed(answer), keep_as_file(answer))


openai_adv_quickstart()
