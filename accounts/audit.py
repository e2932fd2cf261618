"""Writing and verifying the audit chain.

`audit_record` is called by services inside their transaction, so the event commits or
rolls back with the change it describes. Appends are serialised (an advisory lock on
PostgreSQL; SQLite already serialises writers) so the chain has a single head.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 7_402_110_551  # arbitrary, fixed: "the audit chain"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def to_jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Normalise a before/after dict to what JSONField will store and return."""
    return json.loads(json.dumps(data, default=_json_default, sort_keys=True))


def compute_hash(
    *,
    prev_hash: str,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    pilot_id: int | None,
    before: dict,
    after: dict,
    created_at: datetime,
) -> str:
    payload = json.dumps(
        [
            prev_hash,
            actor_id,
            actor_label,
            action,
            object_type,
            str(object_id),
            pilot_id,
            before,
            after,
            created_at.isoformat(),
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=_json_default,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def head_seal(*, count: int, last_id: int, last_hash: str) -> str:
    """HMAC over the head's fields with AUDIT_HMAC_KEY (kept out of the database)."""
    message = f"pilotgate-audit-head:{count}:{last_id}:{last_hash}".encode()
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), message, hashlib.sha256).hexdigest()


def head_write(*, count: int, last_id: int, last_hash: str) -> None:
    seal = head_seal(count=count, last_id=last_id, last_hash=last_hash)
    AuditHead.objects.update_or_create(
        pk=1,
        defaults={
            "count": count,
            "last_id": last_id,
            "last_hash": last_hash,
            "seal": seal,
            "updated_at": timezone.now(),
        },
    )


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])


@transaction.atomic
def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    pilot_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain. `obj` gives type and id unless they are passed."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    if object_type is None or object_id is None:
        raise ValueError("audit_record needs obj or object_type and object_id")
    before_json = to_jsonable(before or {})
    after_json = to_jsonable(after or {})
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    _lock_chain()
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    prev_hash = last or GENESIS_HASH
    # Microsecond precision survives every backend's round trip, so the hash is stable.
    created_at = timezone.now()
    actor_label = actor.get_username() if actor_id else "system"
    digest = compute_hash(
        prev_hash=prev_hash,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        pilot_id=pilot_id,
        before=before_json,
        after=after_json,
        created_at=created_at,
    )
    event = AuditEvent.objects.create(
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        pilot_id=pilot_id,
        before=before_json,
        after=after_json,
        created_at=created_at,
        prev_hash=prev_hash,
        hash=digest,
    )
    # The head moves in the same transaction as the append, under the same lock.
    head = AuditHead.objects.filter(pk=1).values_list("count", flat=True).first()
    count = head + 1 if head is not None else AuditEvent.objects.count()
    head_write(count=count, last_id=event.id, last_hash=digest)
    return event


@dataclass(frozen=True)
class Entry:
    """One event for `audit_record_many` (the arguments of `audit_record`)."""

    action: str
    object_type: str
    object_id: str | int
    pilot_id: int | None = None
    before: dict | None = None
    after: dict | None = None


@transaction.atomic
def audit_record_many(*, actor, entries: list[Entry]) -> int:
    """Append many events by one actor in order, as `audit_record` would one by one: the
    same chain of hashes, under the same lock, in a few statements (a bulk import)."""
    if not entries:
        return 0
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_label = actor.get_username() if actor_id else "system"
    _lock_chain()
    prev_hash = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    prev_hash = prev_hash or GENESIS_HASH
    events = []
    for entry in entries:
        before_json = to_jsonable(entry.before or {})
        after_json = to_jsonable(entry.after or {})
        created_at = timezone.now()
        digest = compute_hash(
            prev_hash=prev_hash, actor_id=actor_id, actor_label=actor_label,
            action=entry.action, object_type=entry.object_type,
            object_id=str(entry.object_id), pilot_id=entry.pilot_id, before=before_json,
            after=after_json, created_at=created_at,
        )  # fmt: skip
        events.append(
            AuditEvent(
                actor_id=actor_id,
                actor_label=actor_label,
                action=entry.action,
                object_type=entry.object_type,
                object_id=str(entry.object_id),
                pilot_id=entry.pilot_id,
                before=before_json,
                after=after_json,
                created_at=created_at,
                prev_hash=prev_hash,
                hash=digest,
            )  # fmt: skip
        )
        prev_hash = digest
    # Inserted in order in one statement, so ids follow the chain's order.
    created = AuditEvent.objects.bulk_create(events, batch_size=1000)
    last_id = created[-1].id
    if last_id is None:  # a backend that returns no ids
        last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    head = AuditHead.objects.filter(pk=1).values_list("count", flat=True).first()
    count = head + len(events) if head is not None else AuditEvent.objects.count()
    head_write(count=count, last_id=last_id, last_hash=prev_hash)
    return len(events)


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str = ""


def audit_verify(batch_size: int = 2000) -> VerifyResult:
    """Walk the chain in id order; report the first link that does not hold, then check
    that the chain ends exactly at the sealed head (nothing trimmed, nothing appended
    outside `audit_record`)."""
    prev_hash = GENESIS_HASH
    checked = 0
    queryset = AuditEvent.objects.order_by("id")
    last_id = 0
    while True:
        walked = 0
        while True:
            batch = list(queryset.filter(id__gt=last_id)[:batch_size])
            if not batch:
                break
            for event in batch:
                problem = _check_event(event, prev_hash)
                if problem:
                    return VerifyResult(False, checked, event.id, problem)
                prev_hash = event.hash
                checked += 1
                walked += 1
                last_id = event.id
        # An append commits its row and the head together, so a head read after the walk
        # is never behind it; when it is ahead, events arrived meanwhile: walk those too.
        head = AuditHead.objects.filter(pk=1).first()
        if head is None or head.last_id <= last_id or (walked == 0 and checked):
            break
        if not AuditEvent.objects.filter(id__gt=last_id).exists():
            break
    return _check_head(head, checked=checked, last_id=last_id, last_hash=prev_hash)


def _check_event(event: AuditEvent, prev_hash: str) -> str:
    if event.prev_hash != prev_hash:
        return "previous-hash link broken (a row was deleted, inserted or reordered)"
    expected = compute_hash(
        prev_hash=event.prev_hash,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        pilot_id=event.pilot_id,
        before=event.before,
        after=event.after,
        created_at=event.created_at,
    )
    if expected != event.hash:
        return "content does not match its hash"
    return ""


def _check_head(head: AuditHead | None, *, checked: int, last_id: int, last_hash: str):
    if head is None:
        if checked == 0:
            return VerifyResult(True, 0)
        return VerifyResult(False, checked, None, "the sealed head of the chain is missing")
    seal = head_seal(count=head.count, last_id=head.last_id, last_hash=head.last_hash)
    if not hmac.compare_digest(seal, head.seal):
        return VerifyResult(False, checked, head.last_id, "the head's seal does not match")
    if head.count != checked or head.last_id != last_id or head.last_hash != last_hash:
        return VerifyResult(
            False,
            checked,
            head.last_id,
            f"the chain does not end at its sealed head (head: {head.count} events ending at "
            f"{head.last_id}; found {checked} ending at {last_id or 'none'}): events were "
            "removed from or added to its end",
        )
    return VerifyResult(True, checked)
