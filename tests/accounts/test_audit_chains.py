"""Concurrent audited writes take different chains, each verifiable, on real PostgreSQL."""

import threading

import pytest
from django.db import connection, connections, transaction

from accounts import audit
from accounts.audit import audit_record, audit_verify
from accounts.models import AuditEvent, AuditHead
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _write_together(count: int, events_each: int = 2) -> None:
    """`count` transactions on their own connections, each appending `events_each` events
    and holding its chain until all have appended: none may wait for another."""
    # The heads exist, as the migration leaves them on a database with audit events. (On a
    # new database the first appends create them, and concurrent first appends queue once.)
    audit._open_heads()
    appended = threading.Barrier(count)
    errors = []

    def worker(n):
        try:
            with transaction.atomic():
                for k in range(events_each):
                    audit_record(
                        actor=None, action="test.parallel", object_type="test", object_id=n * 10 + k
                    )
                appended.wait(timeout=10)  # a second global lock would deadlock here
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []


def _unguarded(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
        cursor.execute(sql, list(params))


def test_concurrent_transactions_append_to_different_chains_and_all_verify():
    require_postgres()
    _write_together(4)
    chains = {}
    for event in AuditEvent.objects.order_by("id"):
        chains.setdefault(event.object_id[:-1] or "0", set()).add(event.chain)
    # One chain per transaction (its two events together), four different chains.
    assert all(len(used) == 1 for used in chains.values())
    assert len({next(iter(used)) for used in chains.values()}) == 4
    assert AuditHead.objects.count() == audit.CHAINS
    result = audit_verify()
    assert result.ok and result.checked == 8


def test_writes_one_after_another_stay_on_the_first_chain():
    require_postgres()
    for n in range(3):
        audit_record(actor=None, action="test.serial", object_type="test", object_id=n)
    assert set(AuditEvent.objects.values_list("chain", flat=True)) == {audit.LEGACY_CHAIN}
    assert audit_verify().ok


def test_removing_a_whole_chain_with_its_head_is_detected():
    require_postgres()
    _write_together(3, events_each=1)
    victim = AuditEvent.objects.exclude(chain=audit.LEGACY_CHAIN).first().chain
    _unguarded("DELETE FROM accounts_auditevent WHERE chain = %s", [victim])
    _unguarded("DELETE FROM accounts_audithead WHERE id = %s", [victim])
    result = audit_verify()
    assert not result.ok and f"head of chain {victim} is missing" in result.problem


def test_moving_an_event_to_another_chain_is_detected():
    require_postgres()
    _write_together(2, events_each=2)
    event = AuditEvent.objects.exclude(chain=audit.LEGACY_CHAIN).order_by("id").first()
    _unguarded("UPDATE accounts_auditevent SET chain = 1 WHERE id = %s", [event.id])
    assert not audit_verify().ok


def test_a_head_resealed_for_another_chain_is_refused():
    require_postgres()
    _write_together(2, events_each=1)
    other = AuditEvent.objects.exclude(chain=audit.LEGACY_CHAIN).get()
    head = AuditHead.objects.get(pk=other.chain)
    # Sealed right, but for chain 1: a head copied from another chain does not verify.
    seal = audit.head_seal(count=head.count, last_id=head.last_id, last_hash=head.last_hash)
    _unguarded("UPDATE accounts_audithead SET seal = %s WHERE id = %s", [seal, head.pk])
    result = audit_verify()
    assert not result.ok and "seal" in result.problem
