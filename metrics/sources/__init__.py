"""Metric sources: the pull connectors' configuration, pages, API and health reads."""
