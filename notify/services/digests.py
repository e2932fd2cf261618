"""The daily digest of chosen events, and the weekly portfolio digest."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts import rules
from notify import recipients
from notify.catalog import (
    WEEKLY_DIGEST,
    Mode,
)
from notify.messages import Message, absolute, compose, plural
from notify.models import (
    DigestEntry,
    Email,
    Preference,
)
from notify.services.delivery import email_queue, render_email
from outbox.catalog import EventType
from outbox.models import Event
from portfolio.models import Pilot

User = get_user_model()


def daily_digests_send(*, now: datetime | None = None) -> int:
    """One email per person gathering their digest entries not sent yet."""
    now = now or timezone.now()
    pending = DigestEntry.objects.filter(email__isnull=True).select_related("user", "event")
    by_user = defaultdict(list)
    for entry in pending.order_by("event__occurred_at", "pk"):
        by_user[entry.user_id].append(entry)
    sent = 0
    for entries in by_user.values():
        user = entries[0].user
        with transaction.atomic():
            ids = [e.pk for e in entries]
            # Claim: a second run at the same time finds them taken.
            claimed = DigestEntry.objects.select_for_update(skip_locked=True).filter(
                pk__in=ids, email__isnull=True
            )
            entries = [e for e in entries if e.pk in set(claimed.values_list("pk", flat=True))]
            if not entries or not user.email or not user.is_active:
                continue
            message = Message(
                f"Pilotgate daily digest: {plural(len(entries), 'update', 'updates')}",
                link=absolute(reverse("dashboard:home")), link_label="Open Pilotgate",
            )  # fmt: skip
            text, html = render_email(user=user, topic="", message=message, template="digest",
                                      entries=entries)  # fmt: skip
            email = email_queue(user=user, topic="digest.daily", message=message,
                                text=text, html=html)  # fmt: skip
            DigestEntry.objects.filter(pk__in=[e.pk for e in entries]).update(email=email)
            sent += 1
    return sent


WEEKLY_TYPES = (EventType.SIGNAL_CHANGED, EventType.STAGE_CHANGED, EventType.REVIEW_DECIDED)


def weekly_readers() -> list:
    """Executives (unless they turned it off) and anyone who turned it on."""
    wanted = Preference.objects.filter(topic=WEEKLY_DIGEST)
    on = set(wanted.filter(mode=Mode.IMMEDIATE).values_list("user_id", flat=True))
    off = set(wanted.filter(mode=Mode.OFF).values_list("user_id", flat=True))
    execs = {u.pk for u in recipients.executives()}
    ids = (execs - off) | on
    return [u for u in User.objects.filter(pk__in=ids, is_active=True) if u.email]


def weekly_summary(*, user, now: datetime) -> dict:
    """What changed in the week among the pilots `user` sees, and the headline figures
    (the dashboard's own selectors, so the numbers match the page)."""
    from dashboard.filters import DashboardFilters
    from dashboard.selectors.economics import economics
    from dashboard.selectors.pilots import in_view
    from dashboard.selectors.scope import scope_for
    from dashboard.selectors.sections import funnel_and_age, pilot_counts

    since = now - timedelta(days=7)
    visible = rules.visible_pilots(user, Pilot.objects.all())
    names = dict(visible.values_list("pk", "name"))
    events = (
        Event.objects.filter(
            type__in=WEEKLY_TYPES, occurred_at__gte=since, occurred_at__lt=now, pilot_id__in=names
        )
        .select_related("actor")
        .exclude(Q(type=EventType.REVIEW_DECIDED) & Q(payload__status="pending"))
    )
    sections = {"signals": [], "moves": [], "decisions": [], "stops_holds": []}
    for event in events.order_by("occurred_at", "pk"):
        line = compose(event)
        p = event.payload
        if event.type == EventType.SIGNAL_CHANGED:
            sections["signals"].append(line)
            if p.get("to_code") in ("stop", "hold"):
                sections["stops_holds"].append(line)
        elif event.type == EventType.STAGE_CHANGED:
            sections["moves"].append(line)
            if p.get("to_status") in ("stopped", "on_hold") and p.get("from_status") != p.get(
                "to_status"
            ):
                sections["stops_holds"].append(line)
        else:
            sections["decisions"].append(line)
    view = in_view(user=user, filters=DashboardFilters(), now=now)
    counted = pilot_counts(view)
    totals = funnel_and_age(counted, now=now)
    money = economics(scope_for(view=view), counted, now=now)
    changes = sum(len(v) for k, v in sections.items() if k != "stops_holds")
    return {"since": since, "until": now, "sections": sections, "totals": totals,
            "economics": money, "changes": changes}  # fmt: skip


def weekly_digest_send(*, now: datetime | None = None) -> int:
    """The weekly portfolio digest, once per reader per week."""
    from config.money import format_money

    now = now or timezone.now()
    sent = 0
    for user in weekly_readers():
        already = Email.objects.filter(
            user=user, topic=WEEKLY_DIGEST, created_at__gte=now - timedelta(days=6)
        ).exists()
        if already:
            continue
        summary = weekly_summary(user=user, now=now)
        money = (summary["economics"] or {}).get("totals") or {}
        figures = [
            ("Pilots in the portfolio", f"{summary['totals']['total']:,}"),
            ("Planned net value a year", format_money(money.get("net_value"))),
            ("Planned run cost a year", format_money(money.get("annual_cost"))),
            ("Measured run cost a year", format_money(money.get("realized_annual_cost"))),
        ]
        message = Message(
            f"Pilotgate weekly: {plural(summary['changes'], 'change', 'changes')} in the portfolio",
            link=absolute(reverse("dashboard:home")), link_label="Open the portfolio dashboard",
        )  # fmt: skip
        with transaction.atomic():
            text, html = render_email(
                user=user, topic=WEEKLY_DIGEST, message=message, template="weekly",
                summary=summary, figures=figures,
            )  # fmt: skip
            email_queue(user=user, topic=WEEKLY_DIGEST, message=message, text=text, html=html)
        sent += 1
    return sent
