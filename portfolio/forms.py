from django import forms

from accounts.models import PilotRoleKind
from accounts.people import PersonField, offer_people
from config.forms import StrictBooleanField
from portfolio.models import Pilot


class PilotForm(forms.ModelForm):
    class Meta:
        model = Pilot
        fields = ["name", "business_unit", "summary", "risk_tier", "confidential"]
        help_texts = {
            "confidential": "Only people with a role on it, governance leads, executives and "
            "admins will know it exists.",
            "summary": "What the pilot does and for whom, in a few sentences.",
        }
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"confidential": StrictBooleanField}


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


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'Grafana exporter'.")
