"""What the EU AI Act profile adds to a pilot's gate: contributed through gates.extensions.

Three kinds of criterion, all evaluated by the pure gate engine:
- the profile's newest version is confirmed by a governance lead (a statement);
- no prohibited practice (a statement no waiver covers: a prohibited result blocks every gate);
- one criterion per applicable obligation, checked on the evidence it names (a workbook field
  or list, or a checklist item). It is mandatory from the gate the catalogue names and once its
  date has come; before that it shows as advisory, so the owner sees what is coming.
"""

from __future__ import annotations

from django.utils import timezone

from gates import engine
from gates.checklists import CHECKLISTS
from portfolio.workbooks.spec import SPECS
from regulation import selectors
from regulation.models import EvidenceKind, Obligation, Profile
from regulation.questions import CLASSIFICATIONS

PROFILE_KEY = "eu_ai_act_profile_confirmed"
PROHIBITED_KEY = "eu_ai_act_no_prohibited_practice"
STAGE_LABELS = {"pilot": "Pilot", "readiness": "Readiness", "scale": "Scale"}


def criteria_for(*, pilot, gate) -> list[engine.Criterion]:
    """The gates.extensions provider: nothing until the pilot has a profile."""
    profile = selectors.current_profile(pilot)
    if profile is None:
        return []
    criteria = [profile_criterion(profile), prohibited_criterion(profile)]
    obligations = selectors.catalogue_obligations(selectors.current_catalogue())
    today = timezone.localdate()
    criteria += [
        obligation_criterion(o, to_stage=gate.to_stage, today=today)
        for o in selectors.profile_obligations(profile, obligations)
    ]
    return criteria


def profile_criterion(profile: Profile) -> engine.Criterion:
    said = f"version {profile.version} ({CLASSIFICATIONS[profile.classification]}"
    said += f"; {profile.role_labels})" if profile.roles else ")"
    if profile.confirmed:
        lead = profile.confirmed_by
        by = (lead.get_full_name() or lead.get_username()) if lead else "a lead"
        holds = f"Profile {said} confirmed by {by} on {profile.confirmed_at:%d %b %Y}"
    else:
        holds = ""
    return engine.Criterion(
        key=PROFILE_KEY,
        kind=engine.STATEMENT,
        label="EU AI Act profile confirmed by a governance lead",
        params={
            "holds": profile.confirmed,
            "pass_reason": holds,
            "fail_reason": f"Profile {said} awaits a governance lead's confirmation",
        },
    )


def prohibited_criterion(profile: Profile) -> engine.Criterion:
    found = [c for c in profile.conclusions if c.get("topic") == "Prohibited practice"]
    cited = "; ".join(f"{', '.join(c['articles'])}: {c['text'].split('.')[0]}" for c in found)
    return engine.Criterion(
        key=PROHIBITED_KEY,
        kind=engine.STATEMENT,
        label="No practice the EU AI Act prohibits (Art. 5)",
        params={
            "holds": not found,
            "pass_reason": f"Profile version {profile.version} finds no prohibited practice",
            "fail_reason": f"Profile version {profile.version} finds a prohibited practice "
            f"({cited}); the pilot cannot pass any gate and no waiver covers this",
            "waivable": False,
        },
    )


def evidence_label(obligation: Obligation) -> str:
    """The evidence an obligation asks for, as a person reads it."""
    kind, source, name = (
        obligation.evidence_kind,
        obligation.evidence_source,
        obligation.evidence_name,
    )
    if kind in (EvidenceKind.WORKBOOK_FIELD, EvidenceKind.WORKBOOK_LIST) and source in SPECS:
        spec = SPECS[source]
        if kind == EvidenceKind.WORKBOOK_FIELD:
            try:
                return f"{spec.title} workbook: {spec.label(name).lower()}"
            except Exception:  # noqa: BLE001 - a field the catalogue names but the spec lost
                return f"{spec.title} workbook: {engine.humanize(name)}"
        try:
            return f"{spec.title} workbook: at least one of the {spec.list_spec(name).label}"
        except KeyError:
            return f"{spec.title} workbook: {engine.humanize(name)}"
    if kind == EvidenceKind.CHECKLIST_ITEM and source in CHECKLISTS:
        checklist = CHECKLISTS[source]
        for section, item in checklist.items():
            if item.key == name:
                return f"{checklist.title}, {section.title}: “{item.text}” in place"
    if kind == EvidenceKind.MANUAL:
        return "Checked by a governance lead"
    return f"{engine.humanize(kind).capitalize()}: {source} {name}".strip()


def obligation_criterion(obligation: Obligation, *, to_stage: str, today) -> engine.Criterion:
    due_here = engine.STAGES.index(to_stage) >= engine.STAGES.index(obligation.gate)
    applies = selectors.in_force(obligation, today)
    manual = obligation.evidence_kind == EvidenceKind.MANUAL
    label = f"{obligation.article} {obligation.title}"
    notes = []
    if not due_here:
        notes.append(f"required from the {STAGE_LABELS.get(obligation.gate, obligation.gate)} gate")
    if not applies:
        notes.append(f"applies from {obligation.applies_from:%d %b %Y}")
    if manual:
        notes.append("checked by hand")
    if notes:
        label += f" ({'; '.join(notes)})"
    return engine.Criterion(
        key=obligation.criterion_key(),
        label=label,
        mandatory=due_here and applies and not manual,
        **_check_of(obligation),
    )


def _check_of(obligation: Obligation) -> dict:
    kind, source, name = (
        obligation.evidence_kind,
        obligation.evidence_source,
        obligation.evidence_name,
    )
    if kind == EvidenceKind.WORKBOOK_FIELD:
        return {"kind": engine.FIELD_PRESENT, "params": {"phase": source, "field": name}}
    if kind == EvidenceKind.WORKBOOK_LIST:
        return {"kind": engine.LIST_MIN_ROWS, "params": {"phase": source, "list": name, "min": 1}}
    if kind == EvidenceKind.CHECKLIST_ITEM:
        return {
            "kind": engine.FIELD_PRESENT,
            "params": {
                "phase": f"checklist_{source}",
                "field": name,
                "subject": evidence_label(obligation).removesuffix(" in place"),
                "filled": "is in place",
                "unfilled": "is not in place yet",
            },
        }
    return {
        "kind": engine.STATEMENT,
        "params": {
            "holds": False,
            "pass_reason": "",
            "fail_reason": "The product holds no evidence for this yet; a governance lead "
            "checks it by hand",
        },
    }
