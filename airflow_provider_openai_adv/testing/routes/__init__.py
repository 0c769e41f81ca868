"""The emulated endpoints, one module per API family; importing this registers them."""

from airflow_provider_openai_adv.testing.http import Router

ROUTER = Router()

from airflow_provider_openai_adv.testing.routes import chat, embeddings, files, models  # noqa: E402, F401
