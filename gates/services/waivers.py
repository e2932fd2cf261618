"""Waivers of a criterion for one pilot."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from config.errors import Conflict
from gates import engine, selectors
from gates.labels import criteria_labels
from gates.models import Waiver
from outbox.catalog import EventType
from outbox.services import publish
from portfolio.models import Pilot

MAX_WAIVER_DAYS = 365
MAX_REVOKE_REASON = 2000


def waivable_keys(pilot: Pilot) -> dict[str, str]:
    """criterion key -> label of the criteria of the pilot's next gate."""
    gate = selectors.next_gate(pilot)
    if gate is None or selectors.current_version(gate) is None:
        return {}
    _, criteria = selectors.pilot_criteria(pilot=pilot, gate=gate)
    return criteria_labels(criteria)


@transaction.atomic
def waiver_grant(
    *,
    pilot: Pilot,
    criterion_key: str,
    justification: str,
    expires_at: datetime,
    by,
    now: datetime | None = None,
) -> Waiver:
    """A governance lead (not on this pilot) waives one criterion until `expires_at`."""
    now = now or timezone.now()
    rules.ensure_visible(by, pilot)
    rules.ensure(
        rules.can_waive(by, pilot), by, "grant_waiver", f"pilot:{pilot.pk}",
        "Only a governance lead without a role on this pilot can grant a waiver.",
    )  # fmt: skip
    justification = (justification or "").strip()
    errors: dict[str, str] = {}
    keys = waivable_keys(pilot)
    if criterion_key not in keys:
        errors["criterion_key"] = "Choose a criterion of this pilot's next gate."
    if not justification:
        errors["justification"] = "Explain why this criterion may be waived."
    elif len(justification) > 4000:
        errors["justification"] = "Keep the justification to 4,000 characters or fewer."
    if not isinstance(expires_at, datetime):
        errors["expires_at"] = "Give an expiry date and time."
    elif timezone.is_naive(expires_at):
        errors["expires_at"] = "Give the expiry with a time zone."
    elif expires_at <= now:
        errors["expires_at"] = "The expiry must be in the future."
    elif expires_at > now + timedelta(days=MAX_WAIVER_DAYS):
        errors["expires_at"] = f"A waiver lasts at most {MAX_WAIVER_DAYS} days."
    if errors:
        raise ValidationError(errors)
    if Pilot.objects.filter(pk=pilot.pk, status="stopped").exists():
        raise Conflict("This pilot is stopped; waivers no longer apply.")
    waiver = Waiver.objects.create(
        pilot=pilot,
        criterion_key=criterion_key,
        justification=justification,
        expires_at=expires_at,
        granted_by=by,
        granted_at=now,
    )
    audit_record(
        actor=by,
        action="waiver.grant",
        obj=waiver,
        pilot_id=pilot.pk,
        after={
            "criterion_key": criterion_key,
            "justification": justification,
            "expires_at": expires_at,
        },
    )
    publish(
        EventType.WAIVER_GRANTED, pilot=pilot, actor=by, now=now,
        payload={"waiver_id": waiver.pk, "criterion_key": criterion_key,
                 "expires_at": expires_at, "granted_by": by.get_username()},
    )  # fmt: skip
    return waiver


def failing_criteria(pilot: Pilot, *, now: datetime | None = None) -> list[engine.Result]:
    """The criteria of the pilot's next gate that do not pass now and hold no waiver:
    the only ones worth waiving (mandatory ones first)."""
    gate = selectors.next_gate(pilot)
    if gate is None or selectors.current_version(gate) is None:
        return []
    live = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=now or timezone.now())
    failing = [r for r in live.evaluation.results if r.status != engine.PASS and not r.waived]
    return sorted(failing, key=lambda r: not r.mandatory)


