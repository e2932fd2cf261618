"""The waiver form: only criteria that fail now, several at once, a warning on a stop signal."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditEvent, PilotRole
from gates import services
from gates.models import Waiver
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def _future() -> str:
    return (timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def failing_pilot(owner, simple_gates):
    """Both criteria of the next gate fail: no technical owner, no risk lead."""
    return PilotFactory(name="Failing pilot", owner=owner)


def test_the_form_offers_only_criteria_that_fail_now(client_for, ready_pilot, governance_lead):
    html = client_for(governance_lead).get(f"/gates/pilots/{ready_pilot.pk}/waivers/new/")
    html = html.content.decode()
    assert 'value="risk_lead_named"' in html  # fails (advisory)
    assert 'value="technical_owner_named"' not in html  # passes
    assert "Roles not named: risk lead" in html  # the reason it fails, beside it


def test_a_passing_criterion_is_refused_by_the_page_and_the_service(
    client_for, ready_pilot, governance_lead
):
    response = client_for(governance_lead).post(
        f"/gates/pilots/{ready_pilot.pk}/waivers/new/",
        {"criterion_keys": ["technical_owner_named"], "justification": "j",
         "expires_at": _future()},
    )  # fmt: skip
    assert response.status_code == 400 and "Criteria to waive" in response.content.decode()
    with pytest.raises(ValidationError) as exc:
        services.waivers_grant(
            pilot=ready_pilot, criterion_keys=["technical_owner_named"], justification="j",
            expires_at=timezone.now() + timedelta(days=5), by=governance_lead,
        )  # fmt: skip
    assert "Technical owner named passes or is already waived" in str(exc.value)
    assert not Waiver.objects.exists()


def test_several_failing_criteria_are_waived_at_once_each_audited(
    client_for, failing_pilot, governance_lead
):
    before = AuditEvent.objects.filter(action="waiver.grant").count()
    response = client_for(governance_lead).post(
        f"/gates/pilots/{failing_pilot.pk}/waivers/new/",
        {"criterion_keys": ["technical_owner_named", "risk_lead_named"],
         "justification": "Hiring both", "expires_at": _future()},
    )  # fmt: skip
    assert response.status_code == 302
    assert sorted(Waiver.objects.values_list("criterion_key", flat=True)) == [
        "risk_lead_named",
        "technical_owner_named",
    ]
    assert AuditEvent.objects.filter(action="waiver.grant").count() == before + 2
    # Both now waived: nothing is left to offer.
    again = client_for(governance_lead).get(f"/gates/pilots/{failing_pilot.pk}/waivers/new/")
    assert "there is nothing to waive" in again.content.decode()


def test_nothing_chosen_is_a_400_naming_the_field(client_for, failing_pilot, governance_lead):
    response = client_for(governance_lead).post(
        f"/gates/pilots/{failing_pilot.pk}/waivers/new/",
        {"justification": "j", "expires_at": _future()},
    )
    assert response.status_code == 400
    assert "Choose at least one failing criterion." in response.content.decode()


def test_wrong_actors_cannot_waive(client_for, failing_pilot, owner, governance_lead, outsider):
    url = f"/gates/pilots/{failing_pilot.pk}/waivers/new/"
    data = {"criterion_keys": ["risk_lead_named"], "justification": "j", "expires_at": _future()}
    assert client_for(owner).post(url, data).status_code == 403
    assert client_for(outsider).post(url, data).status_code == 403
    PilotRole.objects.create(pilot=failing_pilot, role="risk_lead", user=governance_lead)
    assert client_for(governance_lead).post(url, data).status_code == 403
    with pytest.raises(PermissionDenied):
        services.waivers_grant(
            pilot=failing_pilot, criterion_keys=["technical_owner_named"], justification="j",
            expires_at=timezone.now() + timedelta(days=5), by=governance_lead,
        )  # fmt: skip
    assert not Waiver.objects.exists()


def _signal(code: str, stop_recommended: bool = False):
    def detail(pilot, **kwargs):
        return {"code": code, "label": code.capitalize(), "reasons": ["Stop condition met"],
                "stop_recommended": stop_recommended, "stop_reason": ""}  # fmt: skip

    return detail


@pytest.mark.parametrize(
    ("code", "recommended", "warned"),
    [("stop", False, True), ("hold", True, True), ("scale", False, False)],
)
def test_the_form_warns_when_the_signal_says_stop(
    client_for, failing_pilot, governance_lead, monkeypatch, code, recommended, warned
):
    monkeypatch.setattr("gates.views.pilot_signal_detail", _signal(code, recommended))
    html = client_for(governance_lead).get(f"/gates/pilots/{failing_pilot.pk}/waivers/new/")
    html = html.content.decode()
    assert ('id="stop-warning"' in html) is warned


def test_the_form_reads_the_real_signal(client_for, failing_pilot, governance_lead):
    html = client_for(governance_lead).get(f"/gates/pilots/{failing_pilot.pk}/waivers/new/")
    assert html.status_code == 200 and 'id="stop-warning"' not in html.content.decode()
