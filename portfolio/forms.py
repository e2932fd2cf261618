from django import forms
from django.db.models import Q

from accounts.models import PilotRoleKind
from accounts.people import PersonField, offer_people
from config.forms import StrictBooleanField
from portfolio.models import BusinessUnit, Pilot


class PilotForm(forms.ModelForm):
    # The managed list (portfolio.models.BusinessUnit); the services take the unit.
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.none(),
        to_field_name="name",  # the value posted is the name, as the API takes it
        label="Business unit",
        empty_label="Choose a business unit",
        error_messages={
            "required": "Business unit: choose one from the list.",
            "invalid_choice": "Business unit: choose one from the list.",
        },
        help_text="Not on the list? An admin adds business units.",
    )
    field_order = ["name", "business_unit", "summary", "risk_tier", "confidential"]

    class Meta:
        model = Pilot
        fields = ["name", "summary", "risk_tier", "confidential"]
        help_texts = {
            "confidential": "Only people with a role on it, governance leads, executives and "
            "admins will know it exists.",
            "summary": "What the pilot does and for whom, in a few sentences.",
        }
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"confidential": StrictBooleanField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = Q(active=True)
        current = None
        if self.instance.pk:
            current = (
                self.instance.unit
                if self.instance.unit_id
                else BusinessUnit.objects.filter(name__iexact=self.instance.business_unit).first()
            )
            if current is not None:
                units |= Q(pk=current.pk)  # an inactive unit stays on offer to its pilots
        self.fields["business_unit"].queryset = BusinessUnit.objects.filter(units)
        self.fields["business_unit"].initial = current.name if current else None


class RoleAssignForm(forms.Form):
    role = forms.ChoiceField(choices=PilotRoleKind.choices)
    user = PersonField(
        label="Person",
        empty_label="Nobody (clear the role)",
        help_text="People with a role on this pilot come first. Choose “Nobody” to clear the role.",
    )

    def __init__(self, *args, pilot, **kwargs):
        super().__init__(*args, **kwargs)
        offer_people(self, pilot)
