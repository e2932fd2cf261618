"""Pages of recertification: ask for a pilot's recertification review, and the policy (how
often each risk tier is recertified). The review itself is the gate review's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts import rules
from config.errors import Conflict
from config.middleware import shows_too_many_files
from gates import recertification, selectors, services
from gates.forms import RecertificationPolicyForm, ReviewRequestForm
from gates.models import ReviewStatus
from gates.offer import live_evaluation
from gates.services.reviews import ReviewRefused
from portfolio import selectors as pilot_selectors
from portfolio.models import STAGE_ORDER, RiskTier, Stage


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
@shows_too_many_files
def recertification_request(request, pk):
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    rules.ensure(
        rules.requests_reviews_of(request.user, pilot), request.user,
        "request_recertification", f"pilot:{pk}",
        "Only the pilot's business or technical owner can request its recertification.",
    )  # fmt: skip
    form = ReviewRequestForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            review = services.recertification_request(
                pilot=pilot,
                by=request.user,
                note=form.cleaned_data["note"],
                evidence_links=form.cleaned_data["evidence_links"],
                evidence_uploads=form.cleaned_data["evidence_files"],
            )
        except ReviewRefused as exc:
            messages.error(request, exc.message)
            status = 409
        except Conflict as exc:
            messages.error(request, exc.message)
            status = 409
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Recertification requested. Governance leads have been told.")
            return redirect("gates:review_detail", pk=review.pk)
    if form.errors:
        status = 400
    gate = None
    if pilot.stage == Stage.SCALE:
        before = STAGE_ORDER[STAGE_ORDER.index(Stage.SCALE) - 1]
        gate = selectors.gate_get(from_stage=before, to_stage=Stage.SCALE)
    live = live_evaluation(pilot, gate) if gate and selectors.current_version(gate) else None
    now = timezone.now()
    context = {
        "pilot": pilot,
        "gate": gate,
        "live": live,
        "form": form,
        "due": recertification.due_date(pilot),
        "state": recertification.state(pilot, now),
        "pending": pilot.reviews.filter(status=ReviewStatus.PENDING).first(),
    }
    return render(request, "gates/recertification_request.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def recertification_policy(request):
    """Everyone signed in reads the policy; governance leads change it."""
    can_edit = rules.can_edit_recertification_policy(request.user)
    if request.method == "POST":
        rules.ensure(
            can_edit, request.user, "edit_recertification_policy", "recertification_policy",
            "Only governance leads change how often pilots are recertified.",
        )  # fmt: skip
    months = recertification.policy_months()
    form = RecertificationPolicyForm(request.POST or None, months=months)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changed = 0
            try:
                for tier in RiskTier.values:
                    value = form.cleaned_data[f"months_{tier}"]
                    services.recertification_policy_set(
                        by=request.user, risk_tier=tier, months=value
                    )
                    changed += value != months.get(tier)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request, f"Saved: {changed} interval{'s' if changed != 1 else ''} changed."
                )
                return redirect("gates:recertification_policy")
        status = 400
    rows = [
        {"label": label, "months": months.get(tier)} for tier, label in reversed(RiskTier.choices)
    ]
    context = {
        "form": form,
        "rows": rows,
        "can_edit": can_edit,
        "soon_days": recertification.soon_days(),
    }
    return render(request, "gates/recertification_policy.html", context, status=status)
