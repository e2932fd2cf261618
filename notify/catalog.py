"""What a person can be told about (topics), and how (modes).

A topic is an outbox event type, or one of the notices that are not events (daily
reminders, the weekly portfolio digest). Recipients per topic: notify/recipients.py.
"""

from django.db import models

from outbox.catalog import EventType


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", "Straight away"
    DIGEST = "digest", "In a daily digest"
    OFF = "off", "Off"


WEEKLY_DIGEST = "digest.weekly"
REMINDERS = "reminder.daily"

# The order the preferences page lists them in, each with the words it uses.
TOPICS: dict[str, str] = {
    EventType.REVIEW_REQUESTED: "A review you could decide is requested",
    EventType.REVIEW_DECIDED: "A review of your pilot is decided",
    EventType.REVIEW_COMMENTED: "Someone comments on a review you take part in",
    EventType.STAGE_CHANGED: "Your pilot moves stage or status",
    EventType.SIGNAL_CHANGED: "Your pilot's recommendation changes (a breached stop condition too)",
    EventType.ALERT_OPENED: "An alert opens on your pilot's metrics",
    EventType.ALERT_RESOLVED: "An alert on your pilot's metrics is resolved",
    EventType.SOURCE_DEGRADED: "A metric source of your pilot keeps failing",
    EventType.WAIVER_GRANTED: "A criterion of your pilot is waived",
    EventType.WAIVER_REVOKED: "A waiver on your pilot is revoked",
    EventType.WAIVER_EXPIRED: "A waiver on your pilot expires",
    EventType.CHANGE_REQUESTED: "A model, prompt, dataset or vendor of your pilot changes",
    EventType.CHANGE_DECIDED: "A change review of your pilot closes",
    EventType.RECERTIFICATION_DUE: "Your pilot at scale is due or overdue to be recertified",
    REMINDERS: "Reminders: reviews waiting too long, operations reviews past their date",
    WEEKLY_DIGEST: "The weekly portfolio digest (Monday morning)",
}  # fmt: skip

# Decisions on your own pilots always reach you: straight away or in the digest.
CANNOT_TURN_OFF = frozenset({EventType.REVIEW_DECIDED})
# One email at a fixed time already (the weekly digest; the 07:00 reminders): on or off.
# Executives get the weekly digest by default.
ON_OR_OFF = frozenset({WEEKLY_DIGEST, REMINDERS})


def default_mode(topic: str, *, is_executive: bool) -> str:
    if topic == WEEKLY_DIGEST:
        return Mode.IMMEDIATE if is_executive else Mode.OFF
    return Mode.IMMEDIATE


def allowed_modes(topic: str) -> list[str]:
    if topic in ON_OR_OFF:
        return [Mode.IMMEDIATE, Mode.OFF]
    if topic in CANNOT_TURN_OFF:
        return [Mode.IMMEDIATE, Mode.DIGEST]
    return [Mode.IMMEDIATE, Mode.DIGEST, Mode.OFF]
