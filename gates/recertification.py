"""When a pilot at scale is due to be recertified (read side; writes: services/recertify.py).

A pilot at scale is reviewed again every N months, N by its risk tier
(`RecertificationPolicy`, data). The clock starts when the pilot reached scale and restarts
at each approved recertification review: the next due date is derived from those two dates,
never stored, so an approval, a change of policy or of risk tier moves it at once.

"Due" means the date falls within PILOTGATE_RECERTIFICATION_DUE_SOON_DAYS from now;
"overdue" that it has passed. Stopped pilots are never due.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import DateTimeField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from gates.models import APPROVED_STATUSES, RecertificationPolicy, Review, ReviewKind
from portfolio.models import RiskTier, Stage, Status

# What the data migration loads; used only if a row is missing.
DEFAULT_MONTHS = {RiskTier.HIGH: 6, RiskTier.MEDIUM: 12, RiskTier.LOW: 18}
BASE = "recertification_base"


def soon_days() -> int:
    return settings.PILOTGATE_RECERTIFICATION_DUE_SOON_DAYS


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` moved by whole calendar months (the 31st becomes the month's last day)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def policy_months() -> dict[str, int]:
    """risk tier -> months between recertifications."""
    months = {str(k): v for k, v in DEFAULT_MONTHS.items()}
    months.update(RecertificationPolicy.objects.values_list("risk_tier", "months"))
    return months


def last_recertified() -> Subquery:
    """When the pilot's latest approved recertification review closed."""
    approved = Review.objects.filter(
        pilot_id=OuterRef("pk"), kind=ReviewKind.RECERTIFICATION, status__in=APPROVED_STATUSES
    ).order_by("-closed_at")
    return Subquery(approved.values("closed_at")[:1], output_field=DateTimeField())


def annotate_base(queryset: QuerySet) -> QuerySet:
    """Adds `recertification_base`: the date the recertification clock counts from."""
    return queryset.annotate(**{BASE: Coalesce(last_recertified(), "stage_entered_at")})


def _due_by_q(moment: datetime, months: dict[str, int]) -> Q:
    """Pilots (annotated by annotate_base) whose due date is on or before `moment`."""
    by_tier = Q(pk__in=[])
    for tier, count in months.items():
        by_tier |= Q(risk_tier=tier, **{f"{BASE}__lte": add_months(moment, -count)})
    return Q(stage=Stage.SCALE) & ~Q(status=Status.STOPPED) & by_tier


def due_q(now: datetime, months: dict[str, int] | None = None) -> Q:
    """Due within the notice period, or overdue (needs annotate_base)."""
    return _due_by_q(now + timedelta(days=soon_days()), months or policy_months())


def overdue_q(now: datetime, months: dict[str, int] | None = None) -> Q:
    """Past the due date (needs annotate_base)."""
    return _due_by_q(now, months or policy_months())


def due_date(pilot, months: dict[str, int] | None = None) -> datetime | None:
    """The pilot's next recertification date; None when it is not at scale or is stopped."""
    if pilot.stage != Stage.SCALE or pilot.status == Status.STOPPED:
        return None
    months = months or policy_months()
    base = getattr(pilot, BASE, None)
    if base is None:
        last = (
            Review.objects.filter(
                pilot=pilot, kind=ReviewKind.RECERTIFICATION, status__in=APPROVED_STATUSES
            )
            .order_by("-closed_at")
            .values_list("closed_at", flat=True)
            .first()
        )
        base = last or pilot.stage_entered_at
    return add_months(base, months.get(pilot.risk_tier, DEFAULT_MONTHS[RiskTier.MEDIUM]))


def state(pilot, now: datetime, months: dict[str, int] | None = None) -> str:
    """ "overdue", "due", "ok" or "" (not at scale)."""
    when = due_date(pilot, months)
    if when is None:
        return ""
    if when <= now:
        return "overdue"
    if when <= now + timedelta(days=soon_days()):
        return "due"
    return "ok"


def due_pilots(queryset: QuerySet, now: datetime) -> QuerySet:
    return annotate_base(queryset).filter(due_q(now))


def overdue_pilots(queryset: QuerySet, now: datetime) -> QuerySet:
    return annotate_base(queryset).filter(overdue_q(now))
