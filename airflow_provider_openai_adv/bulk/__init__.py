"""Bulk work: rows in, one request per row, results joined back to the rows.

What the Batch API operator and the direct bulk operator share, so both read the same
inputs and write the same outputs:

* :mod:`.rows` — the input: a list, or a JSONL, CSV or Parquet file (local or object
  storage), read a row at a time; each row's ``custom_id``;
* :mod:`.template` — the request: the endpoint and a body whose ``{column}``
  placeholders take each row's values;
* :mod:`.results` — the output: every result indexed on disk, then written one per input
  row, in input order, to JSONL or Parquet; the counts and the summed usage.

Memory stays flat whatever the number of rows: rows stream in, results stream out, and
what must be looked up (a result by ``custom_id``) is looked up in SQLite on disk.
Object storage is reached through ``hooks.storage`` (Airflow's ``ObjectStoragePath``).
"""
