"""Benchmarks: `make bench` (never part of the test suite). Figures go in the README."""
