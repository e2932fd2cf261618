"""Pages of gate reviews: the queue, a review, deciding, withdrawing and discussing it.

Whether a lead may decide is `rules.decide_refusal`, the very rule `review_decide`
enforces: the queue, the page and the service cannot disagree.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import rules
from config.errors import Conflict
from gates import selectors, services
from gates.forms import CommentForm, DecisionForm
from gates.services.decisions import approvals_so_far, decided_summary, decision_effects

TEMPLATE = "gates/review_detail.html"


def _conflict(request, exc: Conflict, context: dict):
    messages.error(request, exc.message)
    return render(request, TEMPLATE, context, status=409)


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _you(user, review, refusal) -> str:
    """The queue's "You" column: what this lead can do about the review."""
    if refusal is None:
        return "Can decide"
    mine = next((d for d in review.decisions.all() if d.decided_by_id == user.pk), None)
    return decided_summary(mine, review) if mine else refusal.reason


@login_required
def review_queue(request):
    rules.ensure(
        rules.can_view_review_queue(request.user), request.user, "view_review_queue", "reviews"
    )
    now = timezone.now()
    rows = []
    for review in selectors.review_queue(user=request.user):
        refusal = rules.decide_refusal(request.user, review)
        rows.append(
            {
                "review": review,
                "age_days": (now - review.requested_at).days,
                "approvals": approvals_so_far(review),
                "can_decide": refusal is None,
                "you": _you(request.user, review, refusal),
            }
        )
    return render(request, "gates/review_queue.html", {"rows": rows})


def _review_context(request, review, decision_form=None, comment_form=None) -> dict:
    user = request.user
    live = None
    if review.is_pending:
        live = selectors.pilot_evaluation(
            pilot=review.pilot, gate=review.criteria_version.gate, now=timezone.now()
        )
    decisions = list(review.decisions.all())
    mine = next((d for d in decisions if d.decided_by_id == user.pk), None)
    can_decide = rules.can_decide(user, review)
    form = decision_form or DecisionForm(review=review)
    return {
        "review": review,
        "pilot": review.pilot,
        "live": live,
        "comparison": selectors.review_comparison(
            selectors.review_frozen_evaluation(review), live.evaluation if live else None
        ),
        "decisions": decisions,
        "comments": list(selectors.review_comments(review=review)),
        "evidence_files": list(selectors.review_evidence_files(review=review)),
        "can_decide": can_decide,
        "decided": decided_summary(mine, review) if mine else "",
        "decision_choices": form.choices_with_effects(decision_effects(review))
        if can_decide
        else [],
        "can_withdraw": review.is_pending and rules.can_withdraw_review(user, review),
        "can_comment": review.is_pending and rules.can_comment_review(user, review),
        "decision_form": form,
        "comment_form": comment_form or CommentForm(),
    }


@login_required
def review_detail(request, pk):
    review = selectors.review_get(user=request.user, pk=pk)
    return render(request, TEMPLATE, _review_context(request, review))


@login_required
@require_POST
def review_decide(request, pk):
    """Record a decision. A plain post redirects to the review; an htmx post gets the page
    back and swaps its main part, so the form gives way to the after-deciding state."""
    review = selectors.review_get(user=request.user, pk=pk)
    refusal = rules.decide_refusal(request.user, review)
    if refusal is not None and not refusal.conflict:
        rules.ensure(False, request.user, "decide_review", f"review:{pk}", refusal.reason)
    form = DecisionForm(request.POST, review=review)
    if form.is_valid():
        try:
            services.review_decide(review=review, by=request.user, **form.cleaned_data)
        except Conflict as exc:
            review = selectors.review_get(user=request.user, pk=pk)
            return _conflict(request, exc, _review_context(request, review, form))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            review = selectors.review_get(user=request.user, pk=pk)
            messages.success(
                request, f"Decision recorded: review {review.get_status_display().lower()}."
            )
            if request.htmx:
                return render(request, TEMPLATE, _review_context(request, review))
            return redirect("gates:review_detail", pk=pk)
    context = _review_context(request, review, decision_form=form)
    return render(request, TEMPLATE, context, status=400)


@login_required
@require_POST
def review_withdraw(request, pk):
    review = selectors.review_get(user=request.user, pk=pk)
    try:
        services.review_withdraw(review=review, by=request.user)
    except Conflict as exc:
        review = selectors.review_get(user=request.user, pk=pk)
        return _conflict(request, exc, _review_context(request, review))
    messages.success(request, "Review withdrawn.")
    return redirect(review.pilot)


@login_required
@require_POST
def review_comment(request, pk):
    review = selectors.review_get(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(review=review, by=request.user, body=form.cleaned_data["body"])
        except Conflict as exc:
            return _conflict(request, exc, _review_context(request, review))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("gates:review_detail", pk=pk)
    context = _review_context(request, review, comment_form=form)
    return render(request, TEMPLATE, context, status=400)
