"""The audit chain under attack: 1,000 random tamperings, every one detected.

The attacker here can write anything to the database (the PostgreSQL guard is lifted for
each tampering) and knows the hash formula, but does not hold AUDIT_HMAC_KEY.
"""

import json
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.audit import GENESIS_HASH, audit_record, audit_verify, compute_hash, head_write
from accounts.models import AuditEvent, AuditHead
from tests.services import require_postgres

pytestmark = pytest.mark.django_db

TAMPERINGS = 1000
EVENTS = 40
GAP = 10  # ids are spread out so forged rows can be slipped in between real ones
FIELDS = ["action", "actor_label", "object_type", "object_id", "pilot_id", "before", "after",
          "created_at", "prev_hash", "hash"]  # fmt: skip


class _Rollback(Exception):
    pass


def _sql(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def _unguard() -> None:
    if connection.vendor == "postgresql":
        # Every trigger off, as for an attacker with superuser rights. SET LOCAL lasts to the
        # end of the test's transaction unless its savepoint is rolled back: see _reguard.
        _sql("SET LOCAL session_replication_role = replica")


def _reguard() -> None:
    if connection.vendor == "postgresql":
        _sql("SET LOCAL session_replication_role = origin")
        # Later appends must come after the spread-out ids, as they would in real life.
        _sql(
            "SELECT setval(pg_get_serial_sequence('accounts_auditevent', 'id'), "
            "(SELECT max(id) FROM accounts_auditevent))"
        )


def _rows() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("id"))


def _forged_hash(row: dict, prev_hash: str) -> str:
    return compute_hash(prev_hash=prev_hash, **row)


def _content(event: AuditEvent) -> dict:
    return {
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "pilot_id": event.pilot_id,
        "before": event.before,
        "after": event.after,
        "created_at": event.created_at,
    }


def _insert(event_id: int, content: dict, prev_hash: str, digest: str) -> None:
    AuditEvent.objects.create(id=event_id, prev_hash=prev_hash, hash=digest, **content)


@pytest.fixture
def spaced_chain(owner):
    for n in range(EVENTS):
        audit_record(
            actor=owner if n % 3 else None,
            action=f"test.event{n % 4}",
            object_type="test",
            object_id=n,
            pilot_id=n % 5 or None,
            before={"n": n},
            after={"n": n + 1, "note": "<b>é</b>"},
        )
    # Spread the ids (the hash does not cover the id) and reseal the head, as if the chain
    # had been written with gaps, which sequences on PostgreSQL produce anyway.
    with transaction.atomic():
        _unguard()
        for event in reversed(_rows()):
            _sql("UPDATE accounts_auditevent SET id = %s WHERE id = %s", [event.id * GAP, event.id])
        last = _rows()[-1]
        head_write(count=EVENTS, last_id=last.id, last_hash=last.hash)
        _reguard()
    assert audit_verify().ok
    return _rows()


def _edit(rng, rows):
    target = rng.choice(rows)
    field = rng.choice(FIELDS)
    column = {"pilot_id": "pilot_id"}.get(field, field)
    if field in ("before", "after"):
        value = json.dumps({"n": rng.randint(1000, 9999)})
    elif field == "created_at":
        value = target.created_at + timedelta(microseconds=rng.choice([1, -1, 10**6]))
    elif field == "pilot_id":
        value = (target.pilot_id or 0) + rng.randint(1, 50)
    elif field in ("prev_hash", "hash"):
        value = f"{rng.getrandbits(256):064x}"
    else:
        value = getattr(target, field) + "x"
    _sql(f"UPDATE accounts_auditevent SET {column} = %s WHERE id = %s", [value, target.id])  # noqa: S608


def _delete(rng, rows):
    _sql("DELETE FROM accounts_auditevent WHERE id = %s", [rng.choice(rows).id])


def _delete_tail(rng, rows):
    keep = rng.randint(0, len(rows) - 1)  # how many survive; at least the last one goes
    _sql("DELETE FROM accounts_auditevent WHERE id > %s", [rows[keep - 1].id if keep else 0])


def _swap(rng, rows):
    a, b = rng.sample(rows, 2)
    move = "UPDATE accounts_auditevent SET id = %s WHERE id = %s"
    _sql(move, [-1, a.id])
    _sql(move, [a.id, b.id])
    _sql(move, [b.id, -1])


