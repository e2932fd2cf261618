from tests.gates.conftest import high_risk_pilot, ready_pilot, simple_gates  # noqa: F401
