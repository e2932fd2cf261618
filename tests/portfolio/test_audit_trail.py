"""The audit trail reads as field-level changes with labels and formatted values."""

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from portfolio.audit_trail import describe_events
from portfolio.workbooks import services as workbooks
from tests.factories import PilotFactory

NAMES = {"hallucination_rate": "Hallucination rate", "adoption_rate": "Adoption rate"}


def _event(action, before, after, object_type="portfolio.pilot"):
    return AuditEvent(action=action, before=before, after=after, object_type=object_type)


def _lines(entry):
    return [(c.label, c.before, c.after, c.kind) for c in entry.changes]


def test_workbook_update_names_each_field_with_its_label_and_formatted_values():
    (entry,) = describe_events(
        [
            _event(
                "workbook.update",
                {"phase": "strategy", "annual_volume": "55000", "kpi": "", "business_owner": None},
                {
                    "phase": "strategy",
                    "annual_volume": "60000.50",
                    "kpi": "Cycle time",
                    "business_owner": None,
                },
                "portfolio.strategyworkbook",
            )
        ],
        metric_names=NAMES,
    )
    assert entry.summary == "Strategy and success definition workbook updated"
    assert _lines(entry) == [
        ("Annual volume at production", "55,000", "60,000.5", "changed"),
        ("Tracked KPI", "—", "Cycle time", "set"),
    ]  # the business owner did not change, so it is not listed


def test_list_changes_read_as_rows_added_and_removed_with_metric_names():
    kept = {"metric": "adoption_rate", "baseline": 10.0, "target": 40.0}
    gone = {"metric": "hallucination_rate", "baseline": 6.0, "target": 2.0}
    new = {"metric": "hallucination_rate", "baseline": 6.0, "target": 1.5}
    (entry,) = describe_events(
        [
            _event(
                "workbook.update",
                {"phase": "strategy", "success_metrics": [kept, gone]},
                {"phase": "strategy", "success_metrics": [kept, new]},
            )
        ],
        metric_names=NAMES,
    )
    kinds = {(c.kind, c.label) for c in entry.changes}
    assert kinds == {("row removed", "Success metrics"), ("row added", "Success metrics")}
    removed = next(c for c in entry.changes if c.kind == "row removed")
    added = next(c for c in entry.changes if c.kind == "row added")
    assert "Hallucination rate" in removed.before and "Target" in removed.before
    assert removed.before.endswith("2") and added.after.endswith("1.5")
    assert "adoption" not in removed.before.lower() + added.after.lower()


def test_enums_booleans_dates_and_missing_values_are_never_shown_raw():
    entries = describe_events(
        [
            _event(
                "pilot.transition",
                {"stage": "discovery", "status": "active"},
                {"stage": "pilot", "status": "on_hold", "reason": "Harden first"},
            ),
            _event("pilot.create", {}, {"confidential": False, "risk_tier": "high", "summary": ""}),
            _event(
                "waiver.grant",
                {},
                {"expires_at": "2026-12-12T04:44:51.068289+01:00"},
                "gates.waiver",
            ),
            _event(
                "review.decide",
                {"status": "pending"},
                {"status": "approved", "decision": "approve_with_conditions"},
                "gates.review",
            ),
            _event("pilot_role.remove", {"role": "operations_lead", "user": "oscar"}, {}),
        ],
        metric_names=NAMES,
    )
    text = " ".join(
        f"{e.summary} " + " ".join(f"{c.label} {c.before} {c.after}" for c in e.changes)
        for e in entries
    )
    for raw in (
        "on_hold",
        "None",
        "True",
        "False",
        "approve_with_conditions",
        "operations_lead",
        "{",
        "T04:44",
    ):
        assert raw not in text
    assert "Stage: Discovery → Pilot" in [
        f"{c.label}: {c.before} → {c.after}" for c in entries[0].changes
    ]
    assert ("Confidential", "—", "No", "set") in _lines(entries[1])
    assert entries[2].changes[0].after == "2026-12-12 03:44 UTC"
    assert entries[4].summary == "Operations lead removed"
    assert _lines(entries[4]) == [("Person", "oscar", "—", "cleared")]


def test_values_written_another_way_and_empty_lists_are_not_changes():
    (entry,) = describe_events(
        [
            _event(
                "review.request",
                {"expected_annual_benefit": "175000"},
                {"expected_annual_benefit": "175000.00", "waived": [], "to_stage": "pilot"},
            )
        ],
        metric_names={},
    )
    assert _lines(entry) == [("To stage", "—", "Pilot", "set")]


def test_unknown_actions_and_keys_are_humanized():
    (entry,) = describe_events(
        [_event("something.new_thing", {}, {"odd_key": 12345678})], metric_names={}
    )
    assert entry.summary == "Something new thing"
    assert _lines(entry) == [("Odd key", "—", "12,345,678", "set")]


@pytest.mark.django_db
def test_pilot_page_shows_the_trail_in_plain_language(owner, client_for):
    pilot = PilotFactory(name="Claims triage", business_unit="Claims")
    pilot.roles.create(user=owner, role="business_owner")
    workbooks.workbook_save(
        pilot=pilot,
        phase="strategy",
        by=owner,
        data={"annual_volume": "100000", "kpi": "Cycle time"},
    )
    workbooks.workbook_save(
        pilot=pilot, phase="strategy", by=owner, data={"annual_volume": "120000"}
    )
    page = client_for(owner).get(reverse("portfolio:pilot_detail", args=[pilot.pk]))
    audit = page.content.decode().split('id="audit"', 1)[1]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", audit))
    assert "Annual volume at production: 100,000 → 120,000" in text
    assert "Strategy and success definition workbook updated" in text
    assert "{" not in text and "None" not in text and "workbook.update" not in text
