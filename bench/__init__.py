"""Benchmarks (``bin/bench`` runs them all); never part of the test run."""
