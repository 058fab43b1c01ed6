"""Throughput and timing benchmarks of minilm; run them with ``python benchmarks/run.py``."""
