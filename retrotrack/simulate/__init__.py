"""Synthetic activities and races with per-second ground truth, for tests, benchmarks and demos."""