@transaction.atomic
def waivers_grant(
    *,
    pilot: Pilot,
    criterion_keys: list[str],
    justification: str,
    expires_at: datetime,
    by,
    now: datetime | None = None,
) -> list[Waiver]:
    """Waive several failing criteria at once, with one justification and expiry: one
    waiver (and audit event) each, all or none. A criterion that passes, or is waived
    already, is refused: there is nothing to waive."""
    now = now or timezone.now()
    rules.ensure_visible(by, pilot)
    rules.ensure(
        rules.can_waive(by, pilot), by, "grant_waiver", f"pilot:{pilot.pk}",
        "Only a governance lead without a role on this pilot can grant a waiver.",
    )  # fmt: skip
    keys = list(dict.fromkeys(criterion_keys or []))
    if not keys:
        raise ValidationError({"criterion_keys": "Choose at least one failing criterion."})
    failing = {r.criterion_key for r in failing_criteria(pilot, now=now)}
    labels = waivable_keys(pilot)
    passing = [labels.get(k, k) for k in keys if k not in failing]
    if passing:
        raise ValidationError(
            {
                "criterion_keys": "Only failing criteria can be waived; "
                f"{', '.join(passing)} "
                f"{'passes or is' if len(passing) == 1 else 'pass or are'} already waived."
            }
        )
    return [
        waiver_grant(
            pilot=pilot,
            criterion_key=key,
            justification=justification,
            expires_at=expires_at,
            by=by,
            now=now,
        )  # fmt: skip
        for key in keys
    ]


@transaction.atomic
def waiver_revoke(*, waiver: Waiver, reason: str, by, now: datetime | None = None) -> Waiver:
    """A governance lead (not on this pilot) withdraws an active waiver before it expires.

    The waiver row stays, marked revoked with who and why; from this moment on it no longer
    covers its criterion. The pilot's owners are told once the change commits.
    """
    now = now or timezone.now()
    rules.ensure_visible(by, waiver.pilot)
    rules.ensure(
        rules.can_revoke_waiver(by, waiver), by, "revoke_waiver", f"waiver:{waiver.pk}",
        "Only a governance lead without a role on this pilot can revoke its waivers.",
    )  # fmt: skip
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the waiver is revoked."})
    if len(reason) > MAX_REVOKE_REASON:
        raise ValidationError(
            {"reason": f"Keep the reason to {MAX_REVOKE_REASON:,} characters or fewer."}
        )
    # Lock the pilot as a review request does, so a request is evaluated either wholly
    # before the revocation or wholly after it.
    Pilot.objects.select_for_update().get(pk=waiver.pilot_id)
    revoked = Waiver.objects.filter(
        pk=waiver.pk, revoked_at__isnull=True, expires_at__gt=now
    ).update(revoked_at=now, revoked_by=by, revoke_reason=reason)
    if revoked != 1:
        current = Waiver.objects.filter(pk=waiver.pk).first()
        if current is None or current.revoked_at is not None:
            raise Conflict("This waiver is already revoked; reload to see who revoked it.")
        raise Conflict("This waiver has already expired; it no longer counts.")
    waiver.refresh_from_db()
    audit_record(
        actor=by,
        action="waiver.revoke",
        obj=waiver,
        pilot_id=waiver.pilot_id,
        before={"criterion_key": waiver.criterion_key, "revoked_at": None},
        after={"criterion_key": waiver.criterion_key, "revoked_at": now, "reason": reason},
    )
    publish(
        EventType.WAIVER_REVOKED, pilot=waiver.pilot_id, actor=by, now=now,
        payload={"waiver_id": waiver.pk, "criterion_key": waiver.criterion_key,
                 "reason": reason, "revoked_by": by.get_username()},
    )  # fmt: skip
    return waiver


def waivers_publish_expired(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish `waiver.expired` once for each unrevoked waiver whose expiry has passed.

    Each waiver is claimed by a conditional update in the same transaction as its event,
    so two beat runs at once, or a run after a crash, never publish one expiry twice."""
    now = now or timezone.now()
    due = Waiver.objects.filter(
        revoked_at__isnull=True, expires_at__lte=now, expiry_published_at__isnull=True
    ).values_list("pk", "pilot_id", "criterion_key")[:limit]
    published_count = 0
    for pk, pilot_id, criterion_key in list(due):
        with transaction.atomic():
            claimed = Waiver.objects.filter(
                pk=pk, revoked_at__isnull=True, expiry_published_at__isnull=True
            ).update(expiry_published_at=now)
            if not claimed:
                continue
            publish(
                EventType.WAIVER_EXPIRED, pilot=pilot_id, actor=None, now=now,
                payload={"waiver_id": pk, "criterion_key": criterion_key},
            )  # fmt: skip
            published_count += 1
    return published_count
