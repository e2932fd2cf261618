"""Reads of workbooks shared by pages and API."""

from __future__ import annotations

from typing import Any

from portfolio.economics import EconomicCase, EconomicInputs, economic_case
from portfolio.models import Pilot
from portfolio.workbooks import models as m
from portfolio.workbooks.evidence import evidence_fields
from portfolio.workbooks.spec import ECONOMIC_FIELDS, SPECS, PhaseSpec


def workbook_get(pilot: Pilot, phase: str):
    """The workbook row of `phase`, or an unsaved empty one (nothing is written by reading)."""
    spec = SPECS[phase]
    related = [*spec.people, *(f"{n}__uploaded_by" for n in evidence_fields(spec.model))]
    workbook = spec.model.objects.select_related(*related).filter(pilot_id=pilot.pk).first()
    return workbook or spec.model(pilot=pilot)


def list_rows(pilot: Pilot, spec: PhaseSpec) -> dict[str, list]:
    """Rows of every list of a workbook, with the people, metrics and files they name."""
    rows = {}
    for list_spec in spec.lists:
        related = [*list_spec.people]
        if "metric" in list_spec.fields:
            related.append("metric")
        if list_spec.has_evidence:
            related.append("evidence_file__uploaded_by")
        queryset = list_spec.model.objects.filter(pilot_id=pilot.pk).select_related(*related)
        rows[list_spec.name] = list(queryset)
    return rows


def economic_inputs_of(workbook) -> EconomicInputs:
    return EconomicInputs(**{name: getattr(workbook, name, None) for name in ECONOMIC_FIELDS})


def economic_case_of(workbook) -> EconomicCase:
    return economic_case(economic_inputs_of(workbook))


def economic_case_for(pilot: Pilot) -> EconomicCase:
    """The economic case of the pilot's strategy workbook (an empty case when not started)."""
    workbook = m.StrategyWorkbook.objects.filter(pilot_id=pilot.pk).first()
    return economic_case_of(workbook)


def economic_case_preview(values: dict[str, Any]) -> EconomicCase | None:
    """The case for unsaved values as the owner types; None while an input is invalid."""
    try:
        return economic_case(EconomicInputs(**{k: values.get(k) for k in ECONOMIC_FIELDS}))
    except ValueError:
        return None
