"""The event catalogue: every type of domain event, with what it means.

Types are dotted, noun first, past tense (`review.decided`). A type's payload is a flat
JSON object described beside it; `pilot` (id, name, stage, url) is added to every event
that concerns a pilot. Adding a type is adding a line here and a `publish` call at the
one place the change happens.
"""

from django.db import models


class EventType(models.TextChoices):
    REVIEW_REQUESTED = "review.requested", "A gate, change or recertification review was requested"
    REVIEW_DECIDED = "review.decided", "A governance lead decided a review"
    REVIEW_COMMENTED = "review.commented", "Someone commented on a pending review"
    STAGE_CHANGED = "pilot.stage_changed", "A pilot moved stage or status"
    ALERT_OPENED = "alert.opened", "A metric breached its threshold and an alert opened"
    ALERT_RESOLVED = "alert.resolved", "An alert was resolved"
    SIGNAL_CHANGED = (
        "signal.changed",
        "A pilot's recommendation (scale, hold, redesign, stop) changed",
    )
    WAIVER_GRANTED = "waiver.granted", "A governance lead waived a criterion"
    WAIVER_REVOKED = "waiver.revoked", "A waiver was revoked before it expired"
    WAIVER_EXPIRED = "waiver.expired", "A waiver reached its expiry"
    SOURCE_DEGRADED = "source.degraded", "A metric source failed repeatedly and is degraded"
    CHANGE_REQUESTED = (
        "change.requested",
        "A pilot's model, prompt, dataset or vendor changed, or a change awaits review",
    )
    CHANGE_DECIDED = "change.decided", "A change review closed: the change applied or dropped"
    RECERTIFICATION_DUE = (
        "recertification.due",
        "A pilot at scale is due, or overdue, to be recertified",
    )


# What each type's payload carries besides `pilot` (documentation and the OpenAPI document).
PAYLOADS: dict[str, dict[str, str]] = {
    EventType.REVIEW_REQUESTED: {
        "review_id": "integer", "kind": "string", "from_stage": "string",
        "to_stage": "string", "requested_by": "string",
    },
    EventType.REVIEW_DECIDED: {
        "review_id": "integer", "kind": "string", "decision": "string",
        "status": "string", "decided_by": "string", "rationale": "string",
    },
    EventType.REVIEW_COMMENTED: {
        "review_id": "integer", "comment_id": "integer", "author": "string", "body": "string",
    },
    EventType.STAGE_CHANGED: {
        "from_stage": "string", "to_stage": "string", "from_status": "string",
        "to_status": "string", "reason": "string",
    },
    EventType.ALERT_OPENED: {
        "alert_id": "integer", "metric": "string", "severity": "string", "value": "number",
        "threshold": "number",
    },
    EventType.ALERT_RESOLVED: {"alert_id": "integer", "metric": "string", "note": "string"},
    EventType.SIGNAL_CHANGED: {
        "from_code": "string", "to_code": "string", "label": "string", "reasons": "array",
    },
    EventType.WAIVER_GRANTED: {
        "waiver_id": "integer", "criterion_key": "string", "expires_at": "string",
        "granted_by": "string",
    },
    EventType.WAIVER_REVOKED: {
        "waiver_id": "integer", "criterion_key": "string", "reason": "string",
        "revoked_by": "string",
    },
    EventType.WAIVER_EXPIRED: {"waiver_id": "integer", "criterion_key": "string"},
    EventType.SOURCE_DEGRADED: {
        "source_id": "integer", "source": "string", "consecutive_failures": "integer",
        "last_error": "string",
    },
    EventType.CHANGE_REQUESTED: {
        "change_id": "integer", "kind": "string", "from": "string", "to": "string",
        "aspects": "array", "classification": "string", "status": "string",
        "review_id": "integer", "source": "string", "external_id": "string",
    },
    EventType.CHANGE_DECIDED: {
        "change_id": "integer", "review_id": "integer", "status": "string",
        "applied": "boolean",
    },
    EventType.RECERTIFICATION_DUE: {
        "due_on": "string", "overdue": "boolean", "risk_tier": "string", "months": "integer",
    },
}  # fmt: skip
