"""Writing and verifying the audit chain.

`audit_record` is called by services inside their transaction, so the event commits or
rolls back with the change it describes.

The audit is `CHAINS` hash chains, each with its own sealed head (AuditHead, pk = the
chain's number) and its own lock, so unrelated writes do not queue behind one another. A
transaction appends all its events to one chain: the first it can lock without waiting
(PostgreSQL advisory locks, tried in turn from a starting point that spreads writers out).
Only a transaction that holds no chain may wait for one, so two transactions never wait
for each other's chains: no deadlock. Chain 1 continues the single chain written before
there were several (its hash formula and seal are unchanged). SQLite serialises writers
anyway and uses chain 1 only.

`audit_verify` checks every chain and that all the heads are there and sealed: removing a
chain's events and its head is as visible as removing the tail of a single chain.
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
# The number of chains. Raising it needs a data migration that creates the new chains'
# empty heads (as accounts 0005 does); lowering it would leave chains unverified.
CHAINS = 16
LEGACY_CHAIN = 1  # the single chain of before: its hashes and seal do not name a chain
_LOCK_CLASS = 740_211  # arbitrary, fixed: the first key of the chains' advisory locks


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


# What an event's hash covers, besides the previous hash and (but for chain 1) its chain.
HASHED_FIELDS = (
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "pilot_id",
    "before",
    "after",
    "created_at",
)


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
    chain: int = LEGACY_CHAIN,
) -> str:
    fields: list[Any] = [] if chain == LEGACY_CHAIN else [chain]
    payload = json.dumps(
        [
            *fields,
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


def head_seal(*, count: int, last_id: int, last_hash: str, chain: int = LEGACY_CHAIN) -> str:
    """HMAC over the head's fields with AUDIT_HMAC_KEY (kept out of the database)."""
    name = "" if chain == LEGACY_CHAIN else f"{chain}:"
    message = f"pilotgate-audit-head:{name}{count}:{last_id}:{last_hash}".encode()
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), message, hashlib.sha256).hexdigest()


def head_write(*, count: int, last_id: int, last_hash: str, chain: int = LEGACY_CHAIN) -> None:
    seal = head_seal(count=count, last_id=last_id, last_hash=last_hash, chain=chain)
    AuditHead.objects.update_or_create(
        pk=chain,
        defaults={
            "count": count,
            "last_id": last_id,
            "last_hash": last_hash,
            "seal": seal,
            "updated_at": timezone.now(),
        },
    )


def _empty_head(chain: int) -> AuditHead:
    seal = head_seal(count=0, last_id=0, last_hash=GENESIS_HASH, chain=chain)
    return AuditHead(
        pk=chain, count=0, last_id=0, last_hash=GENESIS_HASH, seal=seal, updated_at=timezone.now()
    )


def _open_heads() -> None:
    """Create every chain's head that is missing, empty and sealed: heads exist for all
    chains or none, so the verifier can tell a removed chain from an unused one."""
    AuditHead.objects.bulk_create(
        [_empty_head(chain) for chain in range(1, CHAINS + 1)], ignore_conflicts=True
    )


def _lock_chain() -> int:
    """Lock a chain for the rest of the transaction and return its number: the one this
    transaction holds already, else the first free one, else wait for chain 1 (holding
    none, so no wait can close a cycle)."""
    if connection.vendor != "postgresql":
        return LEGACY_CHAIN
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
            "AND objsubid = 2 AND pid = pg_backend_pid() AND granted LIMIT 1",
            [_LOCK_CLASS],
        )
        held = cursor.fetchone()
        if held is not None and 1 <= held[0] <= CHAINS:
            return int(held[0])
        for chain in range(1, CHAINS + 1):
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, chain])
            if cursor.fetchone()[0]:
                return chain
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, LEGACY_CHAIN])
        return LEGACY_CHAIN


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
    chain = _lock_chain()
    last = (
        AuditEvent.objects.filter(chain=chain).order_by("-id").values_list("hash", flat=True)
    ).first()
    prev_hash = last or GENESIS_HASH
    content = {
        "actor_id": actor_id,
        "actor_label": actor.get_username() if actor_id else "system",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "pilot_id": pilot_id,
        "before": before_json,
        "after": after_json,
        # Microsecond precision survives every backend's round trip, so the hash is stable.
        "created_at": timezone.now(),
    }
    digest = compute_hash(prev_hash=prev_hash, chain=chain, **content)
    event = AuditEvent.objects.create(chain=chain, prev_hash=prev_hash, hash=digest, **content)
    # The head moves in the same transaction as the append, under the same lock.
    head = AuditHead.objects.filter(pk=chain).values_list("count", flat=True).first()
    if head is None:
        _open_heads()
    count = head + 1 if head is not None else AuditEvent.objects.filter(chain=chain).count()
    head_write(count=count, last_id=event.id, last_hash=digest, chain=chain)
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
    chain = _lock_chain()
    prev_hash = (
        AuditEvent.objects.filter(chain=chain).order_by("-id").values_list("hash", flat=True)
    ).first() or GENESIS_HASH
    events = []
    for entry in entries:
        content = {
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": str(entry.object_id),
            "pilot_id": entry.pilot_id,
            "before": to_jsonable(entry.before or {}),
            "after": to_jsonable(entry.after or {}),
            "created_at": timezone.now(),
        }
        digest = compute_hash(prev_hash=prev_hash, chain=chain, **content)
        events.append(AuditEvent(chain=chain, prev_hash=prev_hash, hash=digest, **content))
        prev_hash = digest
    # Inserted in order in one statement, so ids follow the chain's order.
    created = AuditEvent.objects.bulk_create(events, batch_size=1000)
    last_id = created[-1].id
    if last_id is None:  # a backend that returns no ids
        last_id = (
            AuditEvent.objects.filter(chain=chain).order_by("-id").values_list("id", flat=True)
        ).first()
    # The head moves in the same transaction as the appends, under the same lock.
    head = AuditHead.objects.filter(pk=chain).values_list("count", flat=True).first()
    if head is None:
        _open_heads()
    count = head + len(events) if head is not None else (
        AuditEvent.objects.filter(chain=chain).count()
    )  # fmt: skip
    head_write(count=count, last_id=last_id, last_hash=prev_hash, chain=chain)
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


