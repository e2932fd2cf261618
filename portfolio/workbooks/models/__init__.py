"""Workbook models: one row per pilot and phase, structured lists as real rows.

Imported by `portfolio.models` so Django registers them under the `portfolio` app.
List rows point at the pilot directly (not at the workbook row) so a list can be filled
before the workbook's own fields are, and so the metrics worker can read thresholds of
many pilots in one query.
"""

from portfolio.workbooks.models.base import EvidenceFile, describe
from portfolio.workbooks.models.data import (
    DataSource,
    DataWorkbook,
    ExtractionMethod,
    ManualStep,
    ValidationLayer,
    ValidationLayerKind,
    ValidationStatus,
)
from portfolio.workbooks.models.deployment import (
    DeploymentWorkbook,
    RollbackAction,
    RollbackTrigger,
    RolloutStep,
    TestCategory,
    TestResult,
    TestStatus,
)
from portfolio.workbooks.models.operations import (
    MonitoredMetric,
    MonitoringWorkbook,
    OperationsWorkbook,
    ReviewCadence,
    Runbook,
    RunbookScenario,
)
from portfolio.workbooks.models.strategy import (
    StopAction,
    StopCondition,
    StrategyWorkbook,
    SuccessMetric,
)

__all__ = [
    "describe",
    "DataSource",
    "DataWorkbook",
    "DeploymentWorkbook",
    "EvidenceFile",
    "ExtractionMethod",
    "ManualStep",
    "MonitoredMetric",
    "MonitoringWorkbook",
    "OperationsWorkbook",
    "ReviewCadence",
    "RollbackAction",
    "RollbackTrigger",
    "RolloutStep",
    "Runbook",
    "RunbookScenario",
    "StopAction",
    "StopCondition",
    "StrategyWorkbook",
    "SuccessMetric",
    "TestCategory",
    "TestResult",
    "TestStatus",
    "ValidationLayer",
    "ValidationLayerKind",
    "ValidationStatus",
]
