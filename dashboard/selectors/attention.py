"""What needs attention now: the dashboard's headline counts and the pilot list's filter.

Each kind is a condition on a pilot; the dashboard counts the visible pilots meeting each
(one query), and `?attention=KIND` on the pilot list shows exactly those pilots, so every
count links to the pilots behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import AuditEvent
from dashboard.selectors.pilots import open_alerts_q, over_expected_q
from gates import recertification
from gates.models import Review
from metrics.signal import STOP
from portfolio.models import Status


def hold_days() -> int:
    return settings.PILOTGATE_HOLD_ATTENTION_DAYS


def reminder_days() -> int:
    return settings.PILOTGATE_REVIEW_REMINDER_DAYS


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    help: str


LABELS = {
    "stop": "Signal is stop",
    "held": "Long holds",
    "review_waiting": "Reviews waiting",
    "stale": "Stale pilots",
    "alerts": "Open alerts",
    "recertification": "Recertification due",
}
KEYS = tuple(LABELS)


def kinds() -> tuple[Kind, ...]:
    """The kinds in the order the dashboard shows them (help texts carry the settings)."""
    helps = {
        "stop": "Active or on hold, and its evidence says stop.",
        "held": f"On hold for {hold_days()} days or more.",
        "review_waiting": f"A gate review asked for over {reminder_days()} days ago, undecided.",
        "stale": "Longer in their stage than expected, no review asked.",
        "alerts": "At least one metric alert not yet resolved.",
        "recertification": "At scale and due to be recertified within "
        f"{recertification.soon_days()} days, or overdue.",
    }
    return tuple(Kind(key, LABELS[key], helps[key]) for key in KEYS)


def _held_since() -> Case:
    """When the pilot went on hold: its last transition to on_hold in the audit trail (every
    transition writes one), else its last update. Looked up for pilots on hold only (the
    CASE keeps PostgreSQL from running the subquery for every other pilot)."""
    went_on_hold = AuditEvent.objects.filter(
        pilot_id=OuterRef("pk"), action="pilot.transition", after__status=Status.ON_HOLD
    ).order_by("-id")
    return Case(
        When(
            status=Status.ON_HOLD,
            then=Coalesce(Subquery(went_on_hold.values("created_at")[:1]), "updated_at"),
        ),
        default=None,
        output_field=DateTimeField(),
    )


def _pending_reviews(**conditions) -> QuerySet:
    """Pilot ids with a pending review: a semi-join PostgreSQL hashes once, where a
    correlated EXISTS would run once per pilot."""
    return Review.objects.filter(status="pending", **conditions).values("pilot_id")


def condition(key: str, now: datetime) -> Q:
    """The condition of one kind, as a filter on Pilot. KeyError for an unknown kind."""
    if key == "stop":
        return Q(signal__code=STOP) & ~Q(status=Status.STOPPED)
    if key == "held":
        # Annotated by `annotate_for`; the Q only compares.
        return Q(status=Status.ON_HOLD, held_since__lte=now - timedelta(days=hold_days()))
    if key == "review_waiting":
        return Q(pk__in=_pending_reviews(requested_at__lt=now - timedelta(days=reminder_days())))
    if key == "stale":
        # stale_q's meaning (active, too long in stage, no review asked), with the pending
        # reviews as a semi-join.
        return Q(status=Status.ACTIVE) & over_expected_q(now) & ~Q(pk__in=_pending_reviews())
    if key == "alerts":
        return open_alerts_q()
    if key == "recertification":
        # Annotated by `annotate_for` (the date its recertification clock counts from).
        return recertification.due_q(now)
    raise KeyError(key)


def annotate_for(queryset: QuerySet, keys) -> QuerySet:
    """The annotations the conditions of `keys` read."""
    if "held" in keys:
        queryset = queryset.annotate(held_since=_held_since())
    if "recertification" in keys:
        queryset = recertification.annotate_base(queryset)
    return queryset


def filter_pilots(queryset: QuerySet, key: str, now: datetime) -> QuerySet:
    return annotate_for(queryset, (key,)).filter(condition(key, now))


def attention_counts(pilots: QuerySet, now: datetime) -> list[dict]:
    """[{key, label, help, count}] over `pilots` (already restricted to what the reader may
    see), in one query."""
    # Each condition becomes a boolean column of the pilots, then is counted: a condition
    # with a correlated subquery (Exists) cannot sit in the aggregate's own FILTER clause.
    flagged = annotate_for(pilots.order_by(), KEYS).annotate(
        **{
            f"is_{key}": ExpressionWrapper(condition(key, now), output_field=BooleanField())
            for key in KEYS
        }
    )
    counts = flagged.aggregate(
        **{key: Count("pk", filter=Q(**{f"is_{key}": True})) for key in KEYS}
    )
    return [
        {"key": k.key, "label": k.label, "help": k.help, "count": counts[k.key]} for k in kinds()
    ]
