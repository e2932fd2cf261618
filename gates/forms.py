import json

from django import forms

from config import parsers
from config.datetimes import UTCDateTimeField
from config.forms import StrictBooleanField
from gates import engine
from gates.checklists import CHECKLISTS
from gates.models import DecisionKind
from gates.services.decisions import send_back_stages
from gates.services.recertify import MAX_MONTHS, MIN_MONTHS
from gates.services.reviews import MAX_EVIDENCE_FILES
from portfolio.models import STAGE_ORDER, RiskTier, Stage
from portfolio.workbooks import evidence


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Several evidence files in one input; the service checks each (type, size)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        return [super(EvidenceFilesField, self).clean(item, initial) for item in items if item]


class ReviewRequestForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Note for the reviewers",
    )
    evidence_links = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Evidence links",
        help_text="One web address per line: test reports, dashboards, documents.",
    )
    evidence_files = EvidenceFilesField(label="Evidence files")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = evidence.max_bytes() / (1024 * 1024)
        self.fields["evidence_files"].widget.attrs["accept"] = ",".join(evidence.ALLOWED_TYPES)
        self.fields["evidence_files"].help_text = (
            f"Up to {MAX_EVIDENCE_FILES} files of at most {limit:g} MB each: PDF, images, text, "
            "CSV, JSON, Word, Excel or PowerPoint. The reviewers see them with the request."
        )


class DecisionForm(forms.Form):
    """A governance lead's decision. Conditions belong to "approve with conditions", the
    narrowed scope and "Send back to" to "redesign": the page shows each only beside its
    decision (static/js/decisions.js), and the service refuses them with any other."""

    decision = forms.ChoiceField(choices=DecisionKind.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required for every decision except a plain approval.",
    )
    conditions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One condition per line. Each becomes a mandatory criterion of the pilot's "
        "next gate.",
    )
    scope_note = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Narrowed scope",
    )
    redesign_to_stage = forms.ChoiceField(required=False, label="Send back to")

    # Which decision each conditional field belongs to.
    BELONGS_TO = {
        "conditions": DecisionKind.APPROVE_WITH_CONDITIONS,
        "scope_note": DecisionKind.REDESIGN,
        "redesign_to_stage": DecisionKind.REDESIGN,
    }

    def __init__(self, *args, review=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["redesign_to_stage"]
        stages = dict(Stage.choices)
        earlier = send_back_stages(review) if review is not None else STAGE_ORDER
        # Empty means the stage just before; a browser without JS sends it with every
        # decision, so it must be a value the other decisions accept.
        default = ("", f"{stages[earlier[-1]]} (default)")
        field.choices = [default] + [(s, stages[s]) for s in earlier]
        if review is not None:
            field.error_messages["invalid_choice"] = (
                f"Send back to: choose a stage before {stages.get(review.from_stage, '')}."
            )

    def choices_with_effects(self, effects: dict[str, str]) -> list[dict]:
        """Each decision radio with the sentence saying what it does and the fields that
        belong to it (shown under it)."""
        return [
            {
                "option": option,
                "effect": effects.get(option.data["value"], ""),
                "fields": [
                    self[name]
                    for name, kind in self.BELONGS_TO.items()
                    if kind == option.data["value"]
                ],
            }
            for option in self["decision"]
        ]


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=8000, widget=forms.Textarea(attrs={"rows": 3}), label="Comment"
    )


class WaiverForm(forms.Form):
    """Waive one or more of the criteria that fail now (the choices), until one expiry."""

    criterion_keys = forms.MultipleChoiceField(
        label="Criteria to waive",
        widget=forms.CheckboxSelectMultiple,
        help_text="Only criteria of the next gate that fail now are listed.",
        error_messages={"required": "Choose at least one failing criterion."},
    )
    justification = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    expires_at = UTCDateTimeField(
        label="Expires at (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="After this moment the waivers stop counting by themselves.",
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion_keys"].choices = list(choices)


class WaiverRevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why revoke it",
        help_text="The pilot's owners receive this reason by email.",
    )


class ResumeForm(forms.Form):
    reason = forms.CharField(max_length=2000, label="Why the pilot may go on")


class CriterionForm(forms.Form):
    """One criterion row of the criteria editor; params are JSON for the rarer kinds."""

    key = forms.CharField(max_length=100)
    label = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=[(k, engine.humanize(k)) for k in engine.KINDS])
    params = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "code"}),
        help_text='JSON, e.g. {"phase": "data", "field": "quality_reviewer"}',
    )
    mandatory = StrictBooleanField(required=False)
    risk_tiers = forms.MultipleChoiceField(
        required=False,
        choices=[(t, t.capitalize()) for t in engine.RISK_TIERS],
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: applies to every tier.",
    )

    def clean_params(self):
        raw = (self.cleaned_data.get("params") or "").strip() or "{}"
        try:
            value = parsers.loads(raw)
        except parsers.JSONTooDeep as exc:
            raise forms.ValidationError(f"The JSON is {exc}.") from exc
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("Params must be a JSON object: {...}.")
        return value


CriterionFormSet = forms.formset_factory(CriterionForm, extra=1, can_delete=True, max_num=200)


class CriteriaNoteForm(forms.Form):
    note = forms.CharField(max_length=500, required=False, label="What changed and why")


class ChecklistAttachForm(forms.Form):
    """How a gate uses a scored checklist; the service checks the minimum score."""

    checklist = forms.ChoiceField(choices=[(s, c.title) for s, c in CHECKLISTS.items()])
    mode = forms.ChoiceField(
        label="How the gate uses it",
        choices=[
            ("min_score", "A minimum overall score: its lowest section must reach it"),
            ("items", "Each item as its own criterion (every item must be in place)"),
        ],
        initial="min_score",
        widget=forms.RadioSelect,
        help_text="A minimum score needs the ML Test Score; the NIST AI RMF attaches item by item.",
    )
    min_score = forms.CharField(
        required=False,
        max_length=20,
        label="Minimum score",
        widget=forms.NumberInput(attrs={"min": 0, "max": 7, "step": 0.5, "inputmode": "decimal"}),
        help_text="0 to 7 in steps of 0.5. Each item earns 0.5 done by hand and 1 automated; "
        "a section is the sum of its 7 items and the score is the lowest section.",
    )
    mandatory = StrictBooleanField(
        required=False,
        initial=True,
        label="Mandatory: a review is refused while it is not met (unless waived)",
    )


class ChecklistForm(forms.Form):
    """A scored checklist's answers, one select per item labelled with the item's text. The
    service checks each answer and its messages come back onto the fields, so the page
    shows them in the shared error summary."""

    def __init__(self, *args, spec, choices, disabled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for _, item in spec.items():
            self.fields[item.key] = forms.CharField(
                label=item.question,
                required=False,
                disabled=disabled,
                widget=forms.Select(choices=choices),
            )


class RecertificationPolicyForm(forms.Form):
    """Months between recertifications, one field per risk tier (highest first)."""

    def __init__(self, *args, months: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        for tier, label in reversed(RiskTier.choices):
            self.fields[f"months_{tier}"] = forms.IntegerField(
                label=f"{label} risk: months between recertifications",
                min_value=MIN_MONTHS,
                max_value=MAX_MONTHS,
                initial=months.get(tier),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
