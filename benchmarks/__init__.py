"""Synthetic-country generator and benchmark harness (not installed with the package)."""
