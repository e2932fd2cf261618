"""Three scored checklists a governance lead can attach to a gate as criteria.

- `ml_test_score`: the ML Test Score rubric (Breck et al., Google, 2017): four sections of
  seven tests. A test done by hand and documented earns half a point, an automated one a
  full point; a section scores the sum of its tests and the pilot's score is its lowest
  section, because the weakest area is where production trouble starts.
- `nist_ai_rmf`: the four functions of the NIST AI Risk Management Framework 1.0 (Govern,
  Map, Measure, Manage) with their categories. Each category is addressed, partly
  addressed or not yet; a function scores the share of its categories addressed.
- `iso_42001`: the controls of ISO/IEC 42001:2023 Annex A (A.2 to A.10), scored as the
  NIST checklist is: each control in place, partly or not yet; a control objective scores
  the share of its controls in place. Only the control numbers come from the standard; the
  short titles and questions are ours (the standard's text is copyrighted).

`gates.crosswalk` maps NIST categories, ISO controls and EU AI Act obligation keys to each
other, so that an answer given in one checklist satisfies the mapped items of the other.

The item texts and band meanings are our own short paraphrases, not the sources' wording.
Answers live in `ChecklistAnswer` as a status per item ("" / manual / automated for the ML
Test Score: 0, 0.5 and 1 point). A gate uses a checklist in one of two ways:

- a minimum score (`checklist_min_score`, ML Test Score only): one criterion that passes
  when the lowest section reaches the minimum; the engine gets `engine.ChecklistFacts`
  (see `checklist_score_facts`);
- each item as its own criterion (`field_present` on a pseudo-workbook named
  `checklist_<slug>` whose fields are True for an item in place; see
  `checklist_workbook_facts`), which makes every item a separate requirement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gates import engine


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    # How the source numbers it ("MAP 1", "A.6.2.4"); empty when it has no number.
    ref: str = ""
    title: str = ""

    @property
    def question(self) -> str:
        """The item's text, led by its number and short title when it has them."""
        lead = " ".join(part for part in (self.ref, self.title) if part)
        return f"{lead}: {self.text}" if lead else self.text

    @property
    def label(self) -> str:
        """The item as a person names it: its number and short title, or its text."""
        if self.ref and self.title:
            return f"{self.ref} {self.title}"
        return self.ref or self.text


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Band:
    """How to read an overall score: `above` < score <= `up_to` (None: no bound)."""

    above: float | None
    up_to: float | None
    scores: str
    meaning: str

    def holds(self, score: float) -> bool:
        low_ok = self.above is None or score > self.above
        high_ok = self.up_to is None or score <= self.up_to
        return low_ok and high_ok


@dataclass(frozen=True)
class Checklist:
    slug: str
    title: str
    source: str
    sections: tuple[Section, ...]
    # answer value -> (label, points); an item is "in place" when its points are > 0.
    answers: tuple[tuple[str, str, float], ...]
    # True: a section scores the sum of its points (ML Test Score), which a gate can require
    # a minimum of; False: a section scores the share of its points (NIST).
    scored_in_points: bool = False
    bands: tuple[Band, ...] = ()
    bands_source: str = ""

    @property
    def phase(self) -> str:
        return f"checklist_{self.slug}"

    def items(self) -> list[tuple[Section, Item]]:
        return [(section, item) for section in self.sections for item in section.items]

    def points(self, status: str) -> float:
        return next((p for value, _, p in self.answers if value == status), 0.0)

    @property
    def max_section(self) -> int:
        return max(len(section.items) for section in self.sections)

    def band(self, score: float) -> Band | None:
        return next((band for band in self.bands if band.holds(score)), None)


def _section(key: str, title: str, *texts: str, ref: str = "") -> Section:
    """Items keyed `<section>_<n>`; with `ref`, numbered "<ref> <n>" as the source does."""
    return Section(
        key=key,
        title=title,
        items=tuple(
            Item(f"{key}_{n}", text, ref=f"{ref} {n}" if ref else "")
            for n, text in enumerate(texts, start=1)
        ),
    )


