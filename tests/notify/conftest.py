"""Notification tests use the gate fixtures (a pilot ready for review, its people)."""

from tests.gates.conftest import ready_pilot, simple_gates  # noqa: F401
