from django import template
from django.utils import timezone

from accounts import rules
from gates import recertification, selectors
from gates.checklists import CHECKLISTS
from gates.forms import ResumeForm
from gates.labels import label_waivers
from gates.models import Condition, ReviewStatus
from gates.offer import live_evaluation, review_offer
from portfolio.workbooks.provides import workbook_facts
from portfolio.workbooks.tasklist import task_list

register = template.Library()


@register.inclusion_tag("gates/_pilot_panel.html", takes_context=True)
def gate_panel(context, pilot):
    """Gate status, waivers, conditions and the stage timeline of one pilot."""
    user = context["request"].user
    now = timezone.now()
    timeline = selectors.pilot_timeline(pilot=pilot)
    pending = next(
        (r for r in selectors.pilot_reviews(pilot=pilot) if r.status == ReviewStatus.PENDING),
        None,
    )
    gate = selectors.next_gate(pilot)
    waivers = selectors.active_waivers(pilot=pilot, now=now)
    live = None
    if gate is not None and not pilot.is_stopped and selectors.current_version(gate) is not None:
        live = live_evaluation(pilot, gate, now).evaluation  # shared with the task list
    # The live results' labels are already in words: no query more for the waivers, unless
    # one waives a criterion of a gate the pilot has since passed.
    found = {r.criterion_key: r.label for r in (live.results if live else ())}
    if any(w.criterion_key not in found for w in waivers):
        found = {**selectors.current_criteria_labels(), **found}
    label_waivers(waivers, found)
    months = recertification.policy_months() if pilot.stage == "scale" else {}
    recertification_due = recertification.due_date(pilot, months)
    return {
        "recertification_months": months.get(pilot.risk_tier),
        "recertification_due": recertification_due,
        "recertification_state": (
            recertification.state(pilot, now, months) if recertification_due else ""
        ),
        "can_recertify": pending is None and rules.can_request_recertification(user, pilot),
        "live": live,
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "pilot": pilot,
        "gate": gate,
        "pending": pending,
        "timeline": timeline,
        "waivers": waivers,
        "conditions": list(Condition.objects.filter(pilot=pilot).select_related("met_by")),
        "checklists": CHECKLISTS.values(),
        "can_request": pending is None and rules.can_request_review(user, pilot),
        "can_waive": rules.can_waive(user, pilot),
        "can_revoke": bool(waivers) and rules.can_revoke_waiver(user, waivers[0]),
        "can_resume": pilot.status == "on_hold" and rules.can_resume_pilot(user, pilot),
        "can_mark_met": rules.can_mark_condition_met(user, pilot),
        "resume_form": ResumeForm(),
    }


@register.filter
def changed_count(comparison) -> int:
    """How many rows of a review's frozen-versus-live comparison changed."""
    return sum(1 for row in comparison if row.change)


@register.inclusion_tag("portfolio/workbooks/pilot_section.html", takes_context=True)
def workbook_summary(context, pilot):
    """The five workbooks as a task list, and the review request once the workbooks the
    next gate reads are complete (the workbook facts are read once per page). A gates tag:
    the offer is the gates' rule, and portfolio does not import gates."""
    offer = review_offer(pilot=pilot, user=context["request"].user)
    return {
        "pilot": pilot,
        "tasks": task_list(pilot, workbook_facts(pilot), offer.needed),
        "offer": offer,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("gates/_request_offer.html", takes_context=True)
def request_offer(context, pilot, offer_level=3):
    """The review request as a complete workbook page offers it (gates.offer)."""
    return {
        "pilot": pilot,
        "offer": review_offer(pilot=pilot, user=context["request"].user),
        "offer_level": offer_level,
        "csrf_token": context.get("csrf_token"),
    }
