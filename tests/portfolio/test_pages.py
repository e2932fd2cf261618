import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent, PilotRole
from portfolio.models import Pilot
from tests.factories import PilotFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_login(client, pilot):
    for url in (
        reverse("portfolio:pilot_list"),
        pilot.get_absolute_url(),
        reverse("portfolio:pilot_create"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_login_and_logout(client, owner):
    response = client.post(
        reverse("accounts:login"), {"username": "owner", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.get(reverse("portfolio:pilot_list")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("portfolio:pilot_list")).status_code == 302


def test_contributor_registers_a_pilot_through_the_page(owner, client_for):
    client = client_for(owner)
    response = client.post(
        reverse("portfolio:pilot_create"),
        {
            "name": "Refund bot",
            "business_unit": "Customer Service",
            "summary": "",
            "risk_tier": "low",
        },
    )
    pilot = Pilot.objects.get(name="Refund bot")
    assert response.status_code == 302 and response["Location"] == pilot.get_absolute_url()
    assert PilotRole.objects.get(pilot=pilot, role="business_owner").user == owner
    detail = client.get(pilot.get_absolute_url())
    assert "Refund bot" in detail.content.decode()
    assert "Pilot registered" in detail.content.decode()


def test_create_form_shows_field_errors(owner, client_for):
    response = client_for(owner).post(
        reverse("portfolio:pilot_create"), {"name": "", "business_unit": "", "risk_tier": "low"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "business_unit"}


def test_executive_gets_403_on_create_page(executive, client_for):
    assert client_for(executive).get(reverse("portfolio:pilot_create")).status_code == 403


@pytest.mark.parametrize("actor", ["outsider", "executive", "governance_lead"])
def test_wrong_actor_gets_403_on_edit_and_roles_pages(request, actor, pilot, client_for):
    client = client_for(request.getfixturevalue(actor))
    edit = reverse("portfolio:pilot_edit", args=[pilot.pk])
    roles = reverse("portfolio:pilot_roles", args=[pilot.pk])
    assert client.get(edit).status_code == 403
    assert (
        client.post(edit, {"name": "Hijack", "business_unit": "X", "risk_tier": "low"}).status_code
        == 403
    )
    assert client.post(roles, {"role": "risk_lead", "user": ""}).status_code == 403
    pilot.refresh_from_db()
    assert pilot.name == "Claims triage"


def test_owner_edits_pilot_through_the_page(owner, pilot, client_for):
    response = client_for(owner).post(
        reverse("portfolio:pilot_edit", args=[pilot.pk]),
        {
            "name": "Claims triage 2",
            "business_unit": "Claims",
            "summary": "<script>x</script>",
            "risk_tier": "high",
        },
    )
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert (pilot.name, pilot.risk_tier, pilot.summary) == (
        "Claims triage 2",
        "high",
        "<script>x</script>",
    )
    page = client_for(owner).get(pilot.get_absolute_url()).content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_owner_assigns_a_role_through_the_page(owner, pilot, client_for):
    tech = UserFactory(username="tech", roles=["contributor"])
    response = client_for(owner).post(
        reverse("portfolio:pilot_roles", args=[pilot.pk]),
        {"role": "technical_owner", "user": tech.username},
    )
    assert response.status_code == 302
    assert PilotRole.objects.get(pilot=pilot, role="technical_owner").user == tech
    assert AuditEvent.objects.filter(action="pilot_role.assign", pilot_id=pilot.pk).exists()


def test_outsider_gets_404_for_confidential_pilot_and_it_is_not_listed(
    outsider, confidential_pilot, pilot, client_for
):
    client = client_for(outsider)
    for name in ("pilot_detail", "pilot_edit", "pilot_roles"):
        assert (
            client.get(reverse(f"portfolio:{name}", args=[confidential_pilot.pk])).status_code
            == 404
        )
    listing = client.get(reverse("portfolio:pilot_list")).content.decode()
    assert confidential_pilot.name not in listing
    assert pilot.name in listing


def test_list_filters_by_stage_unit_risk_and_mine(owner, outsider, client_for):
    PilotFactory(name="A", business_unit="Finance", stage="pilot", risk_tier="high", owner=owner)
    PilotFactory(
        name="B",
        business_unit="Legal",
        stage="pilot",
        risk_tier="low",
        owner=outsider,
        summary="Reads xylophone invoices",
    )
    PilotFactory(name="C", business_unit="Finance", stage="scale", risk_tier="high", owner=outsider)
    client = client_for(owner)

    def names(**params):
        response = client.get(reverse("portfolio:pilot_list"), params)
        return sorted(p.name for p in response.context["page"].object_list)

    assert names(stage="pilot") == ["A", "B"]
    assert names(business_unit="Finance") == ["A", "C"]
    assert names(risk_tier="high", stage="scale") == ["C"]
    assert names(mine="true") == ["A"]
    assert names(q="XYLOPHONE") == ["B"]
    assert names(q="legal") == []  # search covers name and summary, not the unit


def test_htmx_filter_request_returns_only_the_results_fragment(owner, pilot, client_for):
    response = client_for(owner).get(
        reverse("portfolio:pilot_list"), {"stage": "discovery"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body and pilot.name in body


def test_unknown_filter_value_is_reported_not_a_crash(owner, client_for):
    response = client_for(owner).get(reverse("portfolio:pilot_list"), {"stage": "nonsense"})
    assert response.status_code == 200
    assert "stage" in response.context["filter"].errors


def _make_pilots(count, owner):
    for n in range(count):
        pilot = PilotFactory(name=f"P{n:03}", owner=owner, confidential=n % 5 == 0)
        other = UserFactory(username=f"t{pilot.pk}")
        PilotRole.objects.create(pilot=pilot, role="technical_owner", user=other)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("actor", ["owner", "outsider", "executive"])
def test_pilot_list_query_count_does_not_grow_with_pilots(request, actor, owner, client_for):
    client = client_for(request.getfixturevalue(actor))
    url = reverse("portfolio:pilot_list")
    _make_pilots(5, owner)
    small = _count_queries(client, url)
    _make_pilots(60, owner)
    large = _count_queries(client, url)
    assert small == large


def test_pilot_detail_query_count_does_not_grow_with_audit_events(owner, pilot, client_for):
    client = client_for(owner)
    from portfolio import services

    services.pilot_update(pilot=pilot, by=owner, summary="one")
    small = _count_queries(client, pilot.get_absolute_url())
    for n in range(30):
        services.pilot_update(pilot=pilot, by=owner, summary=f"v{n}")
    assert _count_queries(client, pilot.get_absolute_url()) == small


def test_pilot_page_navigation_counts_reviews_open_alerts_and_evidence(owner, pilot, client_for):
    from django.utils import timezone

    from gates.models import CriteriaVersion, Gate, Review
    from portfolio.workbooks.models import TestResult, ValidationLayer
    from tests.dashboard.conftest import add_alert

    gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
    version = CriteriaVersion.objects.create(gate=gate, number=99, criteria=[], note="t")
    for status in ("withdrawn", "pending"):
        Review.objects.create(
            pilot=pilot,
            from_stage="discovery",
            to_stage="pilot",
            criteria_version=version,
            requested_by=owner,
            requested_at=timezone.now(),
            status=status,
        )
    add_alert(pilot, "error_rate", "monitor")
    add_alert(pilot, "uptime_pct", "monitor", status="acknowledged")
    add_alert(pilot, "p95_latency_ms", "monitor", status="resolved")
    TestResult.objects.create(pilot=pilot, category="functional", evidence_url="https://e.x/1")
    TestResult.objects.create(pilot=pilot, category="ethical")  # no evidence
    ValidationLayer.objects.create(pilot=pilot, layer="data", evidence_url="https://e.x/2")
    other = PilotFactory(owner=owner)
    TestResult.objects.create(pilot=other, category="functional", evidence_url="https://e.x/3")

    response = client_for(owner).get(pilot.get_absolute_url())
    assert response.context["counts"] == {"reviews": 2, "alerts": 2, "evidence": 2}
    html = response.content.decode()
    start = html.index('aria-labelledby="h-on-this-page"')
    nav = html[start : html.index("</nav>", start)]
    # Each link jumps to a section that is on the page.
    for anchor in ("signal", "workbooks", "gates", "metrics", "metric-sources", "people", "audit"):
        assert f'href="#{anchor}"' in nav
        assert f'id="{anchor}"' in html
    assert '2<span class="visually-hidden"> open alerts</span>' in nav
    assert '2<span class="visually-hidden"> reviews</span>' in nav
