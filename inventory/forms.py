from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from config.forms import StrictBooleanField
from inventory.models import (
    AIModel,
    AssetKind,
    ChangeRule,
    Classification,
    Dataset,
    PilotAsset,
    Prompt,
    PromptVersion,
    Vendor,
)
from inventory.services.assets import EDITABLE


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class AIModelForm(forms.ModelForm):
    general_purpose = StrictBooleanField(
        label="General-purpose model", required=False,
        help_text="Tick if the model is built for many tasks, not only this one.",
    )  # fmt: skip

    class Meta:
        model = AIModel
        fields = EDITABLE[AssetKind.MODEL]
        widgets = {"end_of_life_on": _DateInput()}
        help_texts = {
            "version": "Exactly as the provider names it, for example 2024-08-06.",
            "end_of_life_on": "When the provider stops serving it, if announced.",
        }


class PromptForm(forms.ModelForm):
    content = forms.CharField(
        label="Content", widget=forms.Textarea(attrs={"rows": 8}), max_length=100_000,
        help_text="The prompt or configuration text. Pilotgate keeps its SHA-256 hash.",
    )  # fmt: skip

    class Meta:
        model = Prompt
        fields = EDITABLE[AssetKind.PROMPT]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # content changes through a new version, never an edit
            del self.fields["content"]


class PromptVersionForm(forms.Form):
    content = forms.CharField(
        label="New version", widget=forms.Textarea(attrs={"rows": 8}), max_length=100_000,
        help_text="Saving makes a new version; earlier versions never change.",
    )  # fmt: skip


class DatasetForm(forms.ModelForm):
    owner = forms.ModelChoiceField(
        label="Owner", required=False,
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
    )  # fmt: skip

    class Meta:
        model = Dataset
        fields = EDITABLE[AssetKind.DATASET]


class VendorForm(forms.ModelForm):
    class Meta:
        model = Vendor
        fields = EDITABLE[AssetKind.VENDOR]
        widgets = {
            name: _DateInput()
            for name in ("contract_start", "contract_end", "dpa_signed_on", "next_review_on")
        }


ASSET_FORMS = {
    AssetKind.MODEL: AIModelForm,
    AssetKind.PROMPT: PromptForm,
    AssetKind.DATASET: DatasetForm,
    AssetKind.VENDOR: VendorForm,
}

REMOVE = "remove"


def _asset_choices(kind: str | None) -> list:
    groups = []
    kinds = [kind] if kind else list(AssetKind)
    for each in kinds:
        if each == AssetKind.PROMPT:
            rows = PromptVersion.objects.select_related("prompt").order_by(
                "prompt__identifier", "-number"
            )
            options = [(f"prompt:{v.pk}", f"{v} ({v.short_hash})") for v in rows]
        else:
            model = {AssetKind.MODEL: AIModel, AssetKind.DATASET: Dataset,
                     AssetKind.VENDOR: Vendor}[each]  # fmt: skip
            options = [(f"{each}:{a.pk}", str(a)) for a in model.objects.all()]
        if options:
            groups.append((AssetKind(each).label, options))
    return groups


class ChangeForm(forms.Form):
    """Link an asset to a pilot, or replace or remove one of its links."""

    to = forms.ChoiceField(label="Asset")
    purpose = forms.CharField(
        label="Purpose", max_length=300, required=False,
        help_text="What the pilot uses it for, for example “drafts replies to claimants”.",
    )  # fmt: skip
    note = forms.CharField(
        label="Note for reviewers", required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the change, and how it was tested. Shown on a change review.",
    )  # fmt: skip

    def __init__(self, *args, link: PilotAsset | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.link = link
        choices = _asset_choices(link.kind if link else None)
        if link is not None:
            self.fields["to"].label = "Replace with"
            choices = [*choices, ("", [(REMOVE, "Stop using it (remove the link)")])]
            del self.fields["purpose"]
        else:
            self.fields["purpose"].required = True
        self.fields["to"].choices = [("", "Choose…"), *choices]

    def target(self):
        """(kind, asset or None) the form chose."""
        value = self.cleaned_data["to"]
        if value == REMOVE:
            return self.link.kind, None
        kind, _, pk = value.partition(":")
        model = {AssetKind.MODEL: AIModel, AssetKind.PROMPT: PromptVersion,
                 AssetKind.DATASET: Dataset, AssetKind.VENDOR: Vendor}[kind]  # fmt: skip
        return kind, model.objects.get(pk=pk)


class ChangeRuleForm(forms.Form):
    classification = forms.ChoiceField(
        label="Classification", choices=Classification.choices, widget=forms.RadioSelect
    )
    explanation = forms.CharField(label="Why", max_length=300, required=False)

    def __init__(self, *args, rule: ChangeRule, **kwargs):
        super().__init__(*args, initial={"classification": rule.classification,
                                         "explanation": rule.explanation}, **kwargs)  # fmt: skip
        self.rule = rule
