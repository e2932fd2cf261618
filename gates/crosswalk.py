"""The crosswalk: which NIST AI RMF categories, ISO/IEC 42001 Annex A controls and EU AI Act
obligations ask for the same thing, so that an answer given once counts everywhere.

The mappings are data (`CrosswalkLink`, loaded by migration from gates/migrations/_crosswalk/;
the newest version is in use). Keys are qualified by framework: `nist_ai_rmf.map_1`,
`iso_42001.a_6_2_4`, `aiact.art9_risk_management`. The AI Act keys are plain strings the
regulation app's obligations refer to; nothing here answers them directly.

How answers combine (one hop, never chained through a third item):

- an item's own answer, when it has one ("Not yet" counts as no answer), always wins;
- otherwise it takes the best answer of the items mapped to it in the other checklist, and
  says so: "answered via NIST AI RMF MAP 1";
- an AI Act key is satisfied when every checklist item mapped to it is in place (an answer
  earning points), directly or via the crosswalk.

Functions for other apps: `mapped(key)`, `satisfied_items(pilot)`, `links()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Subquery

from gates.checklists import CHECKLISTS, ISO_42001, NIST_AI_RMF, Checklist, Item
from gates.models import ChecklistAnswer, CrosswalkLink

AIACT = "aiact"
# Checklist slug -> the CrosswalkLink field holding its item keys.
FRAMEWORKS: dict[str, str] = {NIST_AI_RMF.slug: "nist", ISO_42001.slug: "iso"}
SHORT_TITLES = {NIST_AI_RMF.slug: "NIST AI RMF", ISO_42001.slug: "ISO/IEC 42001"}

# The EU AI Act obligations the crosswalk refers to (Regulation (EU) 2024/1689), in our words.
AIACT_LABELS: dict[str, str] = {
    "aiact.art4_ai_literacy": "Art. 4 AI literacy of staff",
    "aiact.art9_risk_management": "Art. 9 Risk management system",
    "aiact.art10_data_governance": "Art. 10 Data and data governance",
    "aiact.art11_technical_documentation": "Art. 11 Technical documentation",
    "aiact.art12_record_keeping": "Art. 12 Record-keeping (logs)",
    "aiact.art13_transparency_to_deployers": "Art. 13 Information for deployers",
    "aiact.art14_human_oversight": "Art. 14 Human oversight",
    "aiact.art15_accuracy_robustness": "Art. 15 Accuracy, robustness and cybersecurity",
    "aiact.art17_quality_management": "Art. 17 Quality management system",
    "aiact.art26_deployer_duties": "Art. 26 Duties of deployers",
    "aiact.art27_fria": "Art. 27 Fundamental-rights impact assessment",
    "aiact.art50_transparency": "Art. 50 Transparency to people",
    "aiact.art72_post_market_monitoring": "Art. 72 Post-market monitoring",
    "aiact.art73_serious_incidents": "Art. 73 Reporting serious incidents",
}

DIRECT, VIA_CROSSWALK, OPEN = "direct", "crosswalk", "open"


@dataclass(frozen=True)
class Link:
    version: int
    nist: str
    iso: str
    aiact: str

    def keys(self) -> set[str]:
        """The qualified keys this link joins."""
        keys = {f"{NIST_AI_RMF.slug}.{self.nist}"} if self.nist else set()
        if self.iso:
            keys.add(f"{ISO_42001.slug}.{self.iso}")
        if self.aiact:
            keys.add(self.aiact)
        return keys


@dataclass(frozen=True)
class Answer:
    """An item's answer as the scores and gates see it; `via` is the qualified key of the
    mapped item it came from, None for the item's own answer."""

    status: str
    via: str | None = None


@dataclass(frozen=True)
class Coverage:
    direct: int
    crosswalk: int
    open: int

    @property
    def total(self) -> int:
        return self.direct + self.crosswalk + self.open


def links(version: int | None = None) -> tuple[Link, ...]:
    """The crosswalk's links, of `version` or else the newest version loaded."""
    rows = CrosswalkLink.objects.order_by("id")
    if version is None:
        newest = CrosswalkLink.objects.order_by("-version").values("version")[:1]
        rows = rows.filter(version=Subquery(newest))
    else:
        rows = rows.filter(version=version)
    return tuple(Link(*row) for row in rows.values_list("version", "nist", "iso", "aiact"))


def mapped(key: str, among: Iterable[Link] | None = None) -> set[str]:
    """The qualified keys the crosswalk maps to `key` (itself left out)."""
    found: set[str] = set()
    for link in links() if among is None else among:
        keys = link.keys()
        if key in keys:
            found |= keys
    found.discard(key)
    return found


