"""The audit trail reads as field-level changes with labels and formatted values."""

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from dashboard.pilot_pages.audit_trail import describe_events
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


# One event of every kind a service writes for a pilot, with the payload it writes.
EVERY_EVENT = [
    ("alert.open", "metrics.alert", {}, {"metric": "hallucination_rate", "kind": "rollback",
     "observed": 9.5, "threshold": "> 5", "action": "human_review"}),
    ("alert.escalate", "metrics.alert", {"kind": "monitor", "observed": 5.5,
     "threshold": "> 4", "action": "investigate"}, {"metric": "hallucination_rate",
     "kind": "stop", "observed": 9.5, "threshold": "> 8", "action": "end"}),
    ("alert.merge", "metrics.alert", {"opened_at": "2026-12-01T10:00:00+00:00",
     "status": "open", "duplicates": [{"kind": "target", "threshold": "<= 2", "observed": 9.5,
     "status": "acknowledged", "opened_at": "2026-12-01T09:00:00+00:00"}]},
     {"opened_at": "2026-12-01T09:00:00+00:00", "status": "acknowledged", "duplicates": []}),
    ("alert.acknowledge", "metrics.alert", {"status": "open"}, {"status": "acknowledged"}),
    ("alert.resolve", "metrics.alert", {"status": "acknowledged"},
     {"status": "resolved", "note": ""}),
    ("metric_source.create", "metrics.metricsource", {}, {"name": "Prod", "kind": "http_json",
     "config": {"url": "https://x.example/m", "json_path": "data"}, "secret_set": True,
     "secret_header_name": "", "interval_minutes": 15, "enabled": False}),
    ("checklist.answer", "portfolio.pilot", {"checklist": "nist_ai_rmf", "govern_1": ""},
     {"checklist": "nist_ai_rmf", "govern_1": "partial"}),
    ("waiver.grant", "gates.waiver", {}, {"criterion_key": "technical_owner_named",
     "justification": "Named next week", "expires_at": "2026-12-12T04:44:51+00:00"}),
    ("waiver.revoke", "gates.waiver", {"criterion_key": "technical_owner_named",
     "revoked_at": None}, {"criterion_key": "technical_owner_named",
     "revoked_at": "2026-12-02T04:44:51+00:00", "reason": "Named"}),
    ("review.request", "gates.review", {}, {"from_stage": "discovery", "to_stage": "pilot",
     "criteria_version": 2, "approvals_needed": 1, "waived": ["technical_owner_named"]}),
    ("review.decide", "gates.review", {"status": "pending"}, {"decision": "redesign",
     "status": "redesign", "rationale": "x", "conditions": [], "scope_note": "",
     "redesign_to_stage": "discovery", "outcome": "back to discovery"}),
    ("review.withdraw", "gates.review", {"status": "pending"}, {"status": "withdrawn"}),
    ("metrics.csv_import", "metrics.csvimport", {}, {"file_name": "m.csv", "rows": 3,
     "stored": 2, "rejected": 1, "duplicate": 0}),
    ("admin.pilot.update", "portfolio.pilot", {"confidential": False},
     {"confidential": True}),
]  # fmt: skip


def test_every_event_kind_reads_in_words_with_no_code_or_python_value():
    entries = describe_events(
        [_event(action, before, after, kind) for action, kind, before, after in EVERY_EVENT],
        metric_names=NAMES,
    )
    for (action, *_), entry in zip(EVERY_EVENT, entries, strict=True):
        words = [entry.summary, *(f"{c.label} {c.before} {c.after}" for c in entry.changes)]
        text = " ".join(words)
        assert entry.changes, action
        assert not re.search(r"\b(None|True|False)\b|[{}\[\]]|\w_\w", text), (action, text)
    by_action = {action: entry for (action, *_), entry in zip(EVERY_EVENT, entries, strict=True)}
    assert {line[:3] for line in _lines(by_action["alert.open"])} >= {
        ("Metric", "—", "Hallucination rate"),
        ("Kind", "—", "Rollback trigger"),
        ("Recommended action", "—", "Route to human review"),
    }
    assert ("Kind", "—", "HTTP JSON", "set") in _lines(by_action["metric_source.create"])
    assert ("Waived criteria", "—", "Technical owner named", "set") in _lines(
        by_action["review.request"]
    )
    assert ("Kind", "Monitoring threshold", "Stop condition", "changed") in _lines(
        by_action["alert.escalate"]
    )
    assert by_action["checklist.answer"].summary == "NIST AI Risk Management Framework answered"
    assert _lines(by_action["checklist.answer"])[0][1:3] == ("Not yet", "Partly addressed")
    removed = [c for c in by_action["alert.merge"].changes if c.kind == "row removed"]
    assert removed and "Success target" in removed[0].before
    assert by_action["admin.pilot.update"].summary == "Changed in the admin: Pilot update"
