"""Fuzzing retrotrack: mutators for FIT and GPX files and a bounded, forking harness.

`fuzz/run.py` is the long run; `tests/test_fuzz.py` replays a short, fixed run
and every saved regression in the default test suite.
"""
