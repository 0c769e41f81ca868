"""The emulated endpoints, one module per API family.

Importing this package imports every module in it, and each registers its routes on
``ROUTER`` with ``@ROUTER.route(method, path)`` — a new family is a new module.
"""

import importlib
import pkgutil

from airflow_provider_openai_adv.testing.http import Router

ROUTER = Router()

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "common":
        importlib.import_module(f"{__name__}.{_module.name}")
