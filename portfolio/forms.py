from django import forms
from django.contrib.auth import get_user_model

from accounts.models import PilotRoleKind
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
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label="(nobody)",
        help_text="Leave empty to clear the role.",
    )