def _insert_middle(rng, rows):
    """A forged row, correctly chained to the row before it, slipped into a gap."""
    index = rng.randrange(len(rows))
    before = rows[index - 1] if index else None
    prev_hash = before.hash if before else GENESIS_HASH
    content = _content(rng.choice(rows)) | {"action": "forged.approve", "object_id": "666"}
    new_id = rows[index].id - rng.randint(1, GAP - 1)
    _insert(new_id, content, prev_hash, _forged_hash(content, prev_hash))


def _append(rng, rows):
    """A forged row chained perfectly after the last one."""
    content = _content(rows[-1]) | {"action": "forged.append"}
    _insert(rows[-1].id + GAP, content, rows[-1].hash, _forged_hash(content, rows[-1].hash))


def _rechain_from(rng, rows):
    """Edit one row and recompute every hash after it: a consistent, rewritten chain."""
    start = rng.randrange(len(rows))
    prev_hash = rows[start - 1].hash if start else GENESIS_HASH
    for position, event in enumerate(rows[start:]):
        content = _content(event)
        if position == 0:
            content["after"] = {"rewritten": rng.randint(0, 10**6)}
        digest = _forged_hash(content, prev_hash)
        _sql(
            "UPDATE accounts_auditevent SET after = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [json.dumps(content["after"]), prev_hash, digest, event.id],
        )
        prev_hash = digest


def _trim_and_forge_head(rng, rows):
    """Delete the last rows and rewrite the head to match, sealed with a guessed key."""
    keep = rng.randint(1, len(rows) - 1)
    _sql("DELETE FROM accounts_auditevent WHERE id > %s", [rows[keep - 1].id])
    last = rows[keep - 1]
    forged_seal = f"{rng.getrandbits(256):064x}"
    _sql(
        "UPDATE accounts_audithead SET count = %s, last_id = %s, last_hash = %s, seal = %s",
        [keep, last.id, last.hash, forged_seal],
    )


def _delete_head(rng, rows):
    _sql("DELETE FROM accounts_audithead")


KINDS = [_edit, _delete, _delete_tail, _swap, _insert_middle, _append, _rechain_from,
         _trim_and_forge_head, _delete_head]  # fmt: skip


def test_a_thousand_random_tamperings_are_all_detected(spaced_chain):
    rng = random.Random(20261126)  # fixed: a failure reproduces
    kinds = Counter()
    missed = []
    for attempt in range(TAMPERINGS):
        kind = KINDS[attempt % len(KINDS)] if attempt < len(KINDS) else rng.choice(KINDS)
        try:
            with transaction.atomic():
                _unguard()
                kind(rng, spaced_chain)
                result = audit_verify()
                if result.ok:
                    missed.append((attempt, kind.__name__))
                raise _Rollback
        except _Rollback:
            pass
        kinds[kind.__name__] += 1
    assert missed == []
    assert sum(kinds.values()) == TAMPERINGS and len(kinds) == len(KINDS)
    assert audit_verify().ok  # every tampering was rolled back


def test_deleting_the_last_event_is_detected_by_the_head(spaced_chain):
    with transaction.atomic():
        _unguard()
        _sql("DELETE FROM accounts_auditevent WHERE id = %s", [spaced_chain[-1].id])
        _reguard()
    result = audit_verify()
    assert not result.ok and "sealed head" in result.problem


def test_head_sealed_with_another_key_is_refused(spaced_chain, settings):
    settings.AUDIT_HMAC_KEY = "a-different-key-of-enough-length-for-this-test"
    result = audit_verify()
    assert not result.ok and "seal" in result.problem


def test_new_events_move_the_head_in_the_same_transaction(spaced_chain, owner):
    event = audit_record(actor=owner, action="test.more", object_type="test", object_id=1)
    head = AuditHead.objects.get(pk=1)
    assert (head.count, head.last_id, head.last_hash) == (EVENTS + 1, event.id, event.hash)
    assert audit_verify().ok


def test_postgres_refuses_truncate_of_the_audit_tables(spaced_chain):
    require_postgres()
    for table in ("accounts_auditevent", "accounts_audithead"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            # Test databases let TRUNCATE through (runners empty tables with it); this
            # setting restores the production behaviour for the duration of the test.
            _sql("SET LOCAL pilotgate.audit_guard = 'strict'")
            _sql("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks block TRUNCATE
            _sql(f"TRUNCATE {table} CASCADE")
    assert audit_verify().ok


def test_postgres_refuses_delete_of_the_head(spaced_chain):
    require_postgres()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditHead.objects.all().delete()
    assert audit_verify().ok
