"""The emulated endpoints, one module per API family, listed in ``FAMILIES``.

A family module has ``ROUTES``, a tuple of :class:`~airflow_provider_openai_adv.testing.routing.Route`
under ``/v1`` (key, faults, limits and journal apply), and may have ``PUBLIC_ROUTES``:
full paths served without a key, for URLs its answers hand out (image downloads).
A family's state is a store class, got with ``request.state.store(TheStore)``: in the
routes module when only its routes use it (``ImageStore``), in ``testing/<family>.py``
when other families use it too (files, models, fine-tuning), or when its logic outweighs
its routes (batches, uploads).
"""

from airflow_provider_openai_adv.testing.routes import (
    audio,
    batches,
    chat,
    completions,
    conversations,
    edits,
    embeddings,
    engines,
    files,
    fine_tuning,
    images,
    models,
    moderations,
    responses,
    uploads,
)

FAMILIES = (
    models,
    chat,
    completions,
    responses,
    conversations,
    edits,
    embeddings,
    moderations,
    images,
    audio,
    files,
    uploads,
    batches,
    fine_tuning,
    engines,
)
