"""Two scored checklists a governance lead can attach to a gate as criteria.

- `ml_test_score`: the ML Test Score rubric (Breck et al., Google, 2017): four sections of
  seven tests. A test done by hand and documented earns half a point, an automated one a
  full point; a section scores the sum of its tests and the pilot's score is its lowest
  section, because the weakest area is where production trouble starts.
- `nist_ai_rmf`: the four functions of the NIST AI Risk Management Framework 1.0 (Govern,
  Map, Measure, Manage) with their categories. Each category is addressed, partly
  addressed or not yet; a function scores the share of its categories addressed.

The item texts are our own short paraphrases, not the sources' wording.
Answers live in `ChecklistAnswer`; the engine sees them as a pseudo-workbook named
`checklist_<slug>` whose fields are True for an item in place (see `checklist_workbook_facts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gates import engine


@dataclass(frozen=True)
class Item:
    key: str
    text: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Checklist:
    slug: str
    title: str
    source: str
    sections: tuple[Section, ...]
    # answer value -> (label, points); an item is "in place" when its points are > 0.
    answers: tuple[tuple[str, str, float], ...]

    @property
    def phase(self) -> str:
        return f"checklist_{self.slug}"

    def items(self) -> list[tuple[Section, Item]]:
        return [(section, item) for section in self.sections for item in section.items]

    def points(self, status: str) -> float:
        return next((p for value, _, p in self.answers if value == status), 0.0)


def _section(key: str, title: str, *texts: str) -> Section:
    return Section(
        key=key,
        title=title,
        items=tuple(Item(f"{key}_{n}", text) for n, text in enumerate(texts, start=1)),
    )


ML_TEST_SCORE = Checklist(
    slug="ml_test_score",
    title="ML Test Score",
    source="Breck, Cai, Nielsen, Salib, Sculley: The ML Test Score (IEEE Big Data, 2017)",
    answers=(
        ("", "Not in place", 0.0),
        ("manual", "Done by hand and documented", 0.5),
        ("automated", "Automated and run regularly", 1.0),
    ),
    sections=(
        _section(
            "data",
            "Data and features",
            "What each input should look like is written down as a schema and checked",
            "Every input or feature is shown to help; useless ones are removed",
            "No input costs more (latency, money, upkeep) than it adds",
            "Inputs respect policy limits, such as banned personal data",
            "The data pipeline has privacy controls and access is limited",
            "A new input can be added and tested within days",
            "The code that prepares inputs is covered by tests",
        ),
        _section(
            "model",
            "Model and prompts",
            "Every model, prompt or configuration change is reviewed and kept in version control",
            "Offline evaluation scores are shown to track live business outcomes",
            "Settings that change behaviour (temperature, thresholds, retrieval depth) were tuned",
            "How fast quality decays with an outdated model or index is known",
            "A simpler baseline (rules, smaller model) was compared and is worse",
            "Quality is checked on the important slices of traffic, not only on average",
            "Outputs were tested for unfair treatment of groups of users",
        ),
        _section(
            "infrastructure",
            "Infrastructure",
            "A build or evaluation run can be reproduced from recorded inputs",
            "The model's or prompt's configuration is unit tested",
            "The whole pipeline from input to action is tested end to end",
            "Quality is checked automatically before a new version serves users",
            "A single bad answer can be traced back and debugged step by step",
            "New versions go to a small share of traffic first",
            "A serving version can be rolled back quickly and safely",
        ),
        _section(
            "monitoring",
            "Monitoring",
            "Changes in upstream data or vendor models trigger a notification",
            "Live inputs are checked against the expected schema",
            "Live inputs are compared with what the system was evaluated on",
            "The age of the model, prompt and index in use is watched",
            "Failures such as empty, truncated or malformed outputs are counted",
            "Latency, throughput and cost are tracked against budgets",
            "Live answer quality is sampled and tracked over time",
        ),
    ),
)

NIST_AI_RMF = Checklist(
    slug="nist_ai_rmf",
    title="NIST AI Risk Management Framework",
    source="NIST AI 100-1, Artificial Intelligence Risk Management Framework (AI RMF 1.0), 2023",
    answers=(
        ("", "Not yet", 0.0),
        ("partial", "Partly addressed", 0.5),
        ("addressed", "Addressed", 1.0),
    ),
    sections=(
        _section(
            "govern",
            "Govern",
            "Written policies say how AI risks are found, measured and handled, and they are used",
            "People know who is accountable for AI risk and are trained for it",
            "Diverse perspectives take part in risk decisions across the lifecycle",
            "Teams openly discuss and report AI risks",
            "People affected by the system, inside and outside, can give feedback that is used",
            "Risks from third-party models, data and software are covered by policy",
        ),
        _section(
            "map",
            "Map",
            "The purpose, setting and users of the system are written down",
            "The system and its tasks are classified, with known limits",
            "Expected benefits and costs are compared with the current way of working",
            "Risks of every component, including bought ones, are listed",
            "Possible impacts on people, groups and the organisation are described",
        ),
        _section(
            "measure",
            "Measure",
            "Methods and metrics for the listed risks are chosen and applied",
            "The system is tested for trustworthiness: validity, safety, fairness, privacy",
            "Risks are tracked over time once the system is live",
            "Whether the measurements themselves work is checked and improved",
        ),
        _section(
            "manage",
            "Manage",
            "Risks are ranked and each has a response: accept, reduce, transfer or avoid",
            "Plans to increase benefits and limit harm are in place and documented",
            "Risks from third parties are monitored and handled",
            "Responses, recovery and communication for incidents are written and rehearsed",
        ),
    ),
)

CHECKLISTS: dict[str, Checklist] = {c.slug: c for c in (ML_TEST_SCORE, NIST_AI_RMF)}


def section_scores(checklist: Checklist, answers: dict[str, str]) -> dict[str, float]:
    """Section key -> score. ML Test Score: points; NIST: share of categories addressed."""
    scores = {}
    for section in checklist.sections:
        points = sum(checklist.points(answers.get(item.key, "")) for item in section.items)
        if checklist is ML_TEST_SCORE:
            scores[section.key] = points
        else:
            scores[section.key] = round(points / len(section.items), 3)
    return scores


def overall_score(checklist: Checklist, answers: dict[str, str]) -> float:
    """The lowest section score: a pilot is only as ready as its weakest area."""
    return min(section_scores(checklist, answers).values())


def checklist_workbook_facts(
    answers: Iterable[tuple[str, str, str]],
) -> dict[str, engine.WorkbookFacts]:
    """(checklist, item, status) rows -> one pseudo-workbook per checklist for the engine."""
    by_checklist: dict[str, dict[str, str]] = {slug: {} for slug in CHECKLISTS}
    for slug, item, status in answers:
        if slug in by_checklist:
            by_checklist[slug][item] = status
    facts = {}
    for slug, given in by_checklist.items():
        checklist = CHECKLISTS[slug]
        fields = {}
        missing = []
        for _, item in checklist.items():
            in_place = checklist.points(given.get(item.key, "")) > 0
            fields[item.key] = True if in_place else None
            if not in_place:
                missing.append(item.key)
        facts[checklist.phase] = engine.WorkbookFacts(
            complete=not missing,
            fields=fields,
            lists={},
            missing=tuple(missing),
        )
    return facts


def checklist_criteria(slug: str, *, mandatory: bool = False) -> list[engine.Criterion]:
    """The criteria a checklist adds to a gate: one per item."""
    checklist = CHECKLISTS[slug]
    return [
        engine.Criterion(
            key=f"{slug}_{item.key}",
            kind=engine.FIELD_PRESENT,
            label=f"{checklist.title} · {section.title}: {item.text}",
            params={"phase": checklist.phase, "field": item.key},
            mandatory=mandatory,
        )
        for section, item in checklist.items()
    ]
