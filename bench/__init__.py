"""Benchmarks. ``python -m bench`` runs every ``bench/<name>_bench.py`` and prints one JSON object."""
