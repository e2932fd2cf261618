"""Email about reviews and waivers.

Called after commit with ids, so a rolled-back change sends nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.urls import reverse

from accounts import rules
from accounts.models import GlobalRole
from gates.engine.wording import humanize
from gates.models import Comment, Review, Waiver
from portfolio.models import RiskTier, Stage

logger = logging.getLogger(__name__)


def _site() -> str:
    return getattr(settings, "PILOTGATE_BASE_URL", "").rstrip("/")


def review_url(review: Review) -> str:
    return _site() + reverse("gates:review_detail", args=[review.pk])


def governance_leads_for(pilot) -> list:
    """Leads who could decide this pilot's review (none holding a role on it)."""
    users = (
        get_user_model()
        .objects.filter(groups__name=GlobalRole.GOVERNANCE_LEAD, is_active=True)
        .exclude(pilot_roles__pilot=pilot)
    )
    return [u for u in users.distinct() if u.email]


def owners_of(pilot) -> list:
    holders = [r.user for r in pilot.roles.select_related("user") if r.role in rules.OWNER_ROLES]
    return [u for u in holders if u.email and u.is_active]


def _step(review: Review) -> str:
    """ "Discovery → Pilot": the stages by their labels, never their codes."""
    stages = dict(Stage.choices)
    return f"{stages.get(review.from_stage, review.from_stage)} → " + stages.get(
        review.to_stage, review.to_stage
    )


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _criterion(key: str) -> str:
    """A waived criterion in words ("technical_owner_named" -> "Technical owner named")."""
    text = humanize(key)
    return text[:1].upper() + text[1:]


def _send(messages: list[tuple[str, str, str, list[str]]]) -> int:
    if not messages:
        return 0
    try:
        return send_mass_mail(messages, fail_silently=False)
    except OSError:
        # A mail server outage must not undo a committed decision; the page shows it anyway.
        logger.exception("could not send %s review emails", len(messages))
        return 0


def _one_each(users, subject: str, body: str) -> list:
    sender = settings.DEFAULT_FROM_EMAIL
    return [(subject, body, sender, [u.email]) for u in {u.pk: u for u in users}.values()]


def review_requested(review_id: int) -> int:
    review = Review.objects.select_related("pilot", "requested_by").get(pk=review_id)
    pilot = review.pilot
    subject = f"Review requested: {pilot.name} ({_step(review)})"
    tier = dict(RiskTier.choices).get(pilot.risk_tier, pilot.risk_tier)
    body = (
        f"{review.requested_by} asks for a gate review of {pilot.name} ({_step(review)}).\n"
        f"Risk tier {tier.lower()}: "
        f"{_plural(review.approvals_needed, 'approval', 'approvals')} needed.\n\n"
        f"Open the review: {review_url(review)}\n"
    )
    return _send(_one_each(governance_leads_for(pilot), subject, body))


def review_decided(review_id: int) -> int:
    review = Review.objects.select_related("pilot").get(pk=review_id)
    pilot = review.pilot
    lines = [
        f"- {d.decided_by}: {d.get_decision_display()}. {d.rationale}".rstrip()
        for d in review.decisions.select_related("decided_by")
    ]
    subject = f"Gate review of {pilot.name}: {review.get_status_display().lower()}"
    body = (
        f"The review of {pilot.name} ({_step(review)}) is closed: "
        f"{review.get_status_display().lower()}.\n\n" + "\n".join(lines) + "\n\n"
        f"Details: {review_url(review)}\n"
    )
    return _send(_one_each(owners_of(pilot), subject, body))


def comment_added(comment_id: int) -> int:
    """Owners hear about leads' comments and the other way round."""
    comment = Comment.objects.select_related("review__pilot", "author").get(pk=comment_id)
    review, author = comment.review, comment.author
    pilot = review.pilot
    author_is_owner = bool(rules.OWNER_ROLES & rules.pilot_roles_of(author, pilot))
    if author_is_owner:
        recipients = governance_leads_for(pilot)
    else:
        recipients = owners_of(pilot)
        if review.requested_by.email:
            recipients.append(review.requested_by)
    recipients = [u for u in recipients if u.pk != author.pk]
    subject = f"New comment on the review of {pilot.name}"
    body = f"{author} wrote:\n\n{comment.body}\n\nReply here: {review_url(review)}\n"
    return _send(_one_each(recipients, subject, body))


def review_waiting(review_id: int, *, now) -> int:
    review = Review.objects.select_related("pilot").get(pk=review_id)
    pilot = review.pilot
    age = (now - review.requested_at).days
    subject = f"Waiting {_plural(age, 'day', 'days')}: review of {pilot.name}"
    body = (
        f"The review of {pilot.name} ({_step(review)}) has waited "
        f"{_plural(age, 'day', 'days')} for a decision.\n\nOpen it: {review_url(review)}\n"
    )
    return _send(_one_each(governance_leads_for(pilot), subject, body))


def operations_review_overdue(pilot, *, due) -> int:
    subject = f"Operations review of {pilot.name} is overdue"
    body = (
        f"The operations workbook of {pilot.name} set the next review for {due:%Y-%m-%d}, "
        "which has passed. Hold the review and set the next date.\n\n"
        f"{_site()}{pilot.get_absolute_url()}\n"
    )
    return _send(_one_each(owners_of(pilot), subject, body))


def waiver_revoked(waiver_id: int) -> int:
    """Owners hear that a criterion they relied on counts again."""
    waiver = Waiver.objects.select_related("pilot", "granted_by", "revoked_by").get(pk=waiver_id)
    pilot = waiver.pilot
    criterion = _criterion(waiver.criterion_key)
    subject = f"Waiver revoked: {criterion} on {pilot.name}"
    body = (
        f"{waiver.revoked_by} revoked the waiver of {criterion} for {pilot.name} "
        f"(granted by {waiver.granted_by}, due to expire {waiver.expires_at:%Y-%m-%d %H:%M} UTC)."
        f"\n\nReason: {waiver.revoke_reason}\n\n"
        "From now on the criterion counts again in the gate evaluation.\n\n"
        f"{_site()}{pilot.get_absolute_url()}\n"
    )
    return _send(_one_each(owners_of(pilot), subject, body))


def recertification_due(pilot, *, due, overdue: bool) -> int:
    """Owners hear that their pilot at scale is due (or overdue) to be recertified."""
    if overdue:
        subject = f"Recertification of {pilot.name} is overdue"
        lead = f"{pilot.name} was due to be recertified on {due:%Y-%m-%d}."
    else:
        subject = f"Recertification of {pilot.name} is due on {due:%Y-%m-%d}"
        lead = f"{pilot.name} is due to be recertified on {due:%Y-%m-%d}."
    body = (
        f"{lead} Request a recertification review from the pilot's page; governance "
        "leads review it against the scale gate's criteria.\n\n"
        f"{_site()}{pilot.get_absolute_url()}\n"
    )
    return _send(_one_each(owners_of(pilot), subject, body))
