"""Apache Airflow provider for the whole OpenAI HTTP API ("OpenAI Advanced").

Importing this package costs nothing: hooks, operators, sensors and triggers live in
their own modules and import their dependencies when they run.
"""

__version__ = "0.1.0"
