"""The EU AI Act screening, computed: answers in, a classification and roles out, each
conclusion citing the articles it rests on. Pure (no Django), so it is tested as a function.

`check(answers)` returns the problems with the answers by field (empty when they are
consistent); `classify(answers)` assumes they are and says what follows from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from regulation.questions import (
    AREAS,
    CLASSIFICATIONS,
    DUTIES,
    EXCEPTION_GROUNDS,
    GPAI,
    NONE,
    PRACTICES,
    ROLE_QUESTIONS,
    ROLES,
    YES_NO,
)

# The questions with a list of choices, where "none" must be said explicitly.
MULTI = {"prohibited_practices": PRACTICES, "annex_iii_areas": AREAS, "transparency": DUTIES}
YES_NO_FIELDS = ("annex_i_product", "public_service", *ROLE_QUESTIONS)
FIELDS = (
    "prohibited_practices",
    "annex_i_product",
    "annex_iii_areas",
    "exception_claimed",
    "exception_grounds",
    "exception_justification",
    "profiles_persons",
    "transparency",
    "gpai",
    *ROLE_QUESTIONS,
    "public_service",
)
JUSTIFICATION_MIN = 40


@dataclass(frozen=True)
class Conclusion:
    topic: str
    text: str
    articles: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "text": self.text, "articles": list(self.articles)}


@dataclass(frozen=True)
class Outcome:
    classification: str
    roles: tuple[str, ...]
    flags: tuple[str, ...]
    conclusions: tuple[Conclusion, ...] = field(default_factory=tuple)

    @property
    def classification_label(self) -> str:
        return CLASSIFICATIONS[self.classification]

    @property
    def role_labels(self) -> str:
        return ", ".join(ROLES[r] for r in self.roles)


def _list(answers: Mapping[str, Any], name: str) -> list[str]:
    value = answers.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _yes(answers: Mapping[str, Any], name: str) -> bool:
    value = answers.get(name)
    return value is True or value == "yes"


def check(answers: Mapping[str, Any]) -> dict[str, str]:
    """field -> what is wrong with its answer, contradictions naming both fields."""
    errors: dict[str, str] = {}
    unknown = sorted(set(answers) - set(FIELDS))
    for name in unknown:
        errors[name] = "This is not a question of the profile."
    for name, choices in MULTI.items():
        given = _list(answers, name)
        if not given:
            errors[name] = "Answer this question: choose what applies, or “None of these”."
            continue
        wrong = [v for v in given if v != NONE and v not in choices]
        if wrong:
            errors[name] = f"{', '.join(wrong)} is not one of the choices."
        elif NONE in given and len(given) > 1:
            errors[name] = (
                "“None of these” contradicts the other choices ticked; keep one or the other."
            )
    for name in YES_NO_FIELDS:
        if answers.get(name) not in YES_NO:
            errors.setdefault(name, "Answer yes or no.")
    if answers.get("gpai") not in GPAI:
        errors["gpai"] = "Choose one of the answers."
    _check_exception(answers, errors)
    _check_roles(answers, errors)
    return errors


def _check_exception(answers: Mapping[str, Any], errors: dict[str, str]) -> None:
    claimed = _yes(answers, "exception_claimed")
    if answers.get("exception_claimed") not in (*YES_NO, None, ""):
        errors["exception_claimed"] = "Answer yes or no."
    if answers.get("profiles_persons") not in (*YES_NO, None, ""):
        errors["profiles_persons"] = "Answer yes or no."
    grounds = _list(answers, "exception_grounds")
    if any(g not in EXCEPTION_GROUNDS for g in grounds):
        errors["exception_grounds"] = "Choose among the four conditions of Art. 6(3)."
    if not claimed:
        return
    areas = [a for a in _list(answers, "annex_iii_areas") if a != NONE]
    if "annex_iii_areas" not in errors and not areas:
        errors["exception_claimed"] = (
            "The Art. 6(3) exception only concerns a system in an Annex III area, and "
            "“Annex III areas” says none applies."
        )
    if answers.get("profiles_persons") == "yes":
        message = (
            "Contradiction: the Art. 6(3) exception is claimed while the system profiles "
            "natural persons; a system that profiles people is always high-risk (Art. 6(3), "
            "last subparagraph)."
        )
        errors["exception_claimed"] = message
        errors["profiles_persons"] = message
    elif answers.get("profiles_persons") not in YES_NO:
        errors["profiles_persons"] = (
            "Say whether the system profiles people before claiming the exception."
        )
    if not grounds:
        errors.setdefault(
            "exception_grounds", "Choose the condition of Art. 6(3) the claim rests on."
        )
    text = str(answers.get("exception_justification") or "").strip()
    if len(text) < JUSTIFICATION_MIN:
        errors["exception_justification"] = (
            f"Required when the exception is claimed: explain in at least {JUSTIFICATION_MIN} "
            "characters why the system poses no significant risk (Art. 6(4) asks for it in "
            "writing)."
        )


def _check_roles(answers: Mapping[str, Any], errors: dict[str, str]) -> None:
    if any(name in errors for name in ROLE_QUESTIONS):
        return
    said = {name for name in ROLE_QUESTIONS if _yes(answers, name)}
    if not said:
        message = (
            "Answer yes to at least one: the organisation has a role for every system it runs."
        )
        errors["develops"] = message
        errors["uses"] = message
        return
    provider = said & {"develops", "rebrands"}
    for other in ("imports", "distributes"):
        if other in said and provider:
            message = (
                f"Contradiction: “{other}” says another company is the provider, while "
                f"“{sorted(provider)[0]}” makes us the provider (Art. 3(6), 3(7))."
            )
            errors[other] = message
            errors[sorted(provider)[0]] = message
    if {"imports", "distributes"} <= said:
        message = "Contradiction: a distributor is by definition not the importer (Art. 3(7))."
        errors["imports"] = message
        errors["distributes"] = message


def classify(answers: Mapping[str, Any]) -> Outcome:
    """The classification, roles and flags the answers lead to, with their reasons."""
    conclusions: list[Conclusion] = []
    practices = [p for p in _list(answers, "prohibited_practices") if p in PRACTICES]
    areas = [a for a in _list(answers, "annex_iii_areas") if a in AREAS]
    duties = [d for d in _list(answers, "transparency") if d in DUTIES]
    annex_i = _yes(answers, "annex_i_product")
    exception = _yes(answers, "exception_claimed") and bool(areas)

    if practices:
        classification = "prohibited"
        for p in practices:
            article, text = PRACTICES[p]
            conclusions.append(
                Conclusion(
                    "Prohibited practice",
                    f"{text}. Such a system may not be placed on the market, put into service or "
                    f"used in the EU.",
                    (article,),
                )
            )
    elif annex_i or (areas and not exception):
        classification = "high_risk"
    elif duties:
        classification = "transparency"
    else:
        classification = "minimal"

    if annex_i:
        conclusions.append(
            Conclusion(
                "High-risk",
                "The system is, or is a safety component of, a product under the EU legislation "
                "listed in Annex I that needs a third-party conformity assessment.",
                ("Art. 6(1)", "Annex I"),
            )
        )
    if areas and not exception:
        for a in areas:
            article, text = AREAS[a]
            conclusions.append(
                Conclusion(
                    "High-risk", f"Used in an Annex III area. {text}.", ("Art. 6(2)", article)
                )
            )
    if exception:
        grounds = [
            EXCEPTION_GROUNDS[g]
            for g in _list(answers, "exception_grounds")
            if g in EXCEPTION_GROUNDS
        ]
        said = "; ".join(text.lower() for _, text in grounds)
        conclusions.append(
            Conclusion(
                "Not high-risk (exception)",
                f"Although it is used in an Annex III area, the exception is claimed: {said}. The "
                f"written assessment must be kept and the system still registered.",
                ("Art. 6(3)", *(a for a, _ in grounds), "Art. 6(4)", "Art. 49(2)"),
            )
        )
    for d in duties:
        article, text = DUTIES[d]
        conclusions.append(
            Conclusion(
                "Transparency",
                f"{text}: the people concerned must be told they deal with AI or AI-made content.",
                (article,),
            )
        )
    if classification == "minimal":
        conclusions.append(
            Conclusion(
                "Minimal risk",
                "None of the screening questions applies: only AI literacy is required, and "
                "voluntary codes of conduct are encouraged.",
                ("Art. 4", "Art. 95"),
            )
        )

    gpai = answers.get("gpai")
    if gpai == "uses":
        conclusions.append(
            Conclusion(
                "General-purpose model",
                "The system is built on another provider's general-purpose model: that provider "
                "owes us the information needed to meet our own duties.",
                ("Art. 53(1)(b)", "Annex XII"),
            )
        )
    elif gpai == "provides":
        conclusions.append(
            Conclusion(
                "General-purpose model",
                "We provide a general-purpose model: the duties of Chapter V apply to it, which "
                "this catalogue does not cover.",
                ("Art. 53", "Art. 55"),
            )
        )

    roles: list[str] = []
    if _yes(answers, "develops") or _yes(answers, "rebrands"):
        roles.append("provider")
    if _yes(answers, "uses"):
        roles.append("deployer")
    if _yes(answers, "imports"):
        roles.append("importer")
    if _yes(answers, "distributes"):
        roles.append("distributor")
    for name, (article, text) in ROLE_QUESTIONS.items():
        if _yes(answers, name):
            conclusions.append(Conclusion("Role", f"{text}.", (article,)))

    flags: list[str] = []
    if duties:
        flags.append("transparency")
    fria_area = bool({"essential_services"} & set(areas)) or (
        _yes(answers, "public_service") and bool(set(areas) - {"critical_infrastructure"})
    )
    if classification == "high_risk" and "deployer" in roles and fria_area and areas:
        flags.append("fria")
        conclusions.append(
            Conclusion(
                "Fundamental-rights impact assessment",
                "As a deployer that is a public body, provides a public service, or scores credit "
                "or prices life and health insurance, we must assess the impact on "
                "fundamental rights before first use.",
                ("Art. 27(1)",),
            )
        )
    return Outcome(
        classification=classification,
        roles=tuple(roles),
        flags=tuple(flags),
        conclusions=tuple(conclusions),
    )
