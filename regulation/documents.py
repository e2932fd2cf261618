"""Drafts assembled from the profile and the workbooks: the Annex IV technical documentation
and the Art. 27 fundamental-rights impact assessment. Each names what is still missing.

HTML, Markdown and PDF, as the decision memo (portfolio/workbooks/memo.py, config/pdf.py).
Drafts only: they gather what Pilotgate holds, people complete and sign them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils.text import slugify

from gates.checklists import CHECKLISTS
from gates.collect import pilot_facts
from portfolio.workbooks.memo import md_escape
from portfolio.workbooks.spec import SPECS
from regulation import selectors
from regulation.questions import CLASSIFICATIONS

MISSING = "Missing"


@dataclass(frozen=True)
class Item:
    label: str
    text: str | None  # None: still missing
    source: str  # where it comes from, or where to fill it in

    @property
    def missing(self) -> bool:
        return self.text is None


@dataclass(frozen=True)
class Section:
    heading: str
    cites: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Document:
    kind: str
    title: str
    pilot_name: str
    business_unit: str
    generated_on: str
    profile_line: str
    catalogue_version: int | None
    sections: tuple[Section, ...]

    @property
    def missing(self) -> list[tuple[str, Item]]:
        return [(s.heading, i) for s in self.sections for i in s.items if i.missing]

    @property
    def filename(self) -> str:
        return f"{slugify(self.pilot_name) or 'pilot'}-{self.kind}"


KINDS = {
    "annex-iv": "Technical documentation (Annex IV) draft",
    "fria": "Fundamental-rights impact assessment (Art. 27) draft",
}


class _Facts:
    """Reads workbook fields and lists and checklist items as plain text or None."""

    def __init__(self, workbooks: Mapping):
        self.workbooks = workbooks

    def field(self, phase: str, name: str) -> Item:
        spec = SPECS[phase]
        facts = self.workbooks.get(phase)
        value = facts.fields.get(name) if facts is not None else None
        text = (
            None if value in (None, "") or (isinstance(value, str) and not value.strip()) else value
        )
        if isinstance(text, bool):
            text = "Yes" if text else "No"
        return Item(
            spec.label(name).capitalize(),
            None if text is None else str(text),
            f"{spec.title} workbook",
        )

    def rows(self, phase: str, name: str) -> Item:
        spec = SPECS[phase]
        facts = self.workbooks.get(phase)
        count = int(facts.lists.get(name, 0)) if facts is not None else 0
        listed = spec.list_spec(name)
        text = (
            f"{count:,} {listed.label if count != 1 else listed.row_label} recorded"
            if count
            else None
        )
        return Item(listed.label.capitalize(), text, f"{spec.title} workbook")

    def checklist(self, slug: str, key: str) -> Item:
        checklist = CHECKLISTS[slug]
        facts = self.workbooks.get(checklist.phase)
        done = bool(facts and facts.fields.get(key))
        text = next(i.text for _, i in checklist.items() if i.key == key)
        return Item(text, "In place" if done else None, checklist.title)


def build(pilot, kind: str, *, now: datetime) -> Document:
    if kind not in KINDS:
        raise KeyError(kind)
    profile = selectors.current_profile(pilot)
    catalogue = selectors.current_catalogue()
    facts = _Facts(pilot_facts(pilot, now=now, criteria=[]).workbooks)
    if profile is None:
        line = "No EU AI Act profile yet: answer it first."
    else:
        state = "confirmed" if profile.confirmed else "not yet confirmed"
        line = (
            f"Profile version {profile.version} ({state}): "
            f"{CLASSIFICATIONS[profile.classification]}; {profile.role_labels or 'no role'}"
        )
    sections = (
        _annex_iv(pilot, profile, facts) if kind == "annex-iv" else _fria(pilot, profile, facts)
    )
    return Document(
        kind=kind,
        title=KINDS[kind],
        pilot_name=pilot.name,
        business_unit=pilot.business_unit,
        generated_on=f"{now:%d %b %Y}",
        profile_line=line,
        catalogue_version=catalogue.number if catalogue else None,
        sections=sections,
    )


def _conclusions(profile) -> Item:
    if profile is None:
        return Item("Classification and role", None, "EU AI Act profile")
    text = "\n".join(
        f"{c['topic']}: {c['text']} ({', '.join(c['articles'])})" for c in profile.conclusions
    )
    return Item("Classification and role", text, "EU AI Act profile")


def _annex_iv(pilot, profile, f: _Facts) -> tuple[Section, ...]:
    history = None
    if profile is not None:
        versions = selectors.profile_history(pilot)
        history = "; ".join(
            f"v{p.version} {p.created_at:%d %b %Y} {CLASSIFICATIONS[p.classification]}"
            for p in versions
        )
    return (
        Section(
            "1. General description of the system",
            "Annex IV point 1",
            (
                f.field("strategy", "business_problem"),
                f.field("strategy", "target_workflow"),
                f.field("strategy", "decision_improved"),
                _conclusions(profile),
            ),
        ),
        Section(
            "2. How it was developed: data, design and testing",
            "Annex IV point 2; Art. 10",
            (
                f.rows("data", "data_sources"),
                f.field("data", "bias_review"),
                f.rows("data", "validation_layers"),
                f.rows("deployment", "test_results"),
            ),
        ),
        Section(
            "3. Monitoring, functioning and control",
            "Annex IV point 3; Art. 14",
            (
                f.field("operations", "kill_switch_owner"),
                f.field("operations", "escalation_path"),
                f.field("deployment", "fallback"),
            ),
        ),
        Section(
            "4. Performance metrics and why they fit",
            "Annex IV point 4; Art. 15",
            (f.rows("strategy", "success_metrics"), f.checklist("nist_ai_rmf", "measure_2")),
        ),
        Section(
            "5. Risk management system",
            "Annex IV point 5; Art. 9",
            (f.field("strategy", "primary_risk"), f.checklist("nist_ai_rmf", "manage_1")),
        ),
        Section(
            "6. Changes over the lifecycle",
            "Annex IV point 6",
            (Item("Profile versions", history, "EU AI Act profile"),),
        ),
        Section(
            "7. Standards and specifications applied",
            "Annex IV point 7; Art. 40",
            (f.checklist("nist_ai_rmf", "govern_1"),),
        ),
        Section(
            "8. EU declaration of conformity",
            "Annex IV point 8; Art. 47",
            (Item("Declaration of conformity", None, "outside Pilotgate: attach it"),),
        ),
        Section(
            "9. Post-market monitoring plan",
            "Annex IV point 9; Art. 72",
            (f.rows("monitoring", "monitored_metrics"), f.field("operations", "review_cadence")),
        ),
    )


def _fria(pilot, profile, f: _Facts) -> tuple[Section, ...]:
    return (
        Section("Scope", "Art. 27(1)", (_conclusions(profile),)),
        Section(
            "(a) The processes the system is used in",
            "Art. 27(1)(a)",
            (f.field("strategy", "target_workflow"), f.field("strategy", "decision_improved")),
        ),
        Section(
            "(b) When and how often it is used",
            "Art. 27(1)(b)",
            (f.field("deployment", "rollout_user_group"), f.field("strategy", "annual_volume")),
        ),
        Section(
            "(c) The people and groups likely to be affected",
            "Art. 27(1)(c)",
            (f.checklist("nist_ai_rmf", "map_5"),),
        ),
        Section(
            "(d) The specific risks of harm to them",
            "Art. 27(1)(d)",
            (f.field("strategy", "primary_risk"), f.field("data", "bias_review")),
        ),
        Section(
            "(e) Human oversight",
            "Art. 27(1)(e); Art. 14",
            (f.field("operations", "kill_switch_owner"), f.rows("operations", "runbooks")),
        ),
        Section(
            "(f) What is done when a risk materialises, and how people complain",
            "Art. 27(1)(f)",
            (f.field("operations", "escalation_path"), f.checklist("nist_ai_rmf", "govern_5")),
        ),
    )


def to_markdown(doc: Document) -> str:
    lines = [
        f"# {doc.title}: {md_escape(doc.pilot_name)}",
        "",
        f"{md_escape(doc.business_unit)} · {doc.generated_on} · {md_escape(doc.profile_line)} · "
        f"obligations catalogue version {doc.catalogue_version or '-'}",
        "",
        "_Not legal advice: a draft assembled from what Pilotgate holds; people complete and "
        "sign the document._",
        "",
    ]
    for section in doc.sections:
        lines += [f"## {section.heading}", "", f"_{section.cites}_", ""]
        for item in section.items:
            shown = f"**{MISSING}** ({item.source})"
            text = md_escape(item.text) if item.text is not None else shown
            lines.append(f"- **{md_escape(item.label)}:** {text}")
        lines.append("")
    lines += ["## Still missing", ""]
    lines += [f"- {h}: {md_escape(i.label)} ({i.source})" for h, i in doc.missing] or ["- Nothing"]
    return "\n".join(lines) + "\n"