def _controls(number: str, title: str, *controls: tuple[str, str, str]) -> Section:
    """An Annex A control objective: (control number, short title, question) per control,
    keyed `a_<number with underscores>` (A.6.2.4 -> a_6_2_4)."""
    return Section(
        key=f"a_{number}",
        title=f"A.{number} {title}",
        items=tuple(
            Item("a_" + ref.replace(".", "_"), question, ref=f"A.{ref}", title=short)
            for ref, short, question in controls
        ),
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
    scored_in_points=True,
    # Scores move in steps of 0.5, so each band's range is shown as the scores it holds.
    bands=(
        Band(None, 0, "0", "Not production-ready yet: the weakest area has no test or check."),
        Band(0, 1, "0.5 to 1", "Some testing exists, but expect serious gaps in reliability."),
        Band(1, 2, "1.5 to 2", "A first round of hardening is done; more work is likely needed."),
        Band(
            2,
            3,
            "2.5 to 3",
            "Reasonably well tested; more of the tests and procedures could be automated.",
        ),
        Band(
            3,
            5,
            "3.5 to 5",
            "Strong automated testing and monitoring, fit for a system the business relies on.",
        ),
        Band(5, None, "5.5 to 7", "Exceptional automated testing and monitoring."),
    ),
    bands_source=(
        "Reading of the bands after the interpretation of final scores in Breck et al., "
        "The ML Test Score (2017); the wording is ours"
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
            ref="GOVERN",
        ),
        _section(
            "map",
            "Map",
            "The purpose, setting and users of the system are written down",
            "The system and its tasks are classified, with known limits",
            "Expected benefits and costs are compared with the current way of working",
            "Risks of every component, including bought ones, are listed",
            "Possible impacts on people, groups and the organisation are described",
            ref="MAP",
        ),
        _section(
            "measure",
            "Measure",
            "Methods and metrics for the listed risks are chosen and applied",
            "The system is tested for trustworthiness: validity, safety, fairness, privacy",
            "Risks are tracked over time once the system is live",
            "Whether the measurements themselves work is checked and improved",
            ref="MEASURE",
        ),
        _section(
            "manage",
            "Manage",
            "Risks are ranked and each has a response: accept, reduce, transfer or avoid",
            "Plans to increase benefits and limit harm are in place and documented",
            "Risks from third parties are monitored and handled",
            "Responses, recovery and communication for incidents are written and rehearsed",
            ref="MANAGE",
        ),
    ),
)

