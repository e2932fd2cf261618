"""Who is told about what: the one place for recipient rules.

Every rule returns active users with an email address; preferences are applied after
(notify/services.py), so a rule answers only "who would care", never "who wants it".
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from accounts import rules
from accounts.models import GlobalRole, PilotRole, PilotRoleKind
from notify.catalog import REMINDERS
from outbox.catalog import EventType

User = get_user_model()


def _with_address(users) -> list:
    return [u for u in {u.pk: u for u in users}.values() if u.email and u.is_active]


def governance_leads_for(pilot_id: int) -> list:
    """Leads who could decide this pilot's review (none holding a role on it)."""
    users = (
        User.objects.filter(groups__name=GlobalRole.GOVERNANCE_LEAD, is_active=True)
        .exclude(pilot_roles__pilot_id=pilot_id)
        .distinct()
    )
    return _with_address(users)


def _holders(pilot_id: int, kinds) -> list:
    roles = PilotRole.objects.filter(pilot_id=pilot_id, role__in=kinds).select_related("user")
    return _with_address(r.user for r in roles)


def owners_of(pilot_id: int) -> list:
    return _holders(pilot_id, rules.OWNER_ROLES)


def owners_and_operations_of(pilot_id: int) -> list:
    """Those who run the pilot day to day: its owners and its operations lead."""
    return _holders(pilot_id, [*rules.OWNER_ROLES, PilotRoleKind.OPERATIONS_LEAD])


def executives() -> list:
    return _with_address(User.objects.filter(groups__name=GlobalRole.EXECUTIVE, is_active=True))


def for_event(event) -> list:
    """The people an event concerns, before their preferences."""
    pilot_id = event.pilot_id
    if pilot_id is None:
        return []
    payload = event.payload or {}
    match event.type:
        case EventType.REVIEW_REQUESTED:
            people = governance_leads_for(pilot_id)
        case EventType.REVIEW_DECIDED:
            # One email when the review closes, not one per approval of a multi-lead review.
            people = owners_of(pilot_id) if payload.get("status") != "pending" else []
        case EventType.REVIEW_COMMENTED:
            people = _commented(event)
        case (
            EventType.ALERT_OPENED | EventType.ALERT_RESOLVED | EventType.SOURCE_DEGRADED
            | EventType.SIGNAL_CHANGED | EventType.STAGE_CHANGED
        ):  # fmt: skip
            people = owners_and_operations_of(pilot_id)
        case EventType.WAIVER_GRANTED | EventType.WAIVER_REVOKED | EventType.WAIVER_EXPIRED:
            people = owners_of(pilot_id)
        case EventType.CHANGE_REQUESTED | EventType.CHANGE_DECIDED:
            people = owners_and_operations_of(pilot_id)
        case EventType.RECERTIFICATION_DUE:
            people = owners_of(pilot_id)
        case _:
            people = []
    # Nobody is told about what they did themselves.
    return [u for u in people if u.pk != event.actor_id]


def _commented(event) -> list:
    """Owners hear about leads' comments and the other way round; the requester too."""
    from gates.models import Review

    author_id = event.actor_id
    owners = owners_of(event.pilot_id)
    if author_id in {u.pk for u in owners}:
        return governance_leads_for(event.pilot_id)
    people = list(owners)
    review = Review.objects.filter(pk=event.payload.get("review_id")).first()
    if review is not None:
        people.append(review.requested_by)
    return _with_address(people)


def describe() -> list[tuple[str, str]]:
    """Who receives what, in words (README and the preferences page)."""
    leads = "governance leads who could decide it (no role on the pilot)"
    run = "the pilot's owners and operations lead"
    return [
        (EventType.REVIEW_REQUESTED, leads),
        (EventType.REVIEW_DECIDED, "the pilot's owners, when the review closes"),
        (EventType.REVIEW_COMMENTED, "the other side: leads for an owner's comment, owners "
         "and the requester for a lead's comment"),
        (EventType.STAGE_CHANGED, run),
        (EventType.SIGNAL_CHANGED, run),
        (EventType.ALERT_OPENED, run),
        (EventType.ALERT_RESOLVED, run),
        (EventType.SOURCE_DEGRADED, run),
        (EventType.WAIVER_GRANTED, "the pilot's owners"),
        (EventType.WAIVER_REVOKED, "the pilot's owners"),
        (EventType.WAIVER_EXPIRED, "the pilot's owners"),
        (EventType.CHANGE_REQUESTED, run),
        (EventType.CHANGE_DECIDED, run),
        (EventType.RECERTIFICATION_DUE, "the pilot's owners"),
        (REMINDERS, "governance leads (reviews waiting) and owners (operations review due)"),
    ]  # fmt: skip
