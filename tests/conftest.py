import os
from importlib import import_module

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.factories import PilotFactory, UserFactory

GROUPS = import_module("accounts.migrations.0003_roles_and_audit_guard").GROUPS
create_groups = import_module("accounts.migrations.0003_roles_and_audit_guard").create_groups
seed_catalog = import_module("metrics.migrations.0002_seed_catalog").seed
CATALOG = import_module("metrics.migrations.0002_seed_catalog").CATALOG
load_default_gates = import_module("gates.migrations.0002_default_gates").load
add_sources_criteria = import_module("gates.migrations.0003_sources_reporting_criterion").add
load_crosswalk = import_module("gates.migrations.0011_crosswalk_v1").load
load_obligations_catalogue = import_module("regulation.migrations.0002_catalogue_v1").load

PASSWORD = "correct-horse-battery"

# Property tests judge rules, not speed: no per-example deadline (a loaded CI machine made
# them fail at random), and in CI the same examples every run, so a red run is reproducible.
hypothesis_settings.register_profile(
    "pilotgate",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
)
hypothesis_settings.load_profile("pilotgate")


# The managed business units the tests name (registering a pilot refuses a name not on the
# list); `_reference_data` creates them for every test that has a database.
TEST_BUSINESS_UNITS = (
    "Finance",
    "Claims",
    "Sales",
    "Ops",
    "CS",
    "S",
    "X",
    "Customer Service",
    "Legal",
    "Lab",
    "Mergers",
    "Operations €",
    "Unit 1",
)


def pytest_collection_modifyitems(items):
    """Every transactional test starts from the database the migrations left (serialized
    rollback), whatever ran before it.

    A transactional test ends by emptying every table. Without serialized rollback, Django
    then re-runs post_migrate, which recreates content types and permissions under new ids,
    and `_reference_data` recreates groups and gates; a later test with serialized rollback
    restores the migrations' rows with their old ids over those and fails in set-up on the
    unique constraints (test_every_page after test_review_journey did). With it on every
    transactional test, each one's flush leaves the tables empty and the next restores the
    same rows: no order matters.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        if "serialized_rollback" not in marker.kwargs:
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


@pytest.fixture(autouse=True)
def _generous_auth_failure_budget(monkeypatch):
    """Many tests are refused 401 on purpose (the authorization matrix alone hundreds of
    times) from one address and one process cache: without this, the failed-auth lockout
    would turn later tests' 401s into 429s. Its own tests lower it again (`low_rates`)."""
    from rest_framework.throttling import ScopedRateThrottle

    from config.throttling import AuthFailureThrottle

    rates = {**AuthFailureThrottle.THROTTLE_RATES, "auth_failures": "1000000/min"}
    monkeypatch.setattr(AuthFailureThrottle, "THROTTLE_RATES", rates)
    # Likewise the snapshot-push budget per user: on SQLite, user ids repeat from test to
    # test, so pushes of unrelated tests would share one budget. Its tests lower it again.
    scoped = {**ScopedRateThrottle.THROTTLE_RATES, "snapshots": "1000000/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", scoped)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Groups and the metric catalog come from data migrations; a transactional test's
    flush (TRUNCATE) wipes them, so put them back for whichever test runs next."""
    names = set(request.fixturenames)
    if "transactional_db" in names or "live_server" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names:
        request.getfixturevalue("db")
    elif request.node.get_closest_marker("django_db") is None:
        return
    from django.apps import apps as django_apps
    from django.contrib.auth.models import Group

    from metrics.models import MetricDefinition

    if Group.objects.count() < len(GROUPS):
        create_groups(django_apps, None)
    if MetricDefinition.objects.count() < len(CATALOG):
        seed_catalog(django_apps, None)
    from gates.models import Gate

    if not Gate.objects.exists():
        load_default_gates(django_apps, None)
        add_sources_criteria(django_apps, None)
    from gates.models import CrosswalkLink

    if not CrosswalkLink.objects.exists():
        load_crosswalk(django_apps, None)

    from regulation.models import CatalogueVersion

    if not CatalogueVersion.objects.exists():
        load_obligations_catalogue(django_apps, None)
    from portfolio.models import BusinessUnit

    BusinessUnit.objects.bulk_create(
        [BusinessUnit(name=name) for name in TEST_BUSINESS_UNITS], ignore_conflicts=True
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness buys nothing in tests and costs minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner(db):
    """A contributor who is the business owner of `pilot`."""
    return UserFactory(username="owner", roles=["contributor"])


@pytest.fixture
def technical_owner(db):
    return UserFactory(username="techowner", roles=["contributor"])


@pytest.fixture
def governance_lead(db):
    return UserFactory(username="govlead", roles=["governance_lead"])


@pytest.fixture
def second_governance_lead(db):
    return UserFactory(username="govlead2", roles=["governance_lead"])


@pytest.fixture
def executive(db):
    return UserFactory(username="exec", roles=["executive"])


@pytest.fixture
def outsider(db):
    """A contributor with no role on any pilot of the test."""
    return UserFactory(username="outsider", roles=["contributor"])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="theadmin", roles=["admin"], is_staff=True, is_superuser=True)


@pytest.fixture
def pilot(owner):
    return PilotFactory(name="Claims triage", owner=owner)


@pytest.fixture
def confidential_pilot(owner):
    return PilotFactory(name="Secret merger assistant", confidential=True, owner=owner)


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client logged in as that user."""

    def make(user):
        from django.test import Client

        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture
def api_for():
    """api_for(user) -> a DRF APIClient authenticated as that user."""
    from rest_framework.test import APIClient

    def make(user):
        api = APIClient()
        if user is not None:
            api.force_authenticate(user)
        return api

    return make
