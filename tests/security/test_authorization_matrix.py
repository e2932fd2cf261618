"""Authorization matrix: every endpoint and page x every role x own/other pilot.

Each row below is one endpoint (API operation or page + method) with the outcome every
caller must get, per target. The list of endpoints comes from the OpenAPI schema and the
URL resolver: a new endpoint without a row here fails `test_every_*_has_a_row`.

Outcomes:  ok    2xx (pages: 2xx, or a redirect that is not to the login page)
           401   API: no or bad credentials      login  page: redirect to the login page
           403   visible but forbidden           404    hidden (or does not exist for them)
           400/409  refused for the request's content or state, after access was granted

Roles:  admin, gov (governance lead), exec (executive), contrib (contributor with no role
on the target), outsider (signed in, no global role), owner (business owner of the `own`
and `conf_own` pilots), anon (no credentials), revoked (owner's revoked API token; on
pages the header is ignored, so it is anonymous).

Targets:  own (public pilot owned by `owner`), other (public pilot of someone else),
conf_own / conf_other (the same, confidential). `-` for endpoints without a pilot.
Each authenticated caller's 403/404 must be written to the `pilotgate.security` log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.services import token_create, token_revoke
from tests.factories import PilotFactory, UserFactory

ROLES = ["admin", "gov", "exec", "contrib", "outsider", "owner", "anon", "revoked"]
AUTHENTICATED = {"admin", "gov", "exec", "contrib", "outsider", "owner"}


@dataclass
class World:
    users: dict[str, Any]
    pilots: dict[str, Any]
    tokens: dict[str, str]
    someone: Any
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    """One endpoint + method. `url(world, role, target)` builds the URL (use {pilot} for
    the target pilot's id); `data` gives the body of writes."""

    expect: str
    url: str | Callable[[World, str, str], str]
    data: dict | Callable[[World, str, str], dict] | None = None
    setup: Callable[[World, str, str], None] | None = None

    def table(self) -> dict[tuple[str, str], str]:
        if self.expect == "OBSERVE":
            return {}
        lines = [line.split() for line in self.expect.strip().splitlines() if line.strip()]
        header, rows = lines[0], lines[1:]
        assert header == ROLES, f"columns must be {ROLES}, got {header}"
        out = {}
        for row in rows:
            target, outcomes = row[0], row[1:]
            assert len(outcomes) == len(ROLES), row
            out.update({(role, target): o for role, o in zip(ROLES, outcomes, strict=True)})
        return out


# Re-used outcome tables ---------------------------------------------------------------

READ_PILOT_API = """
            admin gov exec contrib outsider owner anon revoked
own         ok    ok  ok   ok      ok       ok    401  401
other       ok    ok  ok   ok      ok       ok    401  401
conf_own    ok    ok  ok   404     404      ok    401  401
conf_other  ok    ok  ok   404     404      404   401  401
"""
EDIT_PILOT_API = """
            admin gov exec contrib outsider owner anon revoked
own         ok    403 403  403     403      ok    401  401
other       ok    403 403  403     403      403   401  401
conf_own    ok    403 403  404     404      ok    401  401
conf_other  ok    403 403  404     404      404   401  401
"""
ANY_SIGNED_IN_API = """
            admin gov exec contrib outsider owner anon revoked
-           ok    ok  ok   ok      ok       ok    401  401
"""
EDIT_WORKBOOK_API = """
            admin gov exec contrib outsider owner anon revoked
own         403   403 403  403     403      ok    401  401
other       403   403 403  403     403      403   401  401
conf_own    403   403 403  404     404      ok    401  401
conf_other  403   403 403  404     404      404   401  401
"""
CREATE_PILOT_API = """
            admin gov exec contrib outsider owner anon revoked
-           ok    403 403  ok      403      ok    401  401
"""


def _page(table: str) -> str:
    """The same outcomes on a page: 401 becomes a redirect to the login page."""
    return table.replace(" 401", " login")


ANY_SIGNED_IN_PAGE = _page(ANY_SIGNED_IN_API)
# One's own second-factor pages before one has set up a factor: nothing there for anyone.
NOTHING_YET = """
            admin gov exec contrib outsider owner anon  revoked
-           404   404 404  404     404      404   login login
"""
# Governance leads only, and not on a pilot they hold a role on.
GOV_ONLY_PAGE = """
            admin gov exec contrib outsider owner anon  revoked
own         403   ok  403  403     403      403   login login
other       403   ok  403  403     403      403   login login
conf_own    403   ok  403  404     404      403   login login
conf_other  403   ok  403  404     404      404   login login
"""


def _pilot_form(world, role, target):
    return {"name": f"Matrix {role}", "business_unit": "Ops", "summary": "", "risk_tier": "low"}


def _token_target(world, role, target):
    # `mine` is a token of the caller; `theirs` belongs to someone else.
    if target == "mine":
        user = world.users.get(role) or world.someone
    else:
        user = world.someone
    token, _ = token_create(by=user, name="to revoke")
    return f"/accounts/tokens/{token.pk}/revoke/"


def _review_url(suffix: str = ""):
    """URL of a pending review of the target pilot (created on first use)."""

    def build(world, role, target):
        from gates.models import CriteriaVersion, Review

        pilot = world.pilots[target]
        review = Review.objects.filter(pilot=pilot, status="pending").first()
        if review is None:
            version = CriteriaVersion.objects.filter(gate__from_stage="discovery").first()
            review = Review.objects.create(
                pilot=pilot,
                from_stage="discovery",
                to_stage="pilot",
                criteria_version=version,
                requested_by=world.someone,
            )
        return f"/api/reviews/{review.pk}/{suffix}"

    return build


def _snapshot_rows(world, role, target):
    at = "2026-11-01T00:00:00Z"
    pilot = world.pilots[target].pk
    return {"source": "matrix", "rows": [
        {"pilot": pilot, "metric": "error_rate", "observed_at": at, "value": 0.01}
    ]}  # fmt: skip


def _page_review(suffix: str = ""):
    def build(world, role, target):
        api_url = _review_url()(world, role, target)
        pk = api_url.rstrip("/").rsplit("/", 1)[-1]
        return f"/gates/reviews/{pk}/{suffix}"

    return build


def _alert(suffix: str):
    def build(world, role, target):
        from django.utils import timezone

        from metrics.models import Alert, MetricDefinition

        alert = Alert.objects.filter(pilot=world.pilots[target]).first() or Alert.objects.create(
            pilot=world.pilots[target],
            metric=MetricDefinition.objects.get(key="error_rate"),
            kind="stop",
            op=">",
            threshold=0.1,
            observed_value=0.5,
            observed_at=timezone.now(),
            action="revise",
        )
        return f"/metrics/alerts/{alert.pk}/{suffix}"

    return build


def _bulk_alert_data(world, role, target):
    """The bulk form as the pilot page sends it: one of the target pilot's alerts."""
    pk = _alert("")(world, role, target).strip("/").rsplit("/", 1)[-1]
    return {"alert": pk, "do": "acknowledge", "pilot": world.pilots[target].pk}


def _source(suffix: str = ""):
    def build(world, role, target):
        from metrics.models import MetricSource

        source = MetricSource.objects.filter(pilot=world.pilots[target]).first()
        if source is None:
            source = MetricSource.objects.create(
                pilot=world.pilots[target],
                kind="http_json",
                name="Matrix source",
                config={"url": "https://metrics.example.com/x", "metrics": {}},
                created_by=world.someone,
            )
        return f"/metrics/sources/{source.pk}/{suffix}"

    return build


def _on_hold(world, role, target):
    from portfolio.models import Pilot

    # Test setup only: the one writer of status is gates.services; here we need the state.
    Pilot.objects.filter(pk=world.pilots[target].pk).update(status="on_hold")


def _api_source(suffix: str = ""):
    def build(world, role, target):
        page_url = _source(suffix)(world, role, target)
        return page_url.replace("/metrics/sources/", "/api/sources/")

    return build


def _csv_report(world, role, target):
    from metrics.models import CsvImport

    report = CsvImport.objects.create(
        pilot=world.pilots[target], file_name="m.csv", uploaded_by=world.someone
    )
    return f"/metrics/csv/{report.pk}/"


def _import_batch(suffix: str = ""):
    """A previewed import file of the admin's (the pages behind it are admins' only)."""

    def build(world, role, target):
        from onboarding.models import ImportBatch

        batch = ImportBatch.objects.create(
            file_name="matrix.csv",
            content=b"name\n",
            sha256="0" * 64,
            created_by=world.users["admin"],
        )
        return f"/import/{batch.pk}/{suffix}"

    return build


def _condition(world, role, target):
    from gates.models import Condition, Review

    api_url = _review_url()(world, role, target)
    review = Review.objects.get(pk=api_url.rstrip("/").rsplit("/", 1)[-1])
    condition = Condition.objects.create(
        pilot=world.pilots[target],
        review=review,
        key=f"matrix-{role}-{target}",
        text="Matrix condition",
        from_stage="pilot",
        to_stage="readiness",
    )
    return f"/gates/conditions/{condition.pk}/met/"


def _waiver_revoke(prefix: str):
    """URL revoking an active waiver of the target pilot (a new one once it is revoked)."""

    def build(world, role, target):
        from datetime import timedelta

        from django.utils import timezone

        from gates.models import Waiver

        now = timezone.now()
        active = Waiver.objects.filter(
            pilot=world.pilots[target], revoked_at__isnull=True, expires_at__gt=now
        )
        waiver = active.first() or Waiver.objects.create(
            pilot=world.pilots[target],
            criterion_key="strategy_complete",
            justification="Matrix waiver",
            expires_at=now + timedelta(days=7),
            granted_by=world.someone,
        )
        return f"{prefix}/waivers/{waiver.pk}/revoke/"

    return build


# A regulation profile answer that classifies as minimal risk (no tier conflict anywhere).
_MINIMAL_ANSWERS = {
    "prohibited_practices": ["none"],
    "annex_i_product": "no",
    "annex_iii_areas": ["none"],
    "transparency": ["none"],
    "gpai": "none",
    "develops": "no",
    "rebrands": "no",
    "uses": "yes",
    "imports": "no",
    "distributes": "no",
    "public_service": "no",
}


def _new_profile(world, role, target):
    """Test setup: a new, unconfirmed profile version of the target pilot."""
    from regulation.models import Profile

    pilot = world.pilots[target]
    latest = Profile.objects.filter(pilot=pilot).order_by("-version").first()
    profile = Profile.objects.create(
        pilot=pilot,
        version=latest.version + 1 if latest else 1,
        answers=_MINIMAL_ANSWERS,
        classification="minimal",
        roles=["deployer"],
        created_by=world.someone,
    )
    return profile


def _confirm_data(world, role, target):
    return {"version": _new_profile(world, role, target).version}


def _gate_url(suffix: str = ""):
    def build(world, role, target):
        from gates.models import Gate

        return f"/gates/criteria/{Gate.objects.order_by('pk').first().pk}/{suffix}"

    return build


def _evidence(world, role, target):
    from django.core.files.base import ContentFile

    from portfolio.workbooks.models import EvidenceFile

    evidence = EvidenceFile(
        pilot=world.pilots[target], name="e.txt", content_type="text/plain", size=4
    )
    evidence.file.save("e.txt", ContentFile(b"test"), save=True)
    return f"/pilots/{world.pilots[target].pk}/evidence/{evidence.pk}/"


def _evidence_remove(world, role, target):
    return _evidence(world, role, target) + "remove/"


def _success_metric_remove(world, role, target):
    from metrics.models import MetricDefinition
    from portfolio.workbooks.models import SuccessMetric

    row = SuccessMetric.objects.create(
        pilot=world.pilots[target],
        metric=MetricDefinition.objects.get(key="error_rate"),
        baseline=0.2,
        target=0.1,
    )
    pilot = world.pilots[target].pk
    return f"/pilots/{pilot}/workbooks/strategy/lists/success_metrics/{row.pk}/remove/"


# Webhooks: administrators and governance leads only, whatever the pilot (no target).
MANAGE_WEBHOOKS_API = """
            admin gov exec contrib outsider owner anon revoked
-           ok    ok  403  403     403      403   401  401
"""
_WEBHOOK_URL = "https://93.184.215.14/hook"  # a public address literal: no DNS needed


ADMIN_ONLY_PAGE = """
            admin gov exec contrib outsider owner anon  revoked
-           ok    403 403  403     403      403   login login
"""


def _channel_remove(world, role, target):
    from notify.models import Channel

    channel = Channel.objects.create(
        name="Matrix channel", kind="slack", url="https://hooks.slack.com/services/T/B/x",
        event_types=["alert.opened"],
    )  # fmt: skip
    return f"/accounts/notifications/channels/{channel.pk}/remove/"


def _webhook(prefix: str, suffix: str = ""):
    """URL of a new subscription (one per call, so a delete finds one to delete)."""

    def build(world, role, target):
        from webhooks.models import Subscription, new_secret

        subscription = Subscription.objects.create(
            url=_WEBHOOK_URL, event_types=["alert.opened"], secret=new_secret(),
            created_by=world.users["gov"],
        )  # fmt: skip
        return f"{prefix}{subscription.pk}/{suffix}"

    return build


# Inventory (issue 18): contributors, governance leads and admins record assets; everyone
# signed in reads them; a pilot's links change through its owners (or an admin).
EDIT_INVENTORY_API = """
            admin gov exec contrib outsider owner anon revoked
-           ok    ok  403  ok      403      ok    401  401
"""
EDIT_INVENTORY_PAGE = _page(EDIT_INVENTORY_API)


def _vendor(world, *_args):
    from inventory.models import Vendor

    return Vendor.objects.get_or_create(name="Matrix vendor")[0]


def _prompt(world, *_args):
    from inventory.models import Prompt

    found = Prompt.objects.filter(identifier="matrix-prompt").first()
    if found is None:
        from inventory.services import prompt_create

        found = prompt_create(by=world.someone, identifier="matrix-prompt", content="Hello")
    return found


def _inventory_url(kind: str, prefix: str = "/api/inventory", suffix: str = ""):
    plural = {"model": "models", "prompt": "prompts", "dataset": "datasets", "vendor": "vendors"}

    def build(world, role, target):
        from inventory.models import AIModel, Dataset

        if kind == "vendor":
            asset = _vendor(world)
        elif kind == "prompt":
            asset = _prompt(world)
        elif kind == "model":
            asset = AIModel.objects.get_or_create(provider="M", name="Matrix", version="1")[0]
        else:
            asset = Dataset.objects.get_or_create(name="Matrix data")[0]
        segment = plural[kind] if prefix.startswith("/api") else kind
        return f"{prefix}/{segment}/{asset.pk}/{suffix}"

    return build


def _webhook_delivery(prefix: str, suffix: str = ""):
    def build(world, role, target):
        from webhooks.models import Delivery

        url = _webhook("/x/")(world, role, target)
        delivery = Delivery.objects.create(
            subscription_id=int(url.strip("/").rsplit("/", 1)[-1]), message_id="msg_matrix",
            event_type="webhook.ping", body={"type": "webhook.ping"},
        )  # fmt: skip
        return f"{prefix}{delivery.pk}/{suffix}"

    return build


def _add_vendor(world, role, target):
    return {"kind": "vendor", "to": _vendor(world).pk, "purpose": f"Matrix {role}"}


def _add_vendor_page(world, role, target):
    return {"to": f"vendor:{_vendor(world).pk}", "purpose": f"Matrix {role}", "note": ""}


def _link(world, target):
    from inventory.models import PilotAsset

    pilot = world.pilots[target]
    return PilotAsset.objects.filter(pilot=pilot).first() or PilotAsset.objects.create(
        pilot=pilot, kind="vendor", vendor=_vendor(world), purpose="Matrix"
    )


def _change_url(prefix: str):
    def build(world, role, target):
        from inventory.models import ChangeRequest

        change = ChangeRequest.objects.filter(pilot=world.pilots[target]).first()
        if change is None:
            change = ChangeRequest.objects.create(
                pilot=world.pilots[target], kind="vendor", to_label="Matrix vendor",
                classification="minor", stage="discovery", status="not_controlled",
                source="page", requested_by=world.someone,
            )  # fmt: skip
        return f"{prefix}{change.pk}/"

    return build


_WEBHOOK_FORM = {"url": _WEBHOOK_URL, "event_types": ["alert.opened"], "is_active": "on"}


def _rule_form(world, role, target):
    from inventory.models import ChangeRule

    rule = ChangeRule.objects.order_by("pk").first()
    return {"rule": rule.pk, f"r{rule.pk}-classification": "material",
            f"r{rule.pk}-explanation": "Matrix"}  # fmt: skip


API: dict[str, Row] = {
    "GET /api/pilots/": Row(ANY_SIGNED_IN_API, "/api/pilots/"),
    "POST /api/pilots/": Row(
        CREATE_PILOT_API, "/api/pilots/", {"name": "Matrix pilot", "business_unit": "Ops"}
    ),
    "GET /api/pilots/{id}/": Row(READ_PILOT_API, "/api/pilots/{pilot}/"),
    "PATCH /api/pilots/{id}/": Row(EDIT_PILOT_API, "/api/pilots/{pilot}/", {"name": "Renamed"}),
    "GET /api/pilots/{id}/evaluation/": Row(
        READ_PILOT_API, "/api/pilots/{pilot}/evaluation/?to_stage=pilot"
    ),
    "GET /api/pilots/{id}/metrics/": Row(
        READ_PILOT_API, "/api/pilots/{pilot}/metrics/?metric=error_rate"
    ),
    "GET /api/pilots/{id}/reviews/": Row(READ_PILOT_API, "/api/pilots/{pilot}/reviews/"),
    "GET /api/pilots/{id}/signal/": Row(READ_PILOT_API, "/api/pilots/{pilot}/signal/"),
    # Owners may ask; the demo-less pilot's strategy workbook is empty, so the request is
    # refused for its failing criteria (409) once access is granted.
    "POST /api/pilots/{id}/reviews/": Row(
        """
                    admin gov exec contrib outsider owner anon revoked
        own         403   403 403  403     403      409   401  401
        other       403   403 403  403     403      403   401  401
        conf_own    403   403 403  404     404      409   401  401
        conf_other  403   403 403  404     404      404   401  401
        """,
        "/api/pilots/{pilot}/reviews/",
        {"to_stage": "pilot"},
    ),
    "GET /api/pilots/{id}/workbooks/{phase}/": Row(
        READ_PILOT_API, "/api/pilots/{pilot}/workbooks/strategy/"
    ),
    "PUT /api/pilots/{id}/workbooks/{phase}/": Row(
        EDIT_WORKBOOK_API, "/api/pilots/{pilot}/workbooks/strategy/", {"why_now": "Matrix"}
    ),
    "PATCH /api/pilots/{id}/workbooks/{phase}/": Row(
        EDIT_WORKBOOK_API, "/api/pilots/{pilot}/workbooks/strategy/", {"why_now": "Matrix"}
    ),
    "GET /api/portfolio/summary/": Row(ANY_SIGNED_IN_API, "/api/portfolio/summary/"),
    "GET /api/reviews/": Row(ANY_SIGNED_IN_API, "/api/reviews/"),
    "GET /api/reviews/{id}/": Row(READ_PILOT_API, _review_url()),
    # Only governance leads decide, never on a pilot they hold a role on.
    "POST /api/reviews/{id}/decisions/": Row(
        """
                    admin gov exec contrib outsider owner anon revoked
        own         403   ok  403  403     403      403   401  401
        other       403   ok  403  403     403      403   401  401
        conf_own    403   ok  403  404     404      403   401  401
        conf_other  403   ok  403  404     404      404   401  401
        """,
        _review_url("decisions/"),
        {"decision": "reject", "rationale": "Matrix."},
    ),
    "POST /api/reviews/{id}/withdraw/": Row(EDIT_WORKBOOK_API, _review_url("withdraw/")),
    "GET /api/pilots/{id}/waivers/": Row(READ_PILOT_API, "/api/pilots/{pilot}/waivers/"),
    # Same rule as granting: governance leads, never on a pilot they hold a role on.
    "POST /api/waivers/{id}/revoke/": Row(
        """
                    admin gov exec contrib outsider owner anon revoked
        own         403   ok  403  403     403      403   401  401
        other       403   ok  403  403     403      403   401  401
        conf_own    403   ok  403  404     404      403   401  401
        conf_other  403   ok  403  404     404      404   401  401
        """,
        _waiver_revoke("/api"),
        {"reason": "Matrix."},
    ),
    "GET /api/pilots/{id}/checklists/{slug}/": Row(
        READ_PILOT_API, "/api/pilots/{pilot}/checklists/iso_42001/"
    ),
    # Who answers checklists: the pilot's business and technical owners (not admins).
    "PATCH /api/pilots/{id}/checklists/{slug}/": Row(
        EDIT_WORKBOOK_API,
        "/api/pilots/{pilot}/checklists/iso_42001/",
        {"answers": {"a_2_2": "partial"}},
    ),
    "GET /api/crosswalk/": Row(ANY_SIGNED_IN_API, "/api/crosswalk/"),
    "GET /api/pilots/{pilot_pk}/sources/": Row(READ_PILOT_API, "/api/pilots/{pilot}/sources/"),
    # The body is refused for its config (400) once access is granted: the cell still shows
    # who gets past the permission check, which runs first.
    "POST /api/pilots/{pilot_pk}/sources/": Row(
        EDIT_PILOT_API.replace("ok ", "400"),
        "/api/pilots/{pilot}/sources/",
        {
            "name": "Matrix pull",
            "kind": "http_json",
            "config": {"url": "https://metrics.example.com/v", "metrics": {"error_rate": "$.e"}},
        },
    ),
    "GET /api/sources/{id}/": Row(READ_PILOT_API, _api_source()),
    "PATCH /api/sources/{id}/": Row(
        EDIT_PILOT_API.replace("ok ", "400"), _api_source(), {"name": "Renamed"}
    ),
    "DELETE /api/sources/{id}/": Row(EDIT_PILOT_API, _api_source()),
    "POST /api/sources/{id}/pull/": Row(EDIT_PILOT_API, _api_source("pull/")),
    # Pushing snapshots for a pilot: its owners (and admins, who run machine clients).
    "POST /api/snapshots/": Row(EDIT_PILOT_API, "/api/snapshots/", _snapshot_rows),
    "GET /api/webhooks/event-types/": Row(ANY_SIGNED_IN_API, "/api/webhooks/event-types/"),
    "GET /api/webhooks/subscriptions/": Row(MANAGE_WEBHOOKS_API, "/api/webhooks/subscriptions/"),
    "POST /api/webhooks/subscriptions/": Row(
        MANAGE_WEBHOOKS_API,
        "/api/webhooks/subscriptions/",
        {"url": _WEBHOOK_URL, "event_types": ["alert.opened"]},
    ),
    "GET /api/webhooks/subscriptions/{id}/": Row(
        MANAGE_WEBHOOKS_API, _webhook("/api/webhooks/subscriptions/")
    ),
    "PATCH /api/webhooks/subscriptions/{id}/": Row(
        MANAGE_WEBHOOKS_API, _webhook("/api/webhooks/subscriptions/"), {"description": "M"}
    ),
    "DELETE /api/webhooks/subscriptions/{id}/": Row(
        MANAGE_WEBHOOKS_API, _webhook("/api/webhooks/subscriptions/")
    ),
    "POST /api/webhooks/subscriptions/{id}/rotate-secret/": Row(
        MANAGE_WEBHOOKS_API, _webhook("/api/webhooks/subscriptions/", "rotate-secret/")
    ),
    "POST /api/webhooks/subscriptions/{id}/test/": Row(
        MANAGE_WEBHOOKS_API, _webhook("/api/webhooks/subscriptions/", "test/")
    ),
    "GET /api/webhooks/subscriptions/{id}/deliveries/": Row(
        MANAGE_WEBHOOKS_API, _webhook("/api/webhooks/subscriptions/", "deliveries/")
    ),
    "GET /api/webhooks/deliveries/{id}/": Row(
        MANAGE_WEBHOOKS_API, _webhook_delivery("/api/webhooks/deliveries/")
    ),
    "POST /api/webhooks/deliveries/{id}/redeliver/": Row(
        MANAGE_WEBHOOKS_API, _webhook_delivery("/api/webhooks/deliveries/", "redeliver/")
    ),
    "GET /api/inventory/models/": Row(ANY_SIGNED_IN_API, "/api/inventory/models/"),
    "GET /api/inventory/prompts/": Row(ANY_SIGNED_IN_API, "/api/inventory/prompts/"),
    "GET /api/inventory/datasets/": Row(ANY_SIGNED_IN_API, "/api/inventory/datasets/"),
    "GET /api/inventory/vendors/": Row(ANY_SIGNED_IN_API, "/api/inventory/vendors/"),
    "POST /api/inventory/models/": Row(
        EDIT_INVENTORY_API,
        "/api/inventory/models/",
        {"provider": "M", "name": "New", "version": "2", "hosting": "self_hosted"},
    ),
    "POST /api/inventory/prompts/": Row(
        EDIT_INVENTORY_API, "/api/inventory/prompts/", {"identifier": "new", "content": "Hi"}
    ),
    "POST /api/inventory/datasets/": Row(
        EDIT_INVENTORY_API, "/api/inventory/datasets/", {"name": "New data"}
    ),
    "POST /api/inventory/vendors/": Row(
        EDIT_INVENTORY_API, "/api/inventory/vendors/", {"name": "New vendor"}
    ),
    "GET /api/inventory/models/{id}/": Row(ANY_SIGNED_IN_API, _inventory_url("model")),
    "GET /api/inventory/prompts/{id}/": Row(ANY_SIGNED_IN_API, _inventory_url("prompt")),
    "GET /api/inventory/datasets/{id}/": Row(ANY_SIGNED_IN_API, _inventory_url("dataset")),
    "GET /api/inventory/vendors/{id}/": Row(ANY_SIGNED_IN_API, _inventory_url("vendor")),
    "PATCH /api/inventory/models/{id}/": Row(
        EDIT_INVENTORY_API, _inventory_url("model"), {"licence": "MIT"}
    ),
    "PATCH /api/inventory/prompts/{id}/": Row(
        EDIT_INVENTORY_API, _inventory_url("prompt"), {"description": "Matrix"}
    ),
    "PATCH /api/inventory/datasets/{id}/": Row(
        EDIT_INVENTORY_API, _inventory_url("dataset"), {"retention": "1 year"}
    ),
    "PATCH /api/inventory/vendors/{id}/": Row(
        EDIT_INVENTORY_API, _inventory_url("vendor"), {"data_residency": "EU"}
    ),
    "POST /api/inventory/prompts/{id}/versions/": Row(
        EDIT_INVENTORY_API,
        _inventory_url("prompt", suffix="versions/"),
        lambda world, role, target: {"content": f"Matrix {role}"},
    ),
    "GET /api/pilots/{id}/assets/": Row(READ_PILOT_API, "/api/pilots/{pilot}/assets/"),
    "GET /api/pilots/{id}/changes/": Row(READ_PILOT_API, "/api/pilots/{pilot}/changes/"),
    "POST /api/pilots/{id}/changes/": Row(
        EDIT_PILOT_API, "/api/pilots/{pilot}/changes/", _add_vendor
    ),
    "GET /api/changes/{id}/": Row(READ_PILOT_API, _change_url("/api/changes/")),
    # The EU AI Act profile: read by whoever sees the pilot, answered by its owners (admins
    # too are refused: the owner answers for the system), confirmed by an independent lead.
    "GET /api/pilots/{id}/regulatory-profile/": Row(
        READ_PILOT_API,
        "/api/pilots/{pilot}/regulatory-profile/",
        setup=_new_profile,
    ),
    "PUT /api/pilots/{id}/regulatory-profile/": Row(
        EDIT_WORKBOOK_API, "/api/pilots/{pilot}/regulatory-profile/", _MINIMAL_ANSWERS
    ),
    "POST /api/pilots/{id}/regulatory-profile/confirm/": Row(
        """
                    admin gov exec contrib outsider owner anon revoked
        own         403   ok  403  403     403      403   401  401
        other       403   ok  403  403     403      403   401  401
        conf_own    403   ok  403  404     404      403   401  401
        conf_other  403   ok  403  404     404      404   401  401
        """,
        "/api/pilots/{pilot}/regulatory-profile/confirm/",
        _confirm_data,
    ),
    "GET /api/pilots/{id}/obligations/": Row(READ_PILOT_API, "/api/pilots/{pilot}/obligations/"),
    "GET /api/obligations/": Row(ANY_SIGNED_IN_API, "/api/obligations/"),
    "PATCH /api/obligations/{key}/": Row(
        """
                    admin gov exec contrib outsider owner anon revoked
        -           403   ok  403  403     403      403   401  401
        """,
        "/api/obligations/fria/",
        {"title": "Fundamental-rights impact assessment (matrix)"},
    ),
}

PAGES: dict[str, Row] = {
    "GET api-root": Row(ANY_SIGNED_IN_API, "/api/"),
    "GET portfolio:pilot_list": Row(ANY_SIGNED_IN_PAGE, "/pilots/"),
    "GET portfolio:pilot_create": Row(_page(CREATE_PILOT_API), "/pilots/new/"),
    "POST portfolio:pilot_create": Row(_page(CREATE_PILOT_API), "/pilots/new/", _pilot_form),
    "GET portfolio:pilot_detail": Row(_page(READ_PILOT_API), "/pilots/{pilot}/"),
    "GET portfolio:pilot_edit": Row(_page(EDIT_PILOT_API), "/pilots/{pilot}/edit/"),
    "POST portfolio:pilot_edit": Row(_page(EDIT_PILOT_API), "/pilots/{pilot}/edit/", _pilot_form),
    "GET portfolio:pilot_roles": Row(
        """
                    admin gov exec contrib outsider owner anon  revoked
        own         ok    403 403  403     403      ok    login login
        other       ok    403 403  403     403      403   login login
        conf_own    ok    403 403  404     404      ok    login login
        conf_other  ok    403 403  404     404      404   login login
        """,
        "/pilots/{pilot}/roles/",
    ),
    "POST portfolio:pilot_roles": Row(
        """
                    admin gov exec contrib outsider owner anon  revoked
        own         ok    403 403  403     403      ok    login login
        other       ok    403 403  403     403      403   login login
        conf_own    ok    403 403  404     404      ok    login login
        conf_other  ok    403 403  404     404      404   login login
        """,
        "/pilots/{pilot}/roles/",
        lambda world, role, target: {"role": "risk_lead", "user": world.someone.username},
    ),
    "GET accounts:tokens": Row(ANY_SIGNED_IN_PAGE, "/accounts/tokens/"),
    "POST accounts:tokens": Row(ANY_SIGNED_IN_PAGE, "/accounts/tokens/", {"name": "matrix"}),
    "POST accounts:token_revoke": Row(
        """
                admin gov exec contrib outsider owner anon  revoked
        mine    ok    ok  ok   ok      ok       ok    login login
        theirs  404   404 404  404     404      404   login login
        """,
        _token_target,
    ),
    "GET accounts:password_change": Row(ANY_SIGNED_IN_PAGE, "/accounts/password/"),
    "GET accounts:password_change_done": Row(ANY_SIGNED_IN_PAGE, "/accounts/password/done/"),
    # One's own second factor, sessions and linked identity (django-allauth's pages).
    "GET mfa_index": Row(ANY_SIGNED_IN_PAGE, "/accounts/mfa/"),
    "GET mfa_activate_totp": Row(ANY_SIGNED_IN_PAGE, "/accounts/mfa/totp/activate/"),
    # Nothing to deactivate or show before one sets up a factor: 404, for everyone alike.
    "GET mfa_deactivate_totp": Row(NOTHING_YET, "/accounts/mfa/totp/deactivate/"),
    "GET mfa_view_recovery_codes": Row(NOTHING_YET, "/accounts/mfa/recovery-codes/"),
    "GET mfa_generate_recovery_codes": Row(
        ANY_SIGNED_IN_PAGE, "/accounts/mfa/recovery-codes/generate/"
    ),
    "GET mfa_download_recovery_codes": Row(NOTHING_YET, "/accounts/mfa/recovery-codes/download/"),
    "GET mfa_reauthenticate": Row(ANY_SIGNED_IN_PAGE, "/accounts/mfa/reauthenticate/"),
    "GET account_reauthenticate": Row(ANY_SIGNED_IN_PAGE, "/accounts/reauthenticate/"),
    "GET usersessions_list": Row(ANY_SIGNED_IN_PAGE, "/accounts/sessions/"),
    "GET dashboard:home": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      ok    ok  ok   ok      ok       ok    login login
        """,
        "/portfolio/",
    ),
    # Everyone's own work; nothing of anyone else's (tests/portfolio/mywork).
    "GET mywork:home": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      ok    ok  ok   ok      ok       ok    login login
        """,
        "/my-work/",
    ),
    "GET dashboard:export_csv": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      ok    ok  ok   ok      ok       ok    login login
        """,
        "/portfolio/export.csv",
    ),
    "GET dashboard:board_pack": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      ok    ok  ok   ok      ok       ok    login login
        """,
        "/portfolio/board-pack.pdf",
    ),
    "GET gates:review_queue": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      403   ok  403  403     403      403   login login
        """,
        "/gates/reviews/",
    ),
    "GET gates:review_detail": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        _page_review(),
    ),
    "POST gates:review_decide": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   ok  403  403     403      403   login login
        other      403   ok  403  403     403      403   login login
        conf_own   403   ok  403  404     404      403   login login
        conf_other 403   ok  403  404     404      404   login login
        """,
        _page_review("decide/"),
        {"decision": "reject", "rationale": "Matrix."},
    ),
    "POST gates:review_withdraw": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   403 403  403     403      ok    login login
        other      403   403 403  403     403      403   login login
        conf_own   403   403 403  404     404      ok    login login
        conf_other 403   403 403  404     404      404   login login
        """,
        _page_review("withdraw/"),
    ),
    "POST gates:review_comment": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   ok  403  403     403      ok    login login
        other      403   ok  403  403     403      403   login login
        conf_own   403   ok  403  404     404      ok    login login
        conf_other 403   ok  403  404     404      404   login login
        """,
        _page_review("comments/"),
        {"body": "Matrix"},
    ),
    "GET gates:review_request": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   403 403  403     403      ok    login login
        other      403   403 403  403     403      403   login login
        conf_own   403   403 403  404     404      ok    login login
        conf_other 403   403 403  404     404      404   login login
        """,
        "/gates/pilots/{pilot}/request/",
    ),
    "GET gates:waiver_grant": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   ok  403  403     403      403   login login
        other      403   ok  403  403     403      403   login login
        conf_own   403   ok  403  404     404      403   login login
        conf_other 403   ok  403  404     404      404   login login
        """,
        "/gates/pilots/{pilot}/waivers/new/",
    ),
    "GET gates:waiver_revoke": Row(GOV_ONLY_PAGE, _waiver_revoke("/gates")),
    "POST gates:waiver_revoke": Row(GOV_ONLY_PAGE, _waiver_revoke("/gates"), {"reason": "Matrix"}),
    "POST gates:pilot_resume": Row(
        GOV_ONLY_PAGE, "/gates/pilots/{pilot}/resume/", {"reason": "Matrix"}, setup=_on_hold
    ),
    "GET gates:checklist": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        "/gates/pilots/{pilot}/checklists/ml_test_score/",
    ),
    "GET gates:crosswalk": Row(ANY_SIGNED_IN_PAGE, "/gates/crosswalk/"),
    "POST gates:condition_met": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   ok  403  403     403      403   login login
        other      403   ok  403  403     403      403   login login
        conf_own   403   ok  403  404     404      403   login login
        conf_other 403   ok  403  404     404      404   login login
        """,
        _condition,
    ),
    # The pilot's owners ask for its recertification (the world's pilots are not at scale,
    # so a request is refused for the pilot's state, 409, once access is granted).
    "GET gates:recertification_request": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   403 403  403     403      ok     login login
        other      403   403 403  403     403      403   login login
        conf_own   403   403 403  404     404      ok     login login
        conf_other 403   403 403  404     404      404   login login
        """,
        "/gates/pilots/{pilot}/recertify/",
    ),
    "POST gates:recertification_request": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   403 403  403     403      409    login login
        other      403   403 403  403     403      403   login login
        conf_own   403   403 403  404     404      409    login login
        conf_other 403   403 403  404     404      404   login login
        """,
        "/gates/pilots/{pilot}/recertify/",
        {"note": "Matrix"},
    ),
    # Everyone reads the intervals; governance leads change them.
    "GET gates:recertification_policy": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      ok    ok  ok   ok      ok       ok    login login
        """,
        "/gates/recertification/",
    ),
    "POST gates:recertification_policy": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      403   ok  403  403     403      403   login login
        """,
        "/gates/recertification/",
        {"months_high": "6", "months_medium": "12", "months_low": "18"},
    ),
    # Bulk import: admins only. An empty upload is refused (400) once access is granted;
    # the matrix's batch has no real file, so its import is refused (409).
    "GET onboarding:upload": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      ok  403 403  403     403      403   login login
        """,
        "/import/",
    ),
    "POST onboarding:upload": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      400 403 403  403     403      403   login login
        """,
        "/import/",
        {"file": ""},
    ),
    "GET onboarding:template_csv": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      ok  403 403  403     403      403   login login
        """,
        "/import/template.csv",
    ),
    "GET onboarding:preview": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      ok  403 403  403     403      403   login login
        """,
        _import_batch(),
    ),
    "POST onboarding:confirm": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      409 403 403  403     403      403   login login
        """,
        _import_batch("import/"),
    ),
    "POST onboarding:discard": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      ok  403 403  403     403      403   login login
        """,
        _import_batch("discard/"),
    ),
    "GET gates:criteria_list": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      403   ok  403  403     403      403   login login
        """,
        "/gates/criteria/",
    ),
    "GET gates:criteria_edit": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      403   ok  403  403     403      403   login login
        """,
        _gate_url(),
    ),
    "POST gates:criteria_attach": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      403   ok  403  403     403      403   login login
        """,
        _gate_url("attach/"),
        {"checklist": "ml_test_score", "mode": "min_score", "min_score": "2"},
    ),
    "GET regulation:overview": Row(ANY_SIGNED_IN_PAGE, "/regulation/"),
    "GET regulation:obligations": Row(ANY_SIGNED_IN_PAGE, "/regulation/obligations/"),
    "GET regulation:obligation_edit": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      403   ok  403  403     403      403   login login
        """,
        "/regulation/obligations/fria/",
    ),
    "GET regulation:profile": Row(_page(READ_PILOT_API), "/regulation/pilots/{pilot}/"),
    "POST regulation:profile": Row(
        _page(EDIT_WORKBOOK_API), "/regulation/pilots/{pilot}/", _MINIMAL_ANSWERS
    ),
    "GET regulation:document": Row(
        _page(READ_PILOT_API), "/regulation/pilots/{pilot}/documents/annex-iv/"
    ),
    "GET regulation:document_markdown": Row(
        _page(READ_PILOT_API), "/regulation/pilots/{pilot}/documents/fria.md"
    ),
    "GET regulation:document_pdf": Row(
        _page(READ_PILOT_API), "/regulation/pilots/{pilot}/documents/annex-iv.pdf"
    ),
    "POST regulation:profile_confirm": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   ok  403  403     403      403   login login
        other      403   ok  403  403     403      403   login login
        conf_own   403   ok  403  404     404      403   login login
        conf_other 403   ok  403  404     404      404   login login
        """,
        "/regulation/pilots/{pilot}/confirm/",
        _confirm_data,
    ),
    "POST metrics:alert_acknowledge": Row(_page(EDIT_PILOT_API), _alert("acknowledge/")),
    "POST metrics:alert_resolve": Row(
        _page(EDIT_PILOT_API), _alert("resolve/"), {"note": "Matrix"}
    ),
    "POST metrics:alerts_bulk": Row(
        _page(EDIT_PILOT_API), "/metrics/alerts/bulk/", _bulk_alert_data
    ),
    "GET metrics:source_list": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        "/metrics/pilots/{pilot}/sources/",
    ),
    "GET metrics:source_create": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    403 403  403     403      ok    login login
        other      ok    403 403  403     403      403   login login
        conf_own   ok    403 403  404     404      ok    login login
        conf_other ok    403 403  404     404      404   login login
        """,
        "/metrics/pilots/{pilot}/sources/new/",
    ),
    "GET metrics:csv_upload": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    403 403  403     403      ok    login login
        other      ok    403 403  403     403      403   login login
        conf_own   ok    403 403  404     404      ok    login login
        conf_other ok    403 403  404     404      404   login login
        """,
        "/metrics/pilots/{pilot}/csv/",
    ),
    "GET metrics:csv_report": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        _csv_report,
    ),
    "GET metrics:source_detail": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        _source(),
    ),
    "GET metrics:source_edit": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    403 403  403     403      ok    login login
        other      ok    403 403  403     403      403   login login
        conf_own   ok    403 403  404     404      ok    login login
        conf_other ok    403 403  404     404      404   login login
        """,
        _source("edit/"),
    ),
    "POST metrics:source_delete": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    403 403  403     403      ok    login login
        other      ok    403 403  403     403      403   login login
        conf_own   ok    403 403  404     404      ok    login login
        conf_other ok    403 403  404     404      404   login login
        """,
        _source("delete/"),
    ),
    "POST metrics:source_pull": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    403 403  403     403      ok    login login
        other      ok    403 403  403     403      403   login login
        conf_own   ok    403 403  404     404      ok    login login
        conf_other ok    403 403  404     404      404   login login
        """,
        _source("pull/"),
    ),
    "GET portfolio:workbook": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        "/pilots/{pilot}/workbooks/strategy/",
    ),
    "POST portfolio:workbook": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   403 403  403     403      ok    login login
        other      403   403 403  403     403      403   login login
        conf_own   403   403 403  404     404      ok    login login
        conf_other 403   403 403  404     404      404   login login
        """,
        "/pilots/{pilot}/workbooks/strategy/",
        {"why_now": "Matrix"},
    ),
    "POST portfolio:workbook_validate": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        "/pilots/{pilot}/workbooks/strategy/validate/",
        {"why_now": "Matrix"},
    ),
    "POST portfolio:workbook_row_add": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        403   403 403  403     403      400   login login
        other      403   403 403  403     403      403   login login
        conf_own   403   403 403  404     404      400   login login
        conf_other 403   403 403  404     404      404   login login
        """,
        "/pilots/{pilot}/workbooks/strategy/lists/success_metrics/add/",
    ),
    # Checks a row as it is typed and saves nothing: anyone who may read the pilot.
    "POST portfolio:workbook_row_validate": Row(
        _page(READ_PILOT_API),
        "/pilots/{pilot}/workbooks/strategy/lists/success_metrics/validate/",
        {"success_metrics-baseline": "1"},
    ),
    "POST portfolio:workbook_row_remove": Row(_page(EDIT_WORKBOOK_API), _success_metric_remove),
    "GET portfolio:memo": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        "/pilots/{pilot}/memo/",
    ),
    "GET portfolio:memo_markdown": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        "/pilots/{pilot}/memo.md",
    ),
    "GET portfolio:memo_pdf": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        "/pilots/{pilot}/memo.pdf",
    ),
    "GET portfolio:evidence": Row(
        """
                   admin gov exec contrib outsider owner anon  revoked
        own        ok    ok  ok   ok      ok       ok    login login
        other      ok    ok  ok   ok      ok       ok    login login
        conf_own   ok    ok  ok   404     404      ok    login login
        conf_other ok    ok  ok   404     404      404   login login
        """,
        _evidence,
    ),
    # Removing a file: whoever may edit the workbook holding it (one nothing holds: owners).
    "POST portfolio:evidence_remove": Row(_page(EDIT_WORKBOOK_API), _evidence_remove),
    # Notifications: one's own choices (no user in the URL); channels are for admins.
    "GET notify:preferences": Row(ANY_SIGNED_IN_PAGE, "/accounts/notifications/"),
    "GET notify:channels": Row(ADMIN_ONLY_PAGE, "/accounts/notifications/channels/"),
    "POST notify:channel_remove": Row(ADMIN_ONLY_PAGE, _channel_remove),
    "GET webhooks:list": Row(_page(MANAGE_WEBHOOKS_API), "/webhooks/"),
    "GET webhooks:create": Row(_page(MANAGE_WEBHOOKS_API), "/webhooks/new/"),
    "POST webhooks:create": Row(_page(MANAGE_WEBHOOKS_API), "/webhooks/new/", _WEBHOOK_FORM),
    "GET webhooks:detail": Row(_page(MANAGE_WEBHOOKS_API), _webhook("/webhooks/")),
    "GET webhooks:edit": Row(_page(MANAGE_WEBHOOKS_API), _webhook("/webhooks/", "edit/")),
    "POST webhooks:edit": Row(
        _page(MANAGE_WEBHOOKS_API), _webhook("/webhooks/", "edit/"), _WEBHOOK_FORM
    ),
    "POST webhooks:delete": Row(_page(MANAGE_WEBHOOKS_API), _webhook("/webhooks/", "delete/")),
    "POST webhooks:rotate": Row(
        _page(MANAGE_WEBHOOKS_API), _webhook("/webhooks/", "rotate-secret/")
    ),
    "POST webhooks:ping": Row(_page(MANAGE_WEBHOOKS_API), _webhook("/webhooks/", "test/")),
    "GET webhooks:delivery": Row(
        _page(MANAGE_WEBHOOKS_API), _webhook_delivery("/webhooks/deliveries/")
    ),
    "POST webhooks:redeliver": Row(
        _page(MANAGE_WEBHOOKS_API), _webhook_delivery("/webhooks/deliveries/", "redeliver/")
    ),
    "GET inventory:asset_list": Row(ANY_SIGNED_IN_PAGE, "/inventory/model/"),
    "GET inventory:asset_detail": Row(
        ANY_SIGNED_IN_PAGE, _inventory_url("prompt", prefix="/inventory")
    ),
    "GET inventory:asset_create": Row(EDIT_INVENTORY_PAGE, "/inventory/vendor/new/"),
    "POST inventory:asset_create": Row(
        EDIT_INVENTORY_PAGE,
        "/inventory/vendor/new/",
        {"name": "Matrix new vendor", "risk_rating": "low"},
    ),
    "GET inventory:asset_edit": Row(
        EDIT_INVENTORY_PAGE, _inventory_url("dataset", prefix="/inventory", suffix="edit/")
    ),
    "POST inventory:asset_edit": Row(
        EDIT_INVENTORY_PAGE,
        _inventory_url("dataset", prefix="/inventory", suffix="edit/"),
        {"name": "Matrix data", "legal_basis": "contract", "retention": "2 years"},
    ),
    "POST inventory:prompt_version_add": Row(
        EDIT_INVENTORY_PAGE,
        lambda world, role, target: f"/inventory/prompts/{_prompt(world).pk}/versions/",
        lambda world, role, target: {"content": f"Matrix {role}"},
    ),
    "GET inventory:pilot_link": Row(_page(EDIT_PILOT_API), "/inventory/pilots/{pilot}/link/"),
    "POST inventory:pilot_link": Row(
        _page(EDIT_PILOT_API), "/inventory/pilots/{pilot}/link/", _add_vendor_page
    ),
    "GET inventory:pilot_change": Row(
        _page(EDIT_PILOT_API),
        lambda world, role, target: f"/inventory/pilots/{{pilot}}/links/{_link(world, target).pk}/",
    ),
    "POST inventory:pilot_change": Row(
        _page(EDIT_PILOT_API),
        lambda world, role, target: f"/inventory/pilots/{{pilot}}/links/{_link(world, target).pk}/",
        {"to": "remove", "note": "Matrix"},
    ),
    "GET inventory:change_detail": Row(_page(READ_PILOT_API), _change_url("/inventory/changes/")),
    "GET inventory:change_rules": Row(ANY_SIGNED_IN_PAGE, "/inventory/change-rules/"),
    "POST inventory:change_rules": Row(
        """
               admin gov exec contrib outsider owner anon  revoked
        -      403   ok  403  403     403      403   login login
        """,
        "/inventory/change-rules/",
        _rule_form,
    ),
}

# Open to everyone by design; each with the reason.
PUBLIC = {
    "home": "asks for a login, then redirects to My work or the dashboard",
    "notify:unsubscribe": "the signed token in an email's link is the credential: one "
    "person, one topic; GET asks to confirm, POST turns that topic off",
    "healthz": "load balancer probe; says only 'ok'",
    "accounts:login": "the login form",
    "accounts:logout": "ends the caller's own session",
    "account_login": "the login form (django-allauth's name for accounts:login)",
    "account_logout": "ends the caller's own session (allauth's name for accounts:logout)",
    "account_inactive": "says the account is deactivated; shows no data",
    "mfa_authenticate": "the second step of a sign-in in progress; without one, the login",
    "openid_connect_login": "starts a single sign-on at the configured provider (404 if none)",
    "openid_connect_callback": "the provider's return; refused without this browser's state",
    "socialaccount_login_cancelled": "says a single sign-on was cancelled; shows no data",
    "socialaccount_login_error": "says a single sign-on failed; shows no data",
    "socialaccount_signup": "completes a single sign-on in progress; without one, the login",
    "api-schema": "the API's contract; documents no data",
    "api-docs": "Swagger UI for the public contract",
}


# --- the world every cell runs in ---------------------------------------------------


@pytest.fixture
def world(db):
    users = {
        "admin": UserFactory(username="m_admin", roles=["admin"], is_staff=True,
                             is_superuser=True),
        "gov": UserFactory(username="m_gov", roles=["governance_lead"]),
        "exec": UserFactory(username="m_exec", roles=["executive"]),
        "contrib": UserFactory(username="m_contrib", roles=["contributor"]),
        "outsider": UserFactory(username="m_outsider", roles=[]),
        "owner": UserFactory(username="m_owner", roles=["contributor"]),
    }  # fmt: skip
    someone = UserFactory(username="m_someone", roles=["contributor"])
    pilots = {
        "own": PilotFactory(name="Own", owner=users["owner"]),
        "other": PilotFactory(name="Other", owner=someone),
        "conf_own": PilotFactory(name="Own secret", owner=users["owner"], confidential=True),
        "conf_other": PilotFactory(name="Other secret", owner=someone, confidential=True),
    }
    tokens = {role: token_create(by=user, name="matrix")[1] for role, user in users.items()}
    revoked, secret = token_create(by=users["owner"], name="revoked")
    token_revoke(token=revoked, by=users["owner"])
    tokens["revoked"] = secret
    return World(users=users, pilots=pilots, tokens=tokens, someone=someone)


def _url(row: Row, world: World, role: str, target: str) -> str:
    url = row.url(world, role, target) if callable(row.url) else row.url
    if "{pilot}" in url:
        url = url.replace("{pilot}", str(world.pilots[target].pk))
    return url


def _data(row: Row, world: World, role: str, target: str):
    return row.data(world, role, target) if callable(row.data) else row.data


def _call(kind: str, method: str, row: Row, world: World, role: str, target: str):
    if row.setup:
        row.setup(world, role, target)
    url = _url(row, world, role, target)
    data = _data(row, world, role, target)
    if kind == "api":
        client = APIClient()
        if role in world.tokens:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.tokens[role]}")
        return getattr(client, method.lower())(url, data, format="json")
    if role == "revoked":
        client = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['revoked']}")
    else:
        client = Client()
        if role != "anon":
            client.force_login(world.users[role])
    if method == "GET":
        return client.get(url, data)
    return client.generic(method, url, _urlencode(data), "application/x-www-form-urlencoded")


def _urlencode(data) -> str:
    from urllib.parse import urlencode

    return urlencode(data or {}, doseq=True)


def _outcome(kind: str, response) -> str:
    code = response.status_code
    if kind == "page" and code in (301, 302, 303):
        return "login" if "/accounts/login/" in response["Location"] else "ok"
    if 200 <= code < 300:
        return "ok"
    return str(code)


def _cells():
    # One test per endpoint and role; its targets run in turn in the same world (they touch
    # different pilots), which keeps the matrix fast without hiding which cell failed.
    for kind, rows in (("api", API), ("page", PAGES)):
        for key, row in rows.items():
            table = row.table()
            for role in ROLES:
                targets = {t: o for (r, t), o in table.items() if r == role}
                yield pytest.param(kind, key, role, targets, id=f"{key}|{role}")


@pytest.mark.parametrize(("kind", "key", "role", "targets"), list(_cells()))
def test_matrix(world, caplog, kind, key, role, targets):
    caplog.set_level(logging.INFO, logger="pilotgate.security")
    row = (API if kind == "api" else PAGES)[key]
    method = key.split()[0]
    wrong = []
    for target, expected in targets.items():
        caplog.clear()
        response = _call(kind, method, row, world, role, target)
        got = _outcome(kind, response)
        if got != expected:
            wrong.append(f"{target}: got {got}, expected {expected}")
            continue
        body = response.json() if kind == "api" and got != "ok" else {}
        if (
            kind == "api"
            and got != "ok"
            and not (isinstance(body.get("message"), str) and isinstance(body.get("errors"), dict))
        ):
            wrong.append(f"{target}: error body not in the API's shape: {response.json()}")
        if role in AUTHENTICATED and expected in ("403", "404"):
            user_pk = world.users[role].pk
            logged = [
                r for r in caplog.records
                if r.name == "pilotgate.security" and f"user={user_pk} " in r.getMessage()
            ]  # fmt: skip
            if not logged:
                wrong.append(f"{target}: denial ({got}) not written to pilotgate.security")
    assert wrong == [], f"{key} as {role}: " + "; ".join(wrong)


@pytest.mark.skipif(not __import__("os").environ.get("MATRIX_OBSERVE"), reason="tooling")
def test_observe(world, capsys):
    """MATRIX_OBSERVE=1: print what every caller gets from rows marked OBSERVE (to draft
    their tables, which a person then checks against the rules before committing)."""
    errors: list[str] = []
    for kind, rows in (("api", API), ("page", PAGES)):
        for key, row in rows.items():
            if row.expect != "OBSERVE":
                continue
            targets = ["own", "other", "conf_own", "conf_other"]
            lines = ["            " + " ".join(f"{r:8}" for r in ROLES)]
            for target in targets:
                cells = []
                for role in ROLES:
                    try:
                        with transaction.atomic():
                            response = _call(kind, key.split()[0], row, world, role, target)
                        cells.append(_outcome(kind, response))
                    except Exception as exc:  # noqa: BLE001
                        cells.append(type(exc).__name__[:8])
                        errors.append(f"{key} {role} {target}: {exc!r}"[:300])
                lines.append(f"{target:11} " + " ".join(f"{c:8}" for c in cells))
            with capsys.disabled():
                print(f"\n{key}\n" + "\n".join(lines))
    with capsys.disabled():
        print(
            "\n".join(
                dict.fromkeys(
                    e.split(":", 1)[0].rsplit(" ", 2)[0] + ":" + e.split(":", 1)[1] for e in errors
                )
            )
        )


def test_matrix_size():
    cells = sum(len(row.table()) for rows in (API, PAGES) for row in rows.values())
    print(f"authorization matrix: {len(API) + len(PAGES)} endpoints, {cells} cells")
    assert cells >= 8 * (len(API) + len(PAGES))


# --- coverage: a new endpoint without a row fails -----------------------------------


def _schema_operations(client) -> set[str]:
    schema = client.get("/api/schema/?format=json").json()
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in methods
    }


def test_every_api_operation_has_a_row(client, db):
    operations = _schema_operations(client)
    assert sorted(operations - set(API)) == [], "add these API operations to the matrix"
    assert sorted(set(API) - operations) == [], "these matrix rows match no API operation"


def _url_names(resolver: URLResolver | None = None, namespace: str = "", route: str = ""):
    """Every named URL outside the admin, with its route, as {name: route}."""
    names = {}
    for entry in (resolver or get_resolver()).url_patterns:
        here = route + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            if inner == "admin":
                continue  # Django admin: staff only, guarded by Django itself
            prefix = f"{namespace}{inner}:" if inner else namespace
            names.update(_url_names(entry, prefix, here))
        elif isinstance(entry, URLPattern) and entry.name:
            names[f"{namespace}{entry.name}"] = here
    return names


def _api_route_names() -> set[str]:
    """Names the DRF router gives its routes (covered by the API rows via the schema)."""
    from config.api_urls import router

    names = set()
    for _prefix, viewset, basename in router.registry:
        for route in router.get_routes(viewset):
            names.add(route.name.format(basename=basename))
    return names


def test_every_page_has_a_row(db):
    page_names = {key.split()[1] for key in PAGES}
    # API operations are covered through the schema; api-root is the one API page left.
    names = {
        name
        for name, route in _url_names().items()
        if not route.startswith("api/") or name == "api-root"
    } - _api_route_names()
    missing = sorted(names - page_names - set(PUBLIC))
    assert missing == [], "add these pages to the matrix (or to PUBLIC, with a reason)"
    assert sorted(page_names - names) == [], "these matrix rows match no URL name"


def test_public_endpoints_are_reachable_without_credentials(client, db):
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/").status_code == 302