ISO_42001 = Checklist(
    slug="iso_42001",
    title="ISO/IEC 42001 Annex A",
    source=(
        "ISO/IEC 42001:2023, Annex A (control numbers only; the titles and questions are "
        "our own summaries, not the standard's text)"
    ),
    answers=(
        ("", "Not yet", 0.0),
        ("partial", "Partly in place", 0.5),
        ("addressed", "In place", 1.0),
    ),
    sections=(
        _controls(
            "2",
            "Policies for AI",
            ("2.2", "AI policy", "Is there a written AI policy that management has approved?"),
            (
                "2.3",
                "Fit with other policies",
                "Does the AI policy agree with the security, privacy and quality policies?",
            ),
            ("2.4", "Policy review", "Is the AI policy reread and updated on a fixed schedule?"),
        ),
        _controls(
            "3",
            "Internal organisation",
            (
                "3.2",
                "Roles and responsibilities",
                "Is it written down who does what for this system, and do they know?",
            ),
            (
                "3.3",
                "Raising concerns",
                "Can anyone report a worry about the system without fear, and is it followed up?",
            ),
        ),
        _controls(
            "4",
            "Resources",
            (
                "4.2",
                "Resource inventory",
                "Is there a list of what the system depends on: data, tools, compute, people?",
            ),
            ("4.3", "Data resources", "Are the data sets it uses recorded with their origin?"),
            (
                "4.4",
                "Tools",
                "Are the models, libraries and services used to build it recorded?",
            ),
            (
                "4.5",
                "Computing resources",
                "Are the hosting and compute it runs on recorded, with who provides them?",
            ),
            (
                "4.6",
                "People and skills",
                "Are the skills the work needs known, and are the people trained?",
            ),
        ),
        _controls(
            "5",
            "Impact assessment",
            (
                "5.2",
                "Assessment process",
                "Is there a set way to judge what the system may do to people and society?",
            ),
            (
                "5.3",
                "Assessment records",
                "Are the results of that judgement kept and reread when the system changes?",
            ),
            (
                "5.4",
                "Impact on individuals",
                "Were the effects on the people it decides about, or talks to, considered?",
            ),
            (
                "5.5",
                "Impact on society",
                "Were wider effects considered: on groups, jobs, the environment, trust?",
            ),
        ),
        _controls(
            "6",
            "Life cycle",
            (
                "6.1.2",
                "Development goals",
                "Were goals for responsible development set and written down?",
            ),
            (
                "6.1.3",
                "Development process",
                "Does design and development follow a defined, repeatable process?",
            ),
            (
                "6.2.2",
                "Requirements",
                "Are the system's requirements, including limits and users, written down?",
            ),
            (
                "6.2.3",
                "Design records",
                "Are design choices and how the system was built recorded?",
            ),
            (
                "6.2.4",
                "Verification and validation",
                "Was it tested against its requirements before use, with results kept?",
            ),
            (
                "6.2.5",
                "Deployment",
                "Is there a plan for putting it into service, with checks before release?",
            ),
            (
                "6.2.6",
                "Operation and monitoring",
                "Is it watched in use for errors, drift and failures, with someone acting?",
            ),
            (
                "6.2.7",
                "Technical documentation",
                "Is there documentation others can use to understand and run it?",
            ),
            (
                "6.2.8",
                "Event logs",
                "Does it keep logs of what it did, for long enough to trace a problem?",
            ),
        ),
        _controls(
            "7",
            "Data",
            (
                "7.2",
                "Data management",
                "Is it defined how data for building and improving it is handled?",
            ),
            ("7.3", "Data acquisition", "Is it recorded how and on what terms data was obtained?"),
            (
                "7.4",
                "Data quality",
                "Were quality requirements for the data set and checked?",
            ),
            (
                "7.5",
                "Data provenance",
                "Can the origin and changes of each data set be traced?",
            ),
            (
                "7.6",
                "Data preparation",
                "Are the steps that clean, label or transform the data recorded?",
            ),
        ),
        _controls(
            "8",
            "Information for interested parties",
            (
                "8.2",
                "Information for users",
                "Do users get the information they need to use it well and know its limits?",
            ),
            (
                "8.3",
                "External reporting",
                "Can people outside report problems or harm caused by the system?",
            ),
            (
                "8.4",
                "Incident communication",
                "Is there a plan to tell users and others about incidents, and when?",
            ),
            (
                "8.5",
                "Duties to inform",
                "Are the duties to inform regulators, customers or others known and met?",
            ),
        ),
        _controls(
            "9",
            "Use of AI systems",
            (
                "9.2",
                "Responsible use process",
                "Is there a defined way to decide on and oversee the system's use?",
            ),
            ("9.3", "Use goals", "Were goals for responsible use set and written down?"),
            (
                "9.4",
                "Intended use",
                "Is it used only as intended, with its instructions followed?",
            ),
        ),
        _controls(
            "10",
            "Third parties and customers",
            (
                "10.2",
                "Shared responsibilities",
                "Is it agreed which duties sit with us, suppliers, partners and customers?",
            ),
            (
                "10.3",
                "Suppliers",
                "Are the suppliers of models, data or services checked against our needs?",
            ),
            (
                "10.4",
                "Customers",
                "Are customers' needs and expectations for responsible AI taken into account?",
            ),
        ),
    ),
)

