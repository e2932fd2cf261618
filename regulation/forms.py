"""The questionnaire and the obligation editor, rendered by the project's form renderer.

The forms only shape the input: what the answers mean and whether they agree is decided by
`regulation.classify` inside the service, which names the fields it refuses.
"""

from __future__ import annotations

from django import forms

from regulation.models import EvidenceKind
from regulation.questions import (
    AREAS,
    CLASSIFICATIONS,
    DUTIES,
    EXCEPTION_GROUNDS,
    FLAGS,
    GPAI,
    NONE,
    PRACTICES,
    ROLE_QUESTIONS,
    ROLES,
)
from regulation.services import GATE_STAGES

YES_NO_CHOICES = [("yes", "Yes"), ("no", "No")]


def _cited(choices: dict[str, tuple[str, str]], none: str = "") -> list[tuple[str, str]]:
    found = [
        (key, f"{text} ({article})" if article else text)
        for key, (article, text) in choices.items()
    ]
    return [*found, (NONE, none)] if none else found


def _multi(label, choices, help_text, none="None of these") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=_cited(choices, none),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=help_text,
    )


def _yes_no(label, help_text="") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=YES_NO_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        help_text=help_text,
    )


# The questionnaire in steps, each with what it screens for.
STEPS = (
    ("Prohibited practices", "Art. 5", ("prohibited_practices",)),
    ("High-risk uses", "Art. 6, Annex I, Annex III", ("annex_i_product", "annex_iii_areas")),
    (
        "The Art. 6(3) exception",
        "Art. 6(3), 6(4)",
        ("exception_claimed", "exception_grounds", "exception_justification", "profiles_persons"),
    ),
    ("Transparency", "Art. 50", ("transparency",)),
    ("General-purpose models", "Art. 53", ("gpai",)),
    ("Your organisation's role", "Art. 3, 25, 27", (*ROLE_QUESTIONS, "public_service")),
)


class ProfileForm(forms.Form):
    prohibited_practices = _multi(
        "Does the system do any of these?",
        PRACTICES,
        "Art. 5 bans these practices outright. Tick every one that applies, or “None of these”.",
    )
    annex_i_product = _yes_no(
        "Is the system a product, or a safety component of a product, covered by the EU "
        "product-safety laws of Annex I (machinery, toys, medical devices, vehicles, lifts…) "
        "that needs a third-party conformity assessment?",
        "Art. 6(1) and Annex I.",
    )
    annex_iii_areas = _multi(
        "Is it used in any of these areas?",
        AREAS,
        "Art. 6(2) and Annex III: a system used for these purposes is high-risk.",
    )
    exception_claimed = _yes_no(
        "Do you claim that, although it is used in an Annex III area, it poses no significant "
        "risk of harm?",
        "Art. 6(3). Answer only when you ticked an area above; otherwise leave it.",
    )
    exception_grounds = forms.MultipleChoiceField(
        label="On which condition does the claim rest?",
        choices=_cited(EXCEPTION_GROUNDS),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Art. 6(3)(a) to (d). Only when you claim the exception.",
    )
    exception_justification = forms.CharField(
        label="Why does it pose no significant risk?",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
        help_text="Art. 6(4) asks for this assessment in writing before the system is used. "
        "Required when you claim the exception.",
    )
    profiles_persons = _yes_no(
        "Does the system profile people (evaluate their work, finances, health, behaviour, "
        "location…)?",
        "Art. 6(3), last subparagraph: a system that profiles people is always high-risk, so "
        "the exception is not available to it.",
    )
    transparency = _multi(
        "Does any of these describe the system?",
        DUTIES,
        "Art. 50: people must be told when they deal with AI or AI-made content.",
    )
    gpai = forms.ChoiceField(
        label="Is a general-purpose AI model involved?",
        choices=[(k, f"{t} ({a})" if a else t) for k, (a, t) in GPAI.items()],
        widget=forms.RadioSelect,
        required=False,
        help_text="Art. 53 and Chapter V.",
    )
    develops = _yes_no(*reversed(ROLE_QUESTIONS["develops"]))
    rebrands = _yes_no(*reversed(ROLE_QUESTIONS["rebrands"]))
    uses = _yes_no(*reversed(ROLE_QUESTIONS["uses"]))
    imports = _yes_no(*reversed(ROLE_QUESTIONS["imports"]))
    distributes = _yes_no(*reversed(ROLE_QUESTIONS["distributes"]))
    public_service = _yes_no(
        "Are we a public body, or do we provide a public service with it?",
        "Art. 27(1): such deployers of a high-risk system assess its impact on fundamental "
        "rights first.",
    )

    def answers(self) -> dict:
        """The submitted answers as the service takes them (cleaned shapes, empty left out)."""
        data = self.cleaned_data
        given = {}
        for name in self.fields:
            value = data.get(name)
            if value in (None, "", []):
                continue
            given[name] = list(value) if isinstance(value, list | tuple) else value
        return given

    def steps(self):
        return [
            {"title": title, "articles": articles, "fields": [self[name] for name in names]}
            for title, articles, names in STEPS
        ]


class ObligationForm(forms.Form):
    article = forms.CharField(max_length=64)
    title = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"size": 60}))
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    classifications = forms.MultipleChoiceField(
        label="Applies to the classifications",
        choices=list(CLASSIFICATIONS.items())[1:],
        widget=forms.CheckboxSelectMultiple,
    )
    roles = forms.MultipleChoiceField(
        label="Applies to the roles",
        choices=list(ROLES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    requires_flag = forms.ChoiceField(
        label="Only when the profile also",
        choices=[("", "(always)"), *FLAGS.items()],
        required=False,
    )
    evidence_kind = forms.ChoiceField(label="Evidence kind", choices=EvidenceKind.choices)
    evidence_source = forms.CharField(
        label="Evidence source",
        required=False,
        max_length=64,
        help_text="The workbook (strategy, data, deployment, operations, monitoring) or the "
        "checklist (ml_test_score, nist_ai_rmf).",
    )
    evidence_name = forms.CharField(
        label="Evidence name",
        required=False,
        max_length=64,
        help_text="The workbook field or list, or the checklist item (e.g. govern_2).",
    )
    gate = forms.ChoiceField(
        label="Mandatory from the gate into",
        choices=[(s, s.capitalize()) for s in GATE_STAGES],
    )
    applies_from = forms.DateField(
        label="Applies from", widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label="Why the change",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Kept with the new catalogue version.",
    )
