"""My work's selectors: whose pilots, which reviews a lead can still decide, pagination."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import PilotRole
from config.errors import Conflict
from dashboard.mywork import selectors
from gates import services
from gates.models import Condition, Review, Waiver
from portfolio.models import Pilot
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def now():
    return timezone.now()


def test_owner_sees_only_the_pilots_they_hold_a_role_on(owner, outsider, technical_owner):
    mine = PilotFactory(name="Mine", owner=owner)
    PilotFactory(name="Someone else's", owner=outsider)
    ops = PilotFactory(name="Operated", owner=outsider)
    PilotRole.objects.create(pilot=ops, role="operations_lead", user=owner)
    stopped = PilotFactory(name="Stopped", owner=owner, status="stopped")
    names = [p.name for p in selectors.owned_pilots(user=owner)]
    assert names == ["Mine", "Operated"]
    assert stopped.pk not in {p.pk for p in selectors.owned_pilots(user=owner)}
    assert list(selectors.owned_pilots(user=technical_owner)) == []
    assert mine.pk in {p.pk for p in selectors.owned_pilots(user=owner)}


def test_next_step_lists_the_workbook_to_finish_and_failing_criteria_with_field_links(owner):
    pilot = PilotFactory(name="Fresh", owner=owner)
    (step,) = selectors.next_steps([pilot], now=now())
    assert step.gate_to == "pilot" and not step.ready_for_review
    assert [wb.phase for wb in step.workbooks] == ["strategy"]
    assert step.workbooks[0].first_missing[0] == "business problem"
    urls = {f.result.criterion_key: f.url for f in step.failing}
    base = f"/pilots/{pilot.pk}/workbooks/strategy/"
    assert urls["strategy_kpi"] == f"{base}#field-kpi"
    assert urls["strategy_success_metrics"] == f"{base}#list-success_metrics"


def test_next_step_offers_the_request_when_the_gate_passes(ready_pilot):
    (step,) = selectors.next_steps([ready_pilot], now=now())
    assert step.ready_for_review and not step.failing and not step.workbooks


def test_next_step_of_a_pilot_waiting_for_review_is_the_review(ready_pilot, owner):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    (step,) = selectors.next_steps([ready_pilot], now=now())
    assert step.pending_review == review and not step.failing


def test_next_step_shows_open_alerts_conditions_due_and_waivers_expiring(
    ready_pilot, owner, governance_lead
):
    from metrics.models import Alert, MetricDefinition

    metric = MetricDefinition.objects.first()
    Alert.objects.create(pilot=ready_pilot, metric=metric, kind="monitor", op=">", threshold=1,
                         observed_value=2, observed_at=now(), action="investigate")  # fmt: skip
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    services.review_decide(review=review, decision="approve_with_conditions", by=governance_lead,
                           rationale="ok", conditions=["Add a rollback owner"])  # fmt: skip
    for key, days in (("x", 3), ("later", 60)):
        Waiver.objects.create(
            pilot=ready_pilot, criterion_key=key, justification="j",
            expires_at=now() + timedelta(days=days), granted_by=governance_lead,
        )  # fmt: skip
    ready_pilot.refresh_from_db()
    (step,) = selectors.next_steps([ready_pilot], now=now())
    assert len(step.open_alerts) == 1
    assert [c.text for c in step.conditions] == ["Add a rollback owner"]
    assert [w.criterion_key for w in step.waivers] == ["x"]


def test_confidential_pilots_stay_invisible_to_outsiders(owner, outsider, governance_lead):
    long_ago = now() - timedelta(days=400)
    PilotFactory(name="Secret", owner=owner, confidential=True, stage_entered_at=long_ago)
    PilotFactory(name="Open", owner=owner, stage_entered_at=long_ago)
    assert [p.name for p in selectors.stale_pilots(user=outsider, now=now())] == ["Open"]
    assert {p.name for p in selectors.stale_pilots(user=governance_lead, now=now())} == {
        "Secret",
        "Open",
    }
    assert list(selectors.owned_pilots(user=outsider)) == []


def _service_accepts(review, lead) -> bool:
    """Whether review_decide takes `lead`'s approval now (rolled back either way)."""
    try:
        with transaction.atomic():
            services.review_decide(review=review, decision="approve", by=lead, rationale="r")
            raise _Rollback
    except _Rollback:
        return True
    except (Conflict, PermissionDenied):
        return False