CHECKLISTS: dict[str, Checklist] = {c.slug: c for c in (ML_TEST_SCORE, NIST_AI_RMF, ISO_42001)}


def answer_problems(
    checklist: Checklist, answers: dict, *, with_values: bool = False
) -> dict[str, str]:
    """Item key -> what is wrong with its answer; empty when every answer can be stored.
    `with_values`: name the values to send (for the API) beside the labels."""
    allowed = {value for value, _, _ in checklist.answers}
    known = {item.key for _, item in checklist.items()}
    if with_values:
        choices = ", ".join(f'"{value}" ({label})' for value, label, _ in checklist.answers)
    else:
        choices = ", ".join(label for _, label, _ in checklist.answers)
    problems = {}
    for key, value in answers.items():
        if key not in known:
            problems[str(key)] = f"Unknown item of the {checklist.title}."
        elif not isinstance(value, str) or value not in allowed:
            problems[key] = f"Choose one of: {choices}."
    return problems


def score_facts(checklist: Checklist, answers: dict[str, str]) -> engine.ChecklistFacts:
    """Item -> status answers as the engine scores them; unanswered items are left out."""
    return engine.ChecklistFacts(
        title=checklist.title,
        sections=tuple(
            engine.ChecklistSection(
                title=section.title,
                items=tuple(item.key for item in section.items),
                points={
                    item.key: checklist.points(answers[item.key])
                    for item in section.items
                    if item.key in answers
                },
            )
            for section in checklist.sections
        ),
    )


def section_scores(checklist: Checklist, answers: dict[str, str]) -> dict[str, float]:
    """Section key -> score. ML Test Score: points, as the engine sums them; NIST: share of
    categories addressed."""
    if checklist.scored_in_points:
        facts = score_facts(checklist, answers)
        return {s.key: f.score for s, f in zip(checklist.sections, facts.sections, strict=True)}
    scores = {}
    for section in checklist.sections:
        points = sum(checklist.points(answers.get(item.key, "")) for item in section.items)
        scores[section.key] = round(points / len(section.items), 3)
    return scores


def overall_score(checklist: Checklist, answers: dict[str, str]) -> float:
    """The lowest section score: a pilot is only as ready as its weakest area."""
    return min(section_scores(checklist, answers).values())


def checklist_score_facts(
    answers: Iterable[tuple[str, str, str]],
) -> dict[str, engine.ChecklistFacts]:
    """(checklist, item, status) rows -> the engine's facts for each checklist scored in points."""
    by_checklist: dict[str, dict[str, str]] = {
        slug: {} for slug, c in CHECKLISTS.items() if c.scored_in_points
    }
    for slug, item, status in answers:
        if slug in by_checklist:
            by_checklist[slug][item] = status
    return {slug: score_facts(CHECKLISTS[slug], given) for slug, given in by_checklist.items()}


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


def min_score_key(slug: str) -> str:
    return f"{slug}_min_score"


def min_score_criterion(slug: str, min_score: float, *, mandatory: bool = True) -> engine.Criterion:
    """The one criterion a checklist adds to a gate in minimum-score mode."""
    checklist = CHECKLISTS[slug]
    return engine.Criterion(
        key=min_score_key(slug),
        kind=engine.CHECKLIST_MIN_SCORE,
        label=f"{checklist.title} at least {engine.format_number(min_score)} (lowest section)",
        params={"checklist": slug, "min_score": min_score},
        mandatory=mandatory,
    )


def checklist_criteria(slug: str, *, mandatory: bool = False) -> list[engine.Criterion]:
    """The criteria a checklist adds to a gate in per-item mode: one per item."""
    checklist = CHECKLISTS[slug]
    return [
        engine.Criterion(
            key=f"{slug}_{item.key}",
            kind=engine.FIELD_PRESENT,
            label=f"{checklist.title} · {section.title}: {item.question}",
            params={"phase": checklist.phase, "field": item.key},
            mandatory=mandatory,
        )
        for section, item in checklist.items()
    ]
