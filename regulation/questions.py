"""The EU AI Act screening questions: their choices, and the article each one rests on.

Plain data, no Django: the form, the API and the pure classification read the same words.
Texts are our own summaries of Regulation (EU) 2024/1689; they are not legal advice.
"""

from __future__ import annotations

NONE = "none"

# Art. 5(1): the practices the Act prohibits outright, one per point.
PRACTICES: dict[str, tuple[str, str]] = {
    "manipulation": (
        "Art. 5(1)(a)",
        "Manipulates people with subliminal or deceptive techniques that distort their decisions "
        "and can cause significant harm",
    ),
    "exploitation": (
        "Art. 5(1)(b)",
        "Exploits a weakness due to age, disability or a social or economic situation in a way "
        "that can cause significant harm",
    ),
    "social_scoring": (
        "Art. 5(1)(c)",
        "Scores people on their social behaviour or personal traits, leading to unfair or "
        "unrelated detrimental treatment",
    ),
    "crime_prediction": (
        "Art. 5(1)(d)",
        "Predicts that a person will commit a crime solely from profiling or personality traits",
    ),
    "face_scraping": (
        "Art. 5(1)(e)",
        "Builds a facial recognition database by scraping face images from the internet or CCTV "
        "without a target",
    ),
    "emotion_at_work": (
        "Art. 5(1)(f)",
        "Infers the emotions of people at work or in education (outside medical or safety reasons)",
    ),
    "sensitive_categorisation": (
        "Art. 5(1)(g)",
        "Sorts people by biometric data to infer race, political views, union membership, "
        "religion, sex life or sexual orientation",
    ),
    "realtime_biometric_id": (
        "Art. 5(1)(h)",
        "Identifies people remotely and in real time from biometrics in public spaces for law "
        "enforcement",
    ),
}

# Annex III: the areas where a system is high-risk (Art. 6(2)) unless Art. 6(3) applies.
AREAS: dict[str, tuple[str, str]] = {
    "biometrics": (
        "Annex III point 1",
        "Biometrics: remote identification, sorting by sensitive traits, emotion recognition",
    ),
    "critical_infrastructure": (
        "Annex III point 2",
        "Safety component of critical infrastructure: digital infrastructure, traffic, water, "
        "gas, heating, electricity",
    ),
    "education": (
        "Annex III point 3",
        "Education and training: admission, grading, deciding the level of education, watching "
        "for cheating",
    ),
    "employment": (
        "Annex III point 4",
        "Work: recruiting and selecting people, decisions on promotion, termination or tasks, "
        "monitoring performance",
    ),
    "essential_services": (
        "Annex III point 5",
        "Essential services: public benefits, creditworthiness, life and health insurance "
        "pricing, emergency call triage",
    ),
    "law_enforcement": (
        "Annex III point 6",
        "Law enforcement: risk of becoming a victim, evidence reliability, profiling in "
        "investigations",
    ),
    "migration": (
        "Annex III point 7",
        "Migration, asylum and border control: risk assessment, examining applications, detecting "
        "people",
    ),
    "justice_democracy": (
        "Annex III point 8",
        "Justice and democracy: helping courts apply the law, influencing elections or votes",
    ),
}

# Art. 6(3), second subparagraph: when an Annex III system is not high-risk after all.
EXCEPTION_GROUNDS: dict[str, tuple[str, str]] = {
    "narrow_procedure": ("Art. 6(3)(a)", "It performs a narrow procedural task"),
    "improves_human_work": (
        "Art. 6(3)(b)",
        "It improves the result of work a person has already completed",
    ),
    "detects_patterns": (
        "Art. 6(3)(c)",
        "It detects decision patterns or deviations without replacing or steering the human "
        "assessment",
    ),
    "preparatory": ("Art. 6(3)(d)", "It only prepares an assessment that a person then makes"),
}

# Art. 50: who must be told what.
DUTIES: dict[str, tuple[str, str]] = {
    "interacts": (
        "Art. 50(1)",
        "People talk or write to it directly (a chatbot, a voice assistant)",
    ),
    "generates_content": ("Art. 50(2)", "It generates or alters text, images, audio or video"),
    "emotion_or_biometric": (
        "Art. 50(3)",
        "It recognises emotions or sorts people by biometric data",
    ),
    "deep_fake": (
        "Art. 50(4)",
        "It produces deep fakes, or text published to inform the public on matters of public "
        "interest",
    ),
}

GPAI: dict[str, tuple[str, str]] = {
    NONE: ("", "No general-purpose model is involved"),
    "uses": (
        "Art. 53(1)(b)",
        "It is built on a general-purpose model from another provider (e.g. a hosted large "
        "language model)",
    ),
    "provides": ("Art. 53", "We place a general-purpose model of our own on the market"),
}

ROLE_QUESTIONS: dict[str, tuple[str, str]] = {
    "develops": (
        "Art. 3(3)",
        "We develop the system (or have it developed) and put it into service or on the market "
        "under our own name",
    ),
    "rebrands": (
        "Art. 25(1)",
        "We put our name on a high-risk system someone else built, or change it substantially",
    ),
    "uses": ("Art. 3(4)", "We use the system under our own authority in our work"),
    "imports": (
        "Art. 3(6)",
        "We bring into the EU a system from a provider established outside it, under that "
        "provider's name",
    ),
    "distributes": (
        "Art. 3(7)",
        "We make another company's system available on the EU market without being its provider "
        "or importer",
    ),
}

CLASSIFICATIONS: dict[str, str] = {
    "prohibited": "Prohibited practice",
    "high_risk": "High-risk",
    "transparency": "Transparency duties only",
    "minimal": "Minimal risk",
}

ROLES: dict[str, str] = {
    "provider": "Provider",
    "deployer": "Deployer",
    "importer": "Importer",
    "distributor": "Distributor",
}

# Conditions beyond classification x role that some obligations need.
FLAGS: dict[str, str] = {
    "transparency": "has an Art. 50 transparency duty",
    "fria": "needs a fundamental-rights impact assessment (Art. 27)",
}

YES_NO = ("yes", "no")
FLAG_KEYS: tuple[str, ...] = tuple(FLAGS)
