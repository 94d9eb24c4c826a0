"""Benchmarks: each measures ours and a named reference in the same run (see docs/benchmarks.md).

Run them with `python -m bench` (all), `python -m bench roster_import` (one) or `--quick` (smoke size).
"""
