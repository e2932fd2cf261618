from django import forms

from config.forms import StrictBooleanField
from outbox.catalog import EventType


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        label="Receiver URL", max_length=500,
        help_text="Where Pilotgate POSTs the events. It must be reachable from this server "
        "and may not point inside the company network unless an administrator allows it.",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 60}),
    )  # fmt: skip
    description = forms.CharField(
        label="Description", max_length=200, required=False,
        help_text="Optional: what receives these events, e.g. “Risk register sync”.",
    )  # fmt: skip
    event_types = forms.MultipleChoiceField(
        label="Events to send", choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event type."},
    )  # fmt: skip
    is_active = StrictBooleanField(
        label="Active", required=False, initial=True,
        help_text="Untick to stop deliveries without removing the subscription.",
    )  # fmt: skip

    def clean_url(self):
        # The service's own check (scheme, https, the outbound-address guard), so the page
        # names a bad URL together with the other fields' problems.
        from django.core.exceptions import ValidationError

        from webhooks.services import clean_url

        try:
            return clean_url(self.cleaned_data["url"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from exc
