"""Benchmarks: each file runs as a script (`python bench/NAME.py --help`); a package so that
mypy checks them as bench.NAME, alongside the packages they call."""
