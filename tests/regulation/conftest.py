from importlib import import_module

import pytest

from regulation.models import CatalogueVersion

load_catalogue = import_module("regulation.migrations.0002_catalogue_v1").load

# Answers of a high-risk deployer: a hiring screen used in-house (Annex III point 4).
HIGH_RISK_DEPLOYER = {
    "prohibited_practices": ["none"],
    "annex_i_product": "no",
    "annex_iii_areas": ["employment"],
    "exception_claimed": "no",
    "transparency": ["none"],
    "gpai": "uses",
    "develops": "no",
    "rebrands": "no",
    "uses": "yes",
    "imports": "no",
    "distributes": "no",
    "public_service": "no",
}


def answers(**changes):
    return {**HIGH_RISK_DEPLOYER, **changes}


@pytest.fixture(autouse=True)
def _catalogue(request):
    """The catalogue comes from a data migration; a transactional test's flush wipes it."""
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    ):
        return
    from django.apps import apps

    if not CatalogueVersion.objects.exists():
        load_catalogue(apps, None)