@dataclass
class _Walk:
    """Where the walk of one chain stands."""

    prev_hash: str = GENESIS_HASH
    count: int = 0
    last_id: int = 0


def audit_verify(batch_size: int = 2000) -> VerifyResult:
    """Walk every chain in id order; report the first link that does not hold, then check
    that each chain ends exactly at its sealed head (nothing trimmed, nothing appended
    outside `audit_record`) and that no chain's head is missing.

    Events and heads are read in one snapshot (REPEATABLE READ on PostgreSQL when called
    outside a transaction): chains commit in any order, and an append commits its event
    and its head together, so one snapshot always sees them agree."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return _verify(batch_size)
    return _verify(batch_size)


def _verify(batch_size: int) -> VerifyResult:
    walks: dict[int, _Walk] = {}
    checked = 0
    last_id = 0
    queryset = AuditEvent.objects.order_by("id")
    while batch := list(queryset.filter(id__gt=last_id)[:batch_size]):
        for event in batch:
            if not 1 <= event.chain <= CHAINS:
                return VerifyResult(False, checked, event.id, "the event names no known chain")
            walk = walks.setdefault(event.chain, _Walk())
            problem = _check_event(event, walk.prev_hash)
            if problem:
                return VerifyResult(False, checked, event.id, problem)
            walk.prev_hash, walk.last_id = event.hash, event.id
            walk.count += 1
            checked += 1
        last_id = batch[-1].id
    heads = {head.pk: head for head in AuditHead.objects.all()}
    if not heads:
        if checked == 0:
            return VerifyResult(True, 0)
        return VerifyResult(False, checked, None, "the sealed head of the chain is missing")
    for chain in range(1, CHAINS + 1):
        walk = walks.get(chain, _Walk())
        head = heads.get(chain)
        if head is None:
            return VerifyResult(
                False, checked, None, f"the sealed head of chain {chain} is missing"
            )
        result = _check_head(
            head,
            chain=chain,
            checked=walk.count,
            last_id=walk.last_id,
            last_hash=walk.prev_hash,
        )
        if not result.ok:
            return VerifyResult(False, checked, result.broken_id, result.problem)
    return VerifyResult(True, checked)


def _check_event(event: AuditEvent, prev_hash: str) -> str:
    if event.prev_hash != prev_hash:
        return "previous-hash link broken (a row was deleted, inserted or reordered)"
    content = {field: getattr(event, field) for field in HASHED_FIELDS}
    expected = compute_hash(prev_hash=event.prev_hash, chain=event.chain, **content)
    if expected != event.hash:
        return "content does not match its hash"
    return ""


def _check_head(head: AuditHead, *, chain: int, checked: int, last_id: int, last_hash: str):
    seal = head_seal(count=head.count, last_id=head.last_id, last_hash=head.last_hash, chain=chain)
    if not hmac.compare_digest(seal, head.seal):
        return VerifyResult(False, checked, head.last_id, "the head's seal does not match")
    if head.count != checked or head.last_id != last_id or head.last_hash != last_hash:
        return VerifyResult(
            False,
            checked,
            head.last_id,
            f"chain {chain} does not end at its sealed head (head: {head.count} events ending at "
            f"{head.last_id}; found {checked} ending at {last_id or 'none'}): events were "
            "removed from or added to its end",
        )
    return VerifyResult(True, checked)
