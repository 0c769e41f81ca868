"""Benchmarks behind ``make bench`` (``python -m benchmarks [NAME ...] [--quick]``).

Speed is reported as ratios of figures measured side by side in the same run, since
absolute numbers on shared 2-core machines are noise. Benchmarks print a table and write
``.bench/results.json``; they assert nothing. Each module has ``run(args) -> dict``.
"""

BENCHMARKS = ("emulator", "client", "imports", "triggers", "batches", "uploads", "bulk")