class _Rollback(Exception):
    pass


def _decidable(lead):
    return [row.review.pk for row in selectors.decidable_reviews(user=lead, now=now())]


def test_a_lead_who_already_approved_no_longer_sees_the_review_as_decidable(
    high_risk_pilot, owner, governance_lead, second_governance_lead
):
    review = services.review_request(pilot=high_risk_pilot, to_stage="pilot", by=owner)
    services.review_decide(review=review, decision="approve", by=governance_lead, rationale="")
    assert Review.objects.get(pk=review.pk).is_pending  # high risk: a second lead is needed
    assert _decidable(governance_lead) == []
    assert _decidable(second_governance_lead) == [review.pk]
    row = selectors.decidable_reviews(user=second_governance_lead, now=now())[0]
    assert row.approvals == 1


@pytest.mark.parametrize(
    "case", ["plain", "decided", "lead_holds_role", "on_hold", "moved_on", "lead_requested"]
)
def test_decidable_is_exactly_what_the_service_accepts(
    case, high_risk_pilot, owner, governance_lead, second_governance_lead
):
    review = services.review_request(pilot=high_risk_pilot, to_stage="pilot", by=owner)
    lead = governance_lead
    if case == "decided":
        services.review_decide(review=review, decision="approve", by=lead, rationale="")
    elif case == "lead_holds_role":
        PilotRole.objects.create(pilot=high_risk_pilot, role="risk_lead", user=lead)
    elif case == "on_hold":
        Pilot.objects.filter(pk=high_risk_pilot.pk).update(status="on_hold")
    elif case == "moved_on":
        Pilot.objects.filter(pk=high_risk_pilot.pk).update(stage="pilot")
    elif case == "lead_requested":
        Review.objects.filter(pk=review.pk).update(requested_by=lead)
    listed = review.pk in _decidable(lead)
    assert listed == _service_accepts(Review.objects.get(pk=review.pk), lead)
    assert listed == (case == "plain")


def test_conditions_to_verify_are_for_independent_leads_at_the_conditions_gate(
    ready_pilot, owner, governance_lead, second_governance_lead
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    services.review_decide(review=review, decision="approve_with_conditions", by=governance_lead,
                           rationale="ok", conditions=["Name a risk lead"])  # fmt: skip
    condition = Condition.objects.get()
    assert selectors.conditions_to_verify(user=second_governance_lead) == [condition]
    assert selectors.conditions_to_verify(user=owner) == []
    PilotRole.objects.create(pilot=ready_pilot, role="risk_lead", user=second_governance_lead)
    assert selectors.conditions_to_verify(user=second_governance_lead) == []


def test_owner_count_counts_pilots_that_need_their_owner(ready_pilot, owner, outsider):
    assert selectors.owner_count(user=owner, now=now()) == 1
    services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    assert selectors.owner_count(user=owner, now=now()) == 0  # waiting for the leads
    assert selectors.owner_count(user=outsider, now=now()) == 0


def test_fix_links_point_at_the_roles_page_and_the_metrics_section(owner, simple_gates):
    from gates import engine, fix_links

    pilot = PilotFactory(owner=owner)
    (step,) = selectors.next_steps([pilot], now=now())
    assert [f.url for f in step.failing] == [f"/pilots/{pilot.pk}/roles/"]
    alerts = engine.Result("no_alerts", "No open alerts", "fail", "1 open", True)
    fix_links.prime(pilot, [engine.Criterion("no_alerts", "no_open_alerts", "x", {})])
    assert fix_links.fix_url(pilot, alerts) == f"/pilots/{pilot.pk}/#alerts"
