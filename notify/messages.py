"""What each notice says: a subject, a few sentences and a link back, in plain words.

Built from the event's payload and the rows it names, so an email reads like the pages
(stages, statuses, metrics and signals by their labels, never their codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse

from gates.engine.wording import humanize
from gates.models import Review, ReviewKind
from metrics.catalog import metric_label, metric_names
from metrics.signal import SIGNAL_LABELS, STOP
from outbox.catalog import EventType
from portfolio.models import Pilot, RiskTier, Stage, Status


@dataclass
class Message:
    subject: str
    paragraphs: list[str] = field(default_factory=list)
    link: str = ""
    link_label: str = "Open in Pilotgate"


def site() -> str:
    return getattr(settings, "PILOTGATE_BASE_URL", "").rstrip("/")


def absolute(path: str) -> str:
    return site() + path


def plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def criterion(key: str) -> str:
    """A waived criterion in words ("technical_owner_named" -> "Technical owner named")."""
    text = humanize(key)
    return text[:1].upper() + text[1:]


def _stage(code: str) -> str:
    return dict(Stage.choices).get(code, code or "")


def _status(code: str) -> str:
    return dict(Status.choices).get(code, code or "")


def step(from_stage: str, to_stage: str, kind: str = ReviewKind.GATE) -> str:
    """ "Discovery → Pilot": the stages by their labels, never their codes; a change or
    recertification review stays in its stage ("Change review in Scale")."""
    if kind != ReviewKind.GATE:
        return f"{_kind(kind)} in {_stage(to_stage)}"
    return f"{_stage(from_stage)} → {_stage(to_stage)}"


def _kind(kind: str) -> str:
    return dict(ReviewKind.choices).get(kind or ReviewKind.GATE, "Review")


def review_link(review_id) -> str:
    return absolute(reverse("gates:review_detail", args=[review_id])) if review_id else ""


def compose(event) -> Message:
    """The notice for one outbox event (the same for every recipient)."""
    pilot = Pilot.objects.filter(pk=event.pilot_id).first() if event.pilot_id else None
    name = pilot.name if pilot else "a pilot that no longer exists"
    pilot_link = absolute(pilot.get_absolute_url()) if pilot else site() + "/"
    p = event.payload or {}
    # People by their names (as the pages show them); the payload keeps usernames.
    who = str(event.actor) if event.actor else ""
    match event.type:
        case EventType.REVIEW_REQUESTED:
            kind = p.get("kind", ReviewKind.GATE)
            review = Review.objects.filter(pk=p.get("review_id")).first()
            tier = dict(RiskTier.choices).get(pilot.risk_tier, "") if pilot else ""
            needed = review.approvals_needed if review else 1
            return Message(
                f"Review requested: {name} ({step(p.get('from_stage'), p.get('to_stage'), kind)})",
                [f"{who or p.get('requested_by')} asks for a {_kind(kind).lower()} of {name} "
                 f"({step(p.get('from_stage'), p.get('to_stage'), kind)}).",
                 f"Risk tier {tier.lower()}: {plural(needed, 'approval', 'approvals')} needed."],
                review_link(p.get("review_id")), "Open the review",
            )  # fmt: skip
        case EventType.REVIEW_DECIDED:
            review = Review.objects.filter(pk=p.get("review_id")).first()
            outcome = review.get_status_display().lower() if review else p.get("status", "")
            lines = []
            if review is not None:
                for d in review.decisions.select_related("decided_by"):
                    lines.append(
                        f"{d.decided_by}: {d.get_decision_display()}. {d.rationale}".strip()
                    )
                moved = step(review.from_stage, review.to_stage, review.kind)
            else:
                moved = ""
            return Message(
                f"{_kind(p.get('kind', ReviewKind.GATE))} of {name}: {outcome}",
                [f"The review of {name} ({moved}) is closed: {outcome}.", *lines],
                review_link(p.get("review_id")),
                "See the decision",
            )
        case EventType.REVIEW_COMMENTED:
            return Message(
                f"New comment on the review of {name}",
                [f"{who or p.get('author')} wrote:", str(p.get("body", ""))],
                review_link(p.get("review_id")),
                "Reply on the review",
            )
        case EventType.STAGE_CHANGED:
            moves = []
            if p.get("from_stage") != p.get("to_stage"):
                moves.append(
                    f"moved from {_stage(p.get('from_stage'))} to {_stage(p.get('to_stage'))}"
                )
            if p.get("from_status") != p.get("to_status"):
                moves.append(f"is now {_status(p.get('to_status')).lower()}")
            did = " and ".join(moves) or "changed"
            lines = [f"{name} {did}."]
            if p.get("reason"):
                lines.append(f"Reason: {p['reason']}")
            return Message(f"{name} {did}", lines, pilot_link, "Open the pilot")
        case EventType.SIGNAL_CHANGED:
            before = SIGNAL_LABELS.get(p.get("from_code"), "none")
            after = p.get("label") or SIGNAL_LABELS.get(p.get("to_code"), "")
            reasons = [str(r) for r in p.get("reasons") or []]
            if p.get("to_code") == STOP:
                subject = f"Stop condition breached: {name}"
                first = f"{name} now meets a stop condition; its recommendation is {after.lower()}."
            else:
                subject = f"Recommendation for {name}: {after.lower()}"
                first = (
                    f"The recommendation for {name} changed from {before.lower()} "
                    f"to {after.lower()}."
                )
            return Message(subject, [first, *reasons], pilot_link, "Open the pilot")
        case EventType.ALERT_OPENED | EventType.ALERT_RESOLVED:
            metric = metric_label(p.get("metric"), metric_names())
            link = pilot_link
            if event.type == EventType.ALERT_OPENED:
                return Message(
                    f"Alert on {name}: {metric}",
                    [f"{metric} on {name} crossed its threshold: {p.get('value')} "
                     f"against {p.get('threshold')} ({p.get('severity')})."],
                    link, "See the alerts",
                )  # fmt: skip
            note = f" Note: {p['note']}" if p.get("note") else ""
            return Message(
                f"Alert resolved on {name}: {metric}",
                [f"The alert on {metric} for {name} was resolved.{note}"],
                link,
                "See the alerts",
            )
        case EventType.SOURCE_DEGRADED:
            return Message(
                f"Metric source failing: {p.get('source')} on {name}",
                [f"The source {p.get('source')} of {name} failed "
                 f"{plural(int(p.get('consecutive_failures') or 0), 'time', 'times')} in a row "
                 "and is marked degraded; its metrics are not being updated.",
                 f"Last error: {p.get('last_error')}"],
                pilot_link, "Open the pilot",
            )  # fmt: skip
        case EventType.WAIVER_GRANTED | EventType.WAIVER_REVOKED | EventType.WAIVER_EXPIRED:
            what = criterion(p.get("criterion_key", ""))
            if event.type == EventType.WAIVER_GRANTED:
                return Message(
                    f"Criterion waived: {what} on {name}",
                    [f"{who or p.get('granted_by')} waived {what} for {name} "
                     f"until {str(p.get('expires_at', ''))[:10]}."],
                    pilot_link, "Open the pilot",
                )  # fmt: skip
            if event.type == EventType.WAIVER_REVOKED:
                return Message(
                    f"Waiver revoked: {what} on {name}",
                    [f"{who or p.get('revoked_by')} revoked the waiver of {what} for {name}.",
                     f"Reason: {p.get('reason', '')}",
                     "From now on the criterion counts again in the gate evaluation."],
                    pilot_link, "Open the pilot",
                )  # fmt: skip
            return Message(
                f"Waiver expired: {what} on {name}",
                [f"The waiver of {what} for {name} expired; the criterion counts again."],
                pilot_link,
                "Open the pilot",
            )
        case EventType.CHANGE_REQUESTED:
            material = p.get("status") == "pending"
            return Message(
                f"Change {'awaiting review' if material else 'recorded'}: {name}",
                [f"{who or 'A delivery pipeline'} changed {name}: {p.get('kind', 'asset')} "
                 f"{p.get('from') or '(none)'} → {p.get('to') or '(removed)'}.",
                 "It is a material change: governance leads review it before it applies."
                 if material else "It is recorded; it needs no approval."],
                review_link(p.get("review_id")) if material else pilot_link,
                "Open the review" if material else "Open the pilot",
            )  # fmt: skip
        case EventType.CHANGE_DECIDED:
            applied = bool(p.get("applied"))
            return Message(
                f"Change {'applied' if applied else 'not applied'}: {name}",
                [f"The change review of {name} closed ({p.get('status', '')}); the change "
                 f"{'now applies' if applied else 'was dropped'}."],
                review_link(p.get("review_id")), "Open the review",
            )  # fmt: skip
        case EventType.RECERTIFICATION_DUE:
            due_on = p.get("due_on", "")
            if p.get("overdue"):
                subject, lead = (f"Recertification of {name} is overdue",
                                 f"{name} was due to be recertified on {due_on}.")  # fmt: skip
            else:
                subject, lead = (f"Recertification of {name} is due on {due_on}",
                                 f"{name} is due to be recertified on {due_on}.")  # fmt: skip
            return Message(
                subject,
                [lead, "Request a recertification review from the pilot's page; governance "
                 "leads review it against the scale gate's criteria."],
                pilot_link, "Open the pilot",
            )  # fmt: skip
    return Message(f"{event.get_type_display()}: {name}", [], pilot_link)
