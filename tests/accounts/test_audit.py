import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from accounts.audit import audit_record, audit_verify
from accounts.models import AuditEvent
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(owner):
    for n in range(6):
        audit_record(
            actor=owner,
            action="test.event",
            object_type="test",
            object_id=n,
            before={"n": n},
            after={"n": n + 1, "note": "<b>x</b>"},
        )
    return list(AuditEvent.objects.order_by("id"))


def tamper(sql: str, params: list) -> None:
    """Run raw SQL on the audit table, lifting the PostgreSQL guard for this transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred FK checks of the fixture's inserts would block the ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE accounts_auditevent DISABLE TRIGGER accounts_auditevent_append_only"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE accounts_auditevent ENABLE TRIGGER accounts_auditevent_append_only"
            )


def test_chain_of_untouched_events_verifies(chain):
    result = audit_verify()
    assert result.ok and result.checked == 6


def test_each_event_links_to_the_previous_hash(chain):
    for previous, event in zip(chain, chain[1:], strict=False):
        assert event.prev_hash == previous.hash


def test_edited_row_is_detected(chain):
    target = chain[2]
    tamper("UPDATE accounts_auditevent SET action = %s WHERE id = %s", ["test.forged", target.id])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == target.id
    assert "hash" in result.problem


def test_edited_json_payload_is_detected(chain):
    target = chain[4]
    tamper("UPDATE accounts_auditevent SET after = %s WHERE id = %s", ['{"n": 999}', target.id])
    assert audit_verify().broken_id == target.id


def test_deleted_row_is_detected(chain):
    target = chain[3]
    tamper("DELETE FROM accounts_auditevent WHERE id = %s", [target.id])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == chain[4].id


def test_reordered_rows_are_detected(chain):
    """Swap the ids of two rows, content and hashes untouched: a pure reordering."""
    first, second = chain[1], chain[2]
    move = "UPDATE accounts_auditevent SET id = %s WHERE id = %s"
    tamper(move, [-1, first.id])
    tamper(move, [first.id, second.id])
    tamper(move, [second.id, -1])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == first.id
    assert "link" in result.problem


def test_audit_verify_command_fails_on_tampering(chain):
    call_command("audit_verify")
    tamper(
        "UPDATE accounts_auditevent SET actor_label = %s WHERE id = %s", ["mallory", chain[0].id]
    )
    with pytest.raises(CommandError, match=f"broken at event {chain[0].id}"):
        call_command("audit_verify")


def test_postgres_refuses_update_and_delete_of_audit_rows(chain):
    require_postgres()
    for sql in (
        "UPDATE accounts_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [chain[0].id])
    assert audit_verify().ok


def test_orm_delete_of_audit_rows_is_refused_on_postgres(chain):
    require_postgres()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(id=chain[0].id).delete()
