"""The label filters pages use instead of printing codes and raw dictionaries."""

from types import SimpleNamespace

from portfolio.templatetags.labels import audit_changes, result_label, stage_label, status_label


def test_codes_read_as_words():
    assert stage_label("readiness") == "Readiness"
    assert status_label("on_hold") == "On hold"
    assert result_label("missing") == "No data"
    assert stage_label("") == ""


def test_audit_changes_lists_only_the_fields_that_changed_in_words():
    event = SimpleNamespace(
        before={"status": "active", "stage": "pilot", "owners": ["olivia"]},
        after={"status": "on_hold", "stage": "pilot", "reason": "x" * 200, "flag": True},
    )
    changes = audit_changes(event)
    assert changes["more"] == 0
    rows = {field: (old, new) for field, old, new in changes["rows"]}
    assert rows["Status"] == ("Active", "On hold")
    assert "Stage" not in rows  # unchanged
    assert rows["Flag"] == ("", "yes")  # new field: no "before"
    assert rows["Owners"] == ("olivia", "—")  # removed field
    assert len(rows["Reason"][1]) == 90 and rows["Reason"][1].endswith("…")


def test_audit_changes_caps_the_rows_and_counts_the_rest():
    event = SimpleNamespace(before={}, after={f"field_{n}": n for n in range(12)})
    changes = audit_changes(event)
    assert len(changes["rows"]) == 8 and changes["more"] == 4