def item_of(key: str) -> tuple[Checklist, Item] | None:
    """The checklist and item a qualified key names, or None (an AI Act key, or unknown)."""
    slug, _, item_key = key.partition(".")
    spec = CHECKLISTS.get(slug)
    if spec is None:
        return None
    return next(((spec, item) for _, item in spec.items() if item.key == item_key), None)


def label(key: str) -> str:
    """A qualified key as a person reads it: "NIST AI RMF MAP 1", "Art. 9 Risk management"."""
    if key.startswith(f"{AIACT}."):
        return AIACT_LABELS.get(key, key)
    found = item_of(key)
    if found is None:
        return key
    spec, item = found
    return f"{SHORT_TITLES.get(spec.slug, spec.title)} {item.ref or item.text}"


def effective_answers(
    given: dict[str, dict[str, str]], among: Iterable[Link]
) -> dict[str, dict[str, Answer]]:
    """Checklist slug -> item -> its answer, for the checklists of the crosswalk. `given` is
    slug -> item -> the stored status. An item's own answer wins; an item without one takes
    the best answer among the items mapped to it in another checklist."""
    result: dict[str, dict[str, Answer]] = {}
    partners: dict[str, set[str]] = {}
    for link in among:
        keys = {k for k in link.keys() if not k.startswith(f"{AIACT}.")}
        for key in keys:
            partners.setdefault(key, set()).update(keys - {key})
    for slug in FRAMEWORKS:
        spec = CHECKLISTS[slug]
        own = given.get(slug, {})
        answers: dict[str, Answer] = {}
        for _, item in spec.items():
            status = own.get(item.key, "")
            if spec.points(status) > 0:
                answers[item.key] = Answer(status)
                continue
            best: tuple[float, str, str] | None = None
            for partner in sorted(partners.get(f"{slug}.{item.key}", ())):
                other_slug, _, other_item = partner.partition(".")
                other_status = given.get(other_slug, {}).get(other_item, "")
                points = CHECKLISTS[other_slug].points(other_status)
                if points > 0 and (best is None or points > best[0]):
                    best = (points, other_status, partner)
            answers[item.key] = Answer(best[1], via=best[2]) if best else Answer(status)
        result[slug] = answers
    return result


def by_checklist(rows: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    """(checklist, item, status) rows -> checklist -> item -> status."""
    given: dict[str, dict[str, str]] = {}
    for slug, item, status in rows:
        given.setdefault(slug, {})[item] = status
    return given


def apply(rows: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """(checklist, item, status) rows with the crosswalk's answers filled in, for the gate
    engine. The crosswalk is read only when a checklist it maps has an answer."""
    rows = list(rows)
    if not any(slug in FRAMEWORKS for slug, _, _ in rows):
        return rows
    given = by_checklist(rows)
    effective = effective_answers(given, links())
    kept = [row for row in rows if row[0] not in FRAMEWORKS]
    for slug, answers in effective.items():
        kept.extend((slug, key, answer.status) for key, answer in answers.items())
    return kept


def coverage(slug: str, answers: dict[str, Answer]) -> Coverage:
    """How many items of a crosswalk checklist are in place directly, via the crosswalk, or
    still open."""
    spec = CHECKLISTS[slug]
    direct = via = 0
    for _, item in spec.items():
        answer = answers.get(item.key)
        if answer is None or spec.points(answer.status) <= 0:
            continue
        if answer.via:
            via += 1
        else:
            direct += 1
    return Coverage(direct=direct, crosswalk=via, open=len(spec.items()) - direct - via)


def pilot_answers(pilot) -> dict[str, dict[str, str]]:
    """The pilot's stored checklist answers: checklist -> item -> status."""
    return by_checklist(
        ChecklistAnswer.objects.filter(pilot=pilot).values_list("checklist", "item", "status")
    )


def satisfied_from(given: dict[str, dict[str, str]], among: Iterable[Link]) -> set[str]:
    """The qualified keys satisfied by `given` answers: checklist items in place (directly
    or via the crosswalk) and AI Act keys whose every mapped item is in place."""
    among = tuple(among)
    effective = effective_answers(given, among)
    done = {
        f"{slug}.{key}"
        for slug, answers in effective.items()
        for key, answer in answers.items()
        if CHECKLISTS[slug].points(answer.status) > 0
    }
    needs: dict[str, set[str]] = {}
    for link in among:
        if link.aiact:
            needs.setdefault(link.aiact, set()).update(link.keys() - {link.aiact})
    done |= {key for key, items in needs.items() if items <= done}
    return done


def satisfied_items(pilot) -> set[str]:
    """What the pilot's checklist answers satisfy through the crosswalk: qualified keys of
    NIST and ISO items in place, and of the AI Act obligations all of whose mapped items are.
    The caller checks that the user may see the pilot."""
    return satisfied_from(pilot_answers(pilot), links())
