"""Every write through the Django admin leaves one audit event per object, in its transaction.

Driven through the real admin views (users, groups, gates, the metric catalog) with the
test client: what each event records, that secrets never appear in one, that the wrong
actor is refused and writes nothing, and that a failing audit write undoes the change.
"""

import json

import pytest
from django import forms
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import ApiToken, AuditEvent, User
from gates.models import Gate
from metrics.models import MetricDefinition, Snapshot
from tests.factories import PilotFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin"


def events(prefix="admin."):
    return list(AuditEvent.objects.filter(action__startswith=prefix).order_by("id"))


def form_data(page) -> dict:
    """What a browser would post back from an admin change form, unchanged."""
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif isinstance(field, forms.ModelMultipleChoiceField):
            data[name] = [str(v) for v in value or []]
        else:
            data[name] = "" if value is None else value
    return data


def change(client, url: str, **edits):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, {**form_data(page), **edits})


def bulk_delete(client, changelist: str, pks):
    return client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [str(pk) for pk in pks], "post": "yes"},
    )


def group_ids(*names) -> list[str]:
    return [str(Group.objects.get(name=name).pk) for name in names]


@pytest.fixture
def admin(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.com", roles=["contributor"])


@pytest.fixture
def staff_member(db):
    """May log in to the admin, holds no permission on any model."""
    return UserFactory(username="staffer", roles=["contributor"], is_staff=True)


@pytest.fixture
def viewer(db):
    """Staff who may look at users, groups, gates and metrics, and change none of them."""
    user = UserFactory(username="viewer", roles=["contributor"], is_staff=True)
    codenames = ["view_user", "view_group", "view_gate", "view_metricdefinition"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def metric(db):
    return MetricDefinition.objects.create(
        key="queue_depth", name="Queue depth", unit="items", direction="lower", dimension="value"
    )


def assert_nothing_secret(event: AuditEvent, *secrets: str) -> None:
    text = json.dumps([event.before, event.after])
    for secret in secrets:
        assert secret not in text
    assert "md5$" not in text and "pbkdf2" not in text


# --- users -------------------------------------------------------------------------------


def test_admin_adds_a_user_with_a_create_event_that_says_only_that_a_password_is_set(admin):
    response = admin.post(
        f"{ADMIN}/accounts/user/add/",
        {
            "username": "bob",
            "usable_password": "true",
            "password1": "a-Long-new-secret-42",
            "password2": "a-Long-new-secret-42",
        },
    )

    assert response.status_code == 302
    bob = User.objects.get(username="bob")
    [event] = events()
    assert (event.action, event.actor_label, event.object_type, event.object_id) == (
        "admin.user.create",
        "theadmin",
        "accounts.user",
        str(bob.pk),
    )
    assert event.before == {}
    assert event.after["username"] == "bob"
    assert event.after["password"] == "set"
    assert event.after["groups"] == [] and event.after["is_superuser"] is False
    assert event.pilot_id is None
    assert_nothing_secret(event, "a-Long-new-secret-42", bob.password)


def test_admin_changes_roles_and_flags_with_one_event_naming_only_what_changed(admin, alice):
    response = change(
        admin,
        f"{ADMIN}/accounts/user/{alice.pk}/change/",
        groups=group_ids("contributor", "governance_lead"),
        is_staff="on",
        email="alice@corp.example",
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.is_staff and alice.global_roles == {"contributor", "governance_lead"}
    [event] = events()
    assert event.action == "admin.user.update" and event.actor_label == "theadmin"
    assert event.before == {
        "email": "alice@example.com",
        "groups": ["contributor"],
        "is_staff": False,
    }
    assert event.after == {
        "email": "alice@corp.example",
        "groups": ["contributor", "governance_lead"],
        "is_staff": True,
    }


def test_admin_granting_superuser_and_deactivating_are_recorded(admin, alice):
    change(
        admin,
        f"{ADMIN}/accounts/user/{alice.pk}/change/",
        is_superuser="on",
        is_active="",
        groups=[],
    )

    [event] = events()
    assert event.before == {"groups": ["contributor"], "is_active": True, "is_superuser": False}
    assert event.after == {"groups": [], "is_active": False, "is_superuser": True}


def test_saving_a_user_unchanged_writes_no_event(admin, alice):
    response = change(admin, f"{ADMIN}/accounts/user/{alice.pk}/change/")

    assert response.status_code == 302
    assert events() == []


def test_admin_password_change_records_that_it_changed_and_never_the_hash(admin, alice):
    old_hash = alice.password
    response = admin.post(
        f"{ADMIN}/accounts/user/{alice.pk}/password/",
        {
            "usable_password": "true",
            "password1": "Another-secret-77",
            "password2": "Another-secret-77",
            "set-password": "",
        },
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Another-secret-77")
    [event] = events()
    assert event.action == "admin.user.update" and event.object_id == str(alice.pk)
    assert (event.before, event.after) == ({"password": "set"}, {"password": "changed"})
    assert_nothing_secret(event, "Another-secret-77", old_hash, alice.password)


def test_admin_disabling_password_login_is_recorded_as_unusable(admin, alice):
    admin.post(
        f"{ADMIN}/accounts/user/{alice.pk}/password/",
        {"usable_password": "false", "unset-password": ""},
    )

    alice.refresh_from_db()
    assert not alice.has_usable_password()
    [event] = events()
    assert (event.before, event.after) == ({"password": "set"}, {"password": "unusable"})
    assert_nothing_secret(event, alice.password)


def test_admin_deletes_a_user_and_the_event_lists_the_rows_it_took(admin, alice):
    # alice once used the admin herself (her history rows go with her) but never acted
    # through the audited paths, which would make her undeletable.
    history = LogEntry.objects.log_actions(
        user_id=alice.pk, queryset=Group.objects.filter(name="executive"), action_flag=CHANGE
    )

    response = admin.post(f"{ADMIN}/accounts/user/{alice.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    [event] = events()
    assert event.action == "admin.user.delete" and event.object_id == str(alice.pk)
    assert event.after == {}
    assert event.before["username"] == "alice" and event.before["groups"] == ["contributor"]
    assert event.before["password"] == "set"
    assert event.before["cascade"] == {
        "admin.logentry": {"count": 1, "ids": [entry.pk for entry in history]}
    }
    assert_nothing_secret(event, alice.password)


def test_a_user_holding_an_api_token_cannot_be_deleted_here_and_nothing_is_written(admin, alice):
    # Deleting would take the token row with it, and the token admin deletes nothing.
    ApiToken.objects.create(user=alice, name="ci", prefix="pgt_abc", digest="d" * 64)

    response = admin.post(f"{ADMIN}/accounts/user/{alice.pk}/delete/", {"post": "yes"})
    bulk_delete(admin, f"{ADMIN}/accounts/user/", [alice.pk])

    assert response.status_code == 403
    assert (
        User.objects.filter(pk=alice.pk).exists() and ApiToken.objects.filter(user=alice).exists()
    )
    assert events() == []


def test_admin_bulk_deletes_users_with_one_event_each(admin, alice):
    carol = UserFactory(username="carol")

    response = bulk_delete(admin, f"{ADMIN}/accounts/user/", [alice.pk, carol.pk])

    assert response.status_code == 302
    assert not User.objects.filter(username__in=["alice", "carol"]).exists()
    found = sorted((e.action, e.object_id, e.before["username"]) for e in events())
    assert found == sorted(
        [
            ("admin.user.delete", str(alice.pk), "alice"),
            ("admin.user.delete", str(carol.pk), "carol"),
        ]
    )
    for event in events():
        assert_nothing_secret(event)


def test_a_user_who_has_acted_cannot_be_deleted_and_nothing_is_written(admin, alice):
    audit_record(actor=alice, action="test.event", object_type="test", object_id=1)

    admin.post(f"{ADMIN}/accounts/user/{alice.pk}/delete/", {"post": "yes"})
    bulk_delete(admin, f"{ADMIN}/accounts/user/", [alice.pk])

    assert User.objects.filter(pk=alice.pk).exists()
    assert events() == []


def test_an_admin_cannot_delete_themselves_alone_or_in_bulk(admin, admin_user, alice):
    response = admin.post(f"{ADMIN}/accounts/user/{admin_user.pk}/delete/", {"post": "yes"})
    bulk = bulk_delete(admin, f"{ADMIN}/accounts/user/", [alice.pk, admin_user.pk])

    assert response.status_code == 403 and bulk.status_code == 403
    assert User.objects.filter(pk__in=[admin_user.pk, alice.pk]).count() == 2
    assert events() == []


# --- groups (the global roles) -----------------------------------------------------------


def test_admin_changing_a_global_role_group_is_recorded(admin):
    group = Group.objects.get(name="executive")
    permission = Permission.objects.get(codename="view_gate")

    change(admin, f"{ADMIN}/auth/group/{group.pk}/change/", permissions=[str(permission.pk)])

    [event] = events()
    assert event.action == "admin.group.update" and event.object_type == "auth.group"
    assert (event.before, event.after) == (
        {"permissions": []},
        {"permissions": ["gates.view_gate"]},
    )


def test_admin_adds_and_deletes_a_group_with_events(admin):
    admin.post(f"{ADMIN}/auth/group/add/", {"name": "auditors"})
    group = Group.objects.get(name="auditors")
    admin.post(f"{ADMIN}/auth/group/{group.pk}/delete/", {"post": "yes"})

    assert not Group.objects.filter(name="auditors").exists()
    assert [(e.action, e.object_id, e.before, e.after) for e in events()] == [
        ("admin.group.create", str(group.pk), {}, {"name": "auditors", "permissions": []}),
        ("admin.group.delete", str(group.pk), {"name": "auditors", "permissions": []}, {}),
    ]


# --- gates -------------------------------------------------------------------------------


def test_admin_quorum_change_is_recorded_with_old_and_new_quorum(admin):
    gate = Gate.objects.order_by("id").first()
    old = dict(gate.quorum)
    new = {"low": 2, "medium": 2, "high": 3}

    response = change(admin, f"{ADMIN}/gates/gate/{gate.pk}/change/", quorum=json.dumps(new))

    assert response.status_code == 302
    gate.refresh_from_db()
    assert gate.quorum == new
    [event] = events()
    assert (event.action, event.object_type, event.object_id) == (
        "admin.gate.update",
        "gates.gate",
        str(gate.pk),
    )
    assert (event.before, event.after) == ({"quorum": old}, {"quorum": new})


def test_a_refused_quorum_writes_nothing(admin):
    gate = Gate.objects.order_by("id").first()
    response = change(admin, f"{ADMIN}/gates/gate/{gate.pk}/change/", quorum='{"low": 0}')

    assert response.status_code == 200  # the form again, with its error
    assert events() == []


# --- the metric catalog ------------------------------------------------------------------


def test_admin_adds_a_metric_definition_with_a_create_event(admin):
    response = admin.post(
        f"{ADMIN}/metrics/metricdefinition/add/",
        {
            "key": "handle_time",
            "name": "Handle time",
            "unit": "s",
            "direction": "lower",
            "dimension": "value",
            "min_value": "0",
            "max_value": "",
            "description": "",
        },
    )

    assert response.status_code == 302
    metric = MetricDefinition.objects.get(key="handle_time")
    [event] = events()
    assert (event.action, event.object_id) == ("admin.metric_definition.create", str(metric.pk))
    assert event.after == {
        "key": "handle_time",
        "name": "Handle time",
        "unit": "s",
        "direction": "lower",
        "dimension": "value",
        "min_value": 0.0,
        "max_value": None,
        "description": "",
        "default_threshold": None,
    }


def test_admin_changes_a_metric_definition_with_an_update_event(admin, metric):
    change(
        admin,
        f"{ADMIN}/metrics/metricdefinition/{metric.pk}/change/",
        direction="higher",
        max_value="500",
    )

    [event] = events()
    assert event.action == "admin.metric_definition.update"
    assert event.before == {"direction": "lower", "max_value": None}
    assert event.after == {"direction": "higher", "max_value": 500.0}


def test_admin_deletes_a_metric_definition_alone_and_in_bulk_with_one_event_each(admin, metric):
    other = MetricDefinition.objects.create(
        key="backlog", name="Backlog", direction="lower", dimension="value"
    )
    third = MetricDefinition.objects.create(
        key="pager_uptime", name="Pager uptime", direction="higher", dimension="reliability"
    )

    admin.post(f"{ADMIN}/metrics/metricdefinition/{metric.pk}/delete/", {"post": "yes"})
    bulk_delete(admin, f"{ADMIN}/metrics/metricdefinition/", [other.pk, third.pk])

    assert not MetricDefinition.objects.filter(pk__in=[metric.pk, other.pk, third.pk]).exists()
    found = sorted((e.action, e.before["key"], e.after) for e in events())
    assert found == [
        ("admin.metric_definition.delete", "backlog", {}),
        ("admin.metric_definition.delete", "pager_uptime", {}),
        ("admin.metric_definition.delete", "queue_depth", {}),
    ]
    assert events()[0].before["name"] == "Queue depth"


def test_a_metric_with_snapshots_cannot_be_deleted_and_nothing_is_written(admin, metric, owner):
    pilot = PilotFactory(owner=owner)
    Snapshot.objects.create(
        pilot=pilot, metric=metric, observed_at=timezone.now(), value=3, source="test"
    )

    admin.post(f"{ADMIN}/metrics/metricdefinition/{metric.pk}/delete/", {"post": "yes"})
    bulk_delete(admin, f"{ADMIN}/metrics/metricdefinition/", [metric.pk])

    assert MetricDefinition.objects.filter(pk=metric.pk).exists()
    assert events() == []


def test_an_audited_admin_records_an_encrypted_field_by_state_only(rf, admin_user, pilot, owner):
    """Fail closed: a model with an encrypted secret, put under AuditedAdmin, still never
    has the secret in an event (metric sources themselves are read-only in the admin)."""
    from django.contrib import admin as django_admin

    from accounts.admin import AuditedAdmin
    from metrics.pulls import source_create

    source = source_create(
        pilot=pilot,
        by=owner,
        name="Status page",
        kind="http_json",
        config={
            "url": "https://metrics.example.com/x",
            "metrics": [{"metric": "uptime_pct", "path": "$.up"}],
        },
        secret_header_name="X-Api-Key",
        secret_header_value="tok-rather-secret",
    )
    request = rf.post("/")
    request.user = admin_user

    AuditedAdmin(type(source), django_admin.site).delete_model(request, source)

    [event] = events()
    assert event.action == "admin.metric_source.delete" and event.pilot_id == pilot.pk
    assert event.before["secret_header_value"] == "set"
    assert event.before["secret_header_name"] == "X-Api-Key"
    assert_nothing_secret(event, "tok-rather-secret")


# --- the wrong actor ---------------------------------------------------------------------


def write_attempts(alice, metric):
    gate = Gate.objects.order_by("id").first()
    group = Group.objects.get(name="executive")
    return [
        (
            "post",
            f"{ADMIN}/accounts/user/add/",
            {"username": "mallory", "usable_password": "false"},
        ),
        (
            "post",
            f"{ADMIN}/accounts/user/{alice.pk}/change/",
            {"username": "alice", "is_superuser": "on"},
        ),
        ("post", f"{ADMIN}/accounts/user/{alice.pk}/password/", {"usable_password": "false"}),
        ("post", f"{ADMIN}/accounts/user/{alice.pk}/delete/", {"post": "yes"}),
        ("post", f"{ADMIN}/auth/group/{group.pk}/change/", {"name": "renamed"}),
        ("post", f"{ADMIN}/auth/group/{group.pk}/delete/", {"post": "yes"}),
        ("post", f"{ADMIN}/gates/gate/{gate.pk}/change/", {"quorum": '{"high": 1}'}),
        ("post", f"{ADMIN}/metrics/metricdefinition/add/", {"key": "x", "name": "x"}),
        ("post", f"{ADMIN}/metrics/metricdefinition/{metric.pk}/change/", {"name": "renamed"}),
        ("post", f"{ADMIN}/metrics/metricdefinition/{metric.pk}/delete/", {"post": "yes"}),
    ]


def bulk_attempts(alice, metric):
    return [
        (f"{ADMIN}/accounts/user/", alice.pk),
        (f"{ADMIN}/auth/group/", Group.objects.get(name="executive").pk),
        (f"{ADMIN}/metrics/metricdefinition/", metric.pk),
    ]


def assert_untouched(alice, metric):
    alice.refresh_from_db()
    metric.refresh_from_db()
    assert not alice.is_superuser and alice.has_usable_password()
    assert metric.name == "Queue depth"
    assert Group.objects.filter(name="executive").exists()
    assert not User.objects.filter(username="mallory").exists()
    assert Gate.objects.filter(quorum={"high": 1}).count() == 0
    assert events() == []


@pytest.mark.parametrize("who", ["staff_member", "viewer"])
def test_staff_without_the_model_permission_is_refused_every_admin_write(
    request, client_for, who, alice, metric
):
    client = client_for(request.getfixturevalue(who))
    for method, url, data in write_attempts(alice, metric):
        assert getattr(client, method)(url, data).status_code == 403, url
    for changelist, pk in bulk_attempts(alice, metric):
        response = bulk_delete(client, changelist, [pk])
        # No view permission: 403. View only: the action is not offered and nothing runs.
        assert response.status_code == (403 if who == "staff_member" else 200), changelist

    assert_untouched(alice, metric)


# --- one transaction ---------------------------------------------------------------------


@pytest.fixture
def failing_audit(monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("accounts.admin.audit_record", fail)


def test_a_failed_audit_write_undoes_the_admin_change(admin, alice, metric, failing_audit):
    gate = Gate.objects.order_by("id").first()
    quorum = dict(gate.quorum)
    url = f"{ADMIN}/accounts/user/{alice.pk}/change/"
    data = {**form_data(admin.get(url)), "is_superuser": "on", "groups": group_ids("admin")}
    gate_url = f"{ADMIN}/gates/gate/{gate.pk}/change/"
    gate_data = {**form_data(admin.get(gate_url)), "quorum": '{"high": 5}'}

    with pytest.raises(RuntimeError):
        admin.post(url, data)
    with pytest.raises(RuntimeError):
        admin.post(gate_url, gate_data)
    with pytest.raises(RuntimeError):
        admin.post(
            f"{ADMIN}/accounts/user/{alice.pk}/password/",
            {"usable_password": "false", "unset-password": ""},
        )
    with pytest.raises(RuntimeError):
        admin.post(f"{ADMIN}/metrics/metricdefinition/{metric.pk}/delete/", {"post": "yes"})
    with pytest.raises(RuntimeError):
        bulk_delete(admin, f"{ADMIN}/accounts/user/", [alice.pk])
    with pytest.raises(RuntimeError):
        admin.post(f"{ADMIN}/auth/group/add/", {"name": "auditors"})

    alice.refresh_from_db()
    gate.refresh_from_db()
    assert not alice.is_superuser and alice.global_roles == {"contributor"}
    assert alice.has_usable_password()
    assert gate.quorum == quorum
    assert MetricDefinition.objects.filter(pk=metric.pk).exists()
    assert not Group.objects.filter(name="auditors").exists()
    # Nor does the admin's own history claim the bulk delete happened.
    assert not LogEntry.objects.filter(object_id=str(alice.pk), action_flag=3).exists()


def test_the_audit_chain_verifies_after_admin_writes(admin, alice, metric):
    gate = Gate.objects.order_by("id").first()
    change(admin, f"{ADMIN}/accounts/user/{alice.pk}/change/", email="a@corp.example")
    change(admin, f"{ADMIN}/gates/gate/{gate.pk}/change/", quorum='{"high": 3}')
    change(admin, f"{ADMIN}/metrics/metricdefinition/{metric.pk}/change/", unit="count")
    bulk_delete(admin, f"{ADMIN}/metrics/metricdefinition/", [metric.pk])
    assert len(events()) == 4

    call_command("audit_verify")  # raises CommandError on a broken chain


@pytest.fixture
def user_editor(db):
    """Staff allowed to change users, who is no superuser."""
    user = UserFactory(username="editor", roles=["contributor"], is_staff=True)
    codenames = ["view_user", "change_user"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_staff_who_may_edit_users_cannot_grant_privileges(client_for, user_editor, alice):
    client = client_for(user_editor)
    for target in (alice, user_editor):
        url = f"{ADMIN}/accounts/user/{target.pk}/change/"
        data = {
            **form_data(client.get(url)),
            "email": f"new-{target.username}@example.com",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": group_ids("admin"),
        }
        assert client.post(url, data).status_code == 302
        target.refresh_from_db()
        assert target.email == f"new-{target.username}@example.com"  # the edit itself is kept
        assert not target.is_superuser
        assert not target.groups.filter(name="admin").exists()
    assert not User.objects.get(username="alice").is_staff
    # Each edit is audited, and only the e-mail changed.
    assert [set(e.after) for e in events()] == [{"email"}, {"email"}]
