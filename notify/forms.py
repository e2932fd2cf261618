from django import forms

from notify.catalog import CANNOT_TURN_OFF, ON_OR_OFF, TOPICS, Mode, allowed_modes
from outbox.catalog import EventType
from portfolio.models import BusinessUnit

_ON_OR_OFF_CHOICES = {Mode.IMMEDIATE: "Send to me", Mode.OFF: "Off"}


def field_name(topic: str) -> str:
    return topic.replace(".", "__")


class PreferencesForm(forms.Form):
    """One choice per topic: straight away, in the daily digest, or off."""

    def __init__(self, *args, modes: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for topic, label in TOPICS.items():
            labels = _ON_OR_OFF_CHOICES if topic in ON_OR_OFF else dict(Mode.choices)
            help_text = ""
            if topic in CANNOT_TURN_OFF:
                help_text = (
                    "Decisions on your own pilots cannot be turned off: choose to hear straight "
                    "away or in the daily digest."
                )
            self.fields[field_name(topic)] = forms.ChoiceField(
                label=label,
                choices=[(m, labels[m]) for m in allowed_modes(topic)],
                widget=forms.RadioSelect,
                initial=modes.get(topic),
                help_text=help_text,
                # Every topic shows its current choice; one left out keeps it.
                required=False,
            )

    def modes(self) -> dict[str, str]:
        chosen = {topic: self.cleaned_data.get(field_name(topic)) for topic in TOPICS}
        return {topic: mode for topic, mode in chosen.items() if mode}


class ChannelForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="How the channel is listed here, e.g. “#ai-pilots”."
    )
    kind = forms.ChoiceField(
        label="Service", choices=[("slack", "Slack"), ("teams", "Microsoft Teams")],
        widget=forms.RadioSelect,
    )  # fmt: skip
    url = forms.CharField(
        label="Incoming webhook URL",
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text="The address Slack or Teams gave for the channel. It is a secret: after "
        "saving, only its host and last four characters are shown.",
    )
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.filter(active=True),
        required=False,
        empty_label="Every business unit",
        help_text="Post only events of this unit's pilots. Confidential pilots are never posted.",
    )
    event_types = forms.MultipleChoiceField(
        label="Events to post",
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "“%(value)s” is not an event Pilotgate posts."},
    )
