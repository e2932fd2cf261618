"""Benchmarks on PostgreSQL and Redis, run by `make bench` (their management commands)."""
