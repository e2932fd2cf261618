"""Pages of the gates app: request a review, waivers, criteria, checklists (the queue and a
review: gates/review_views.py)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import rules
from config.errors import Conflict
from config.middleware import shows_too_many_files
from config.redirects import safe_next
from gates import crosswalk, engine, selectors, services
from gates.checklists import CHECKLISTS, overall_score, section_scores
from gates.forms import (
    ChecklistAttachForm,
    ChecklistForm,
    CriteriaNoteForm,
    CriterionFormSet,
    ResumeForm,
    ReviewRequestForm,
    WaiverForm,
    WaiverRevokeForm,
)
from gates.labels import label_waivers
from gates.models import Condition, Gate
from gates.offer import live_evaluation, review_offer
from gates.services.reviews import EVIDENCE_FILES_FIELD, MAX_EVIDENCE_FILES, ReviewRefused
from gates.services.waivers import failing_criteria
from metrics.selectors import pilot_signal_detail
from metrics.signal import STOP
from portfolio import selectors as pilot_selectors


def _conflict(request, exc: Conflict, template: str, context: dict):
    """A state conflict shows the page again with the reason, as HTTP 409."""
    messages.error(request, exc.message)
    return render(request, template, context, status=409)


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
@shows_too_many_files
def review_request(request, pk):
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    rules.ensure(
        rules.can_request_review(request.user, pilot), request.user, "request_review", f"pilot:{pk}"
    )
    gate = selectors.next_gate(pilot)
    if gate is None:
        raise Http404("No gate follows this pilot's stage.")
    form = ReviewRequestForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_request(
                pilot=pilot,
                to_stage=gate.to_stage,
                by=request.user,
                note=form.cleaned_data["note"],
                evidence_links=form.cleaned_data["evidence_links"],
                evidence_uploads=form.cleaned_data["evidence_files"],
            )
        except ReviewRefused:
            status = 409  # the page lists the reasons, once, each with its fix link
        except Conflict as exc:
            messages.error(request, exc.message)
            status = 409
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Review requested. Governance leads have been told.")
            return redirect("gates:review_detail", pk=review.pk)
    if getattr(request, "too_many_files", False):
        form = ReviewRequestForm({})  # bound, so it can carry the error; the body is gone
        form.is_valid()
        form.add_error(
            EVIDENCE_FILES_FIELD,
            f"Attach at most {MAX_EVIDENCE_FILES} files to one review. Nothing was sent: "
            "choose the files again, and write the note and links again if you had any.",
        )
    if form.errors:
        status = 400
    offer = review_offer(pilot=pilot, user=request.user)
    live = live_evaluation(pilot, gate)
    blocking = {b.result.criterion_key for b in offer.blockers}
    context = {
        "pilot": pilot,
        "gate": gate,
        "live": live,
        "form": form,
        "offer": offer,
        "others": [r for r in live.evaluation.results if r.criterion_key not in blocking],
    }
    return render(request, "gates/review_request.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def waiver_grant(request, pk):
    """One form for every criterion that fails now; warns when the signal says stop."""
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    rules.ensure(rules.can_waive(request.user, pilot), request.user, "grant_waiver", f"pilot:{pk}")
    failing = failing_criteria(pilot)
    choices = [(r.criterion_key, r.label) for r in failing]
    form = WaiverForm(request.POST or None, choices=choices)
    signal = pilot_signal_detail(pilot)
    context = {
        "pilot": pilot,
        "form": form,
        "criteria": list(zip(form["criterion_keys"], failing, strict=True)),
        "gate": selectors.next_gate(pilot),
        "signal": signal,
        "signal_says_stop": signal["code"] == STOP or signal["stop_recommended"],
    }
    if request.method == "POST" and form.is_valid():
        try:
            granted = services.waivers_grant(pilot=pilot, by=request.user, **form.cleaned_data)
        except Conflict as exc:
            return _conflict(request, exc, "gates/waiver_form.html", context)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, f"{len(granted)} waiver{'s' if len(granted) != 1 else ''} granted."
            )
            return redirect(pilot)
    status = 400 if request.method == "POST" else 200
    return render(request, "gates/waiver_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def waiver_revoke(request, pk):
    waiver = selectors.waiver_get(user=request.user, pk=pk)
    rules.ensure(
        rules.can_revoke_waiver(request.user, waiver), request.user, "revoke_waiver", f"waiver:{pk}"
    )
    label_waivers([waiver], selectors.current_criteria_labels())
    form = WaiverRevokeForm(request.POST or None)
    context = {"waiver": waiver, "pilot": waiver.pilot, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            services.waiver_revoke(waiver=waiver, by=request.user, **form.cleaned_data)
        except Conflict as exc:
            waiver.refresh_from_db()
            context["state"] = waiver.state_at(timezone.now())
            return _conflict(request, exc, "gates/waiver_revoke.html", context)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                f"Waiver of “{waiver.criterion_label}” revoked. The owners have been told.",
            )
            return redirect(waiver.pilot)
    context["state"] = waiver.state_at(timezone.now())
    status = 400 if request.method == "POST" else 200
    return render(request, "gates/waiver_revoke.html", context, status=status)


@login_required
@require_POST
def pilot_resume(request, pk):
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    form = ResumeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"reason": "Say why the pilot may go on."})
        services.pilot_resume(pilot=pilot, by=request.user, reason=form.cleaned_data["reason"])
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(pilot)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(pilot)
    messages.success(request, "Pilot resumed.")
    return redirect(pilot)


@login_required
@require_POST
def condition_met(request, pk):
    condition = get_object_or_404(Condition.objects.select_related("pilot"), pk=pk)
    rules.ensure_visible(request.user, condition.pilot)
    try:
        services.condition_mark_met(condition=condition, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Condition marked as met.")
    return redirect(safe_next(request) or condition.pilot)


@login_required
def criteria_list(request):
    rules.ensure(rules.can_edit_criteria(request.user), request.user, "edit_criteria", "gates")
    gates = selectors.gates_with_current_version()
    return render(request, "gates/criteria_list.html", {"gates": gates})


def _initial_rows(version) -> list[dict]:
    return [
        {
            "key": c["key"],
            "label": c["label"],
            "kind": c["kind"],
            "params": json.dumps(c.get("params") or {}),
            "mandatory": c.get("mandatory", True),
            "risk_tiers": c.get("risk_tiers") or [],
        }
        for c in (version.criteria if version else [])
    ]


def _criteria_edit_context(gate, *, formset, note_form, attach_form) -> dict:
    return {
        "gate": gate,
        "version": selectors.current_version(gate),
        "formset": formset,
        "note_form": note_form,
        "attach_form": attach_form,
        "history": gate.versions.select_related("created_by").order_by("-number"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def criteria_edit(request, pk):
    rules.ensure(rules.can_edit_criteria(request.user), request.user, "edit_criteria", f"gate:{pk}")
    gate = get_object_or_404(Gate, pk=pk)
    version = selectors.current_version(gate)
    # Initial rows only on GET: on POST the submitted rows are the whole new list.
    initial = _initial_rows(version) if request.method == "GET" else None
    formset = CriterionFormSet(request.POST or None, initial=initial, prefix="c")
    note_form = CriteriaNoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if formset.is_valid() and note_form.is_valid():
            criteria = [
                {**row, "risk_tiers": list(row["risk_tiers"])}
                for row in formset.cleaned_data
                if row and not row.get("DELETE")
            ]
            for row in criteria:
                row.pop("DELETE", None)
            try:
                new = services.criteria_version_create(
                    gate=gate,
                    criteria=criteria,
                    by=request.user,
                    note=note_form.cleaned_data["note"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        messages.error(request, f"{field}: {' '.join(errors)}")
            else:
                messages.success(request, f"Saved as version {new.number}.")
                return redirect("gates:criteria_edit", pk=gate.pk)
        status = 400
    context = _criteria_edit_context(
        gate, formset=formset, note_form=note_form, attach_form=ChecklistAttachForm()
    )
    return render(request, "gates/criteria_edit.html", context, status=status)


@login_required
@require_POST
def criteria_attach_checklist(request, pk):
    rules.ensure(rules.can_edit_criteria(request.user), request.user, "edit_criteria", f"gate:{pk}")
    gate = get_object_or_404(Gate, pk=pk)
    form = ChecklistAttachForm(request.POST)
    if form.is_valid():
        try:
            version = services.checklist_attach(gate=gate, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Checklist attached: version {version.number}.")
            return redirect("gates:criteria_edit", pk=gate.pk)
    # The attach form comes back with its errors beside the criteria as they stand.
    rows = _initial_rows(selectors.current_version(gate))
    context = _criteria_edit_context(
        gate,
        formset=CriterionFormSet(initial=rows, prefix="c"),
        note_form=CriteriaNoteForm(),
        attach_form=form,
    )
    return render(request, "gates/criteria_edit.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def checklist(request, pk, slug):
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    spec = CHECKLISTS.get(slug)
    if spec is None:
        raise Http404("No such checklist.")
    can_edit = rules.can_edit_checklist(request.user, pilot)
    every = crosswalk.pilot_answers(pilot)  # all checklists: the crosswalk reads the others
    stored = every.get(slug, {})
    form = ChecklistForm(
        request.POST or None,
        initial=stored,
        spec=spec,
        choices=_answer_choices(spec),
        disabled=not can_edit,
    )
    given = stored
    if request.method == "POST":
        rules.ensure(can_edit, request.user, "edit_checklist", f"pilot:{pk}")
        answers = {item.key: request.POST.get(item.key, "") for _, item in spec.items()}
        try:
            services.checklist_answer_set(
                pilot=pilot, checklist=slug, answers=answers, by=request.user
            )
        except ValidationError as exc:
            _add_errors(form, exc)
            given = {**stored, **answers}  # a refused save shows what was submitted
        else:
            messages.success(request, "Checklist saved.")
            return redirect("gates:checklist", pk=pk, slug=slug)
    context = {
        "pilot": pilot,
        "spec": spec,
        "can_edit": can_edit,
        "can_edit_criteria": rules.can_edit_criteria(request.user),
    }
    if slug in crosswalk.FRAMEWORKS:
        given = _crosswalk_answers(spec, {**every, slug: given}, form, context)
    context.update(_checklist_scores(spec, given, form))
    next_gate = selectors.next_gate(pilot)
    context["requirements"] = [
        {
            "gate": gate,
            "min_score": engine.format_number(minimum),
            "mandatory": criterion.mandatory,
            "met": context["overall_value"] >= minimum,
            "next": next_gate is not None and gate.pk == next_gate.pk,
        }
        for gate, criterion, minimum in selectors.checklist_min_scores(slug)
    ]
    return render(request, "gates/checklist.html", context, status=400 if form.errors else 200)


def _crosswalk_answers(spec, every: dict[str, dict[str, str]], form, context) -> dict[str, str]:
    """The answers of a crosswalk checklist as scored (own answers, else the mapped items'),
    with a note on each item answered via the crosswalk and the coverage in `context`."""
    effective = crosswalk.effective_answers(every, crosswalk.links())[spec.slug]
    labels = {value: label for value, label, _ in spec.answers}
    for key, answer in effective.items():
        if answer.via:
            found = crosswalk.item_of(answer.via)
            theirs = dict((v, lb) for v, lb, _ in found[0].answers) if found else {}
            form.fields[key].help_text = (
                f"Counted as {labels.get(answer.status, answer.status).lower()}: answered via "
                f"{crosswalk.label(answer.via)} ({theirs.get(answer.status, answer.status)}"
                " there). Leave this at Not yet to keep that answer, or choose one of its own."
            )
    context["coverage"] = crosswalk.coverage(spec.slug, effective)
    return {key: answer.status for key, answer in effective.items()}


def _answer_choices(spec) -> list[tuple[str, str]]:
    return [
        (value, f"{label} ({engine.format_number(points)})" if spec.scored_in_points else label)
        for value, label, points in spec.answers
    ]


def _checklist_scores(spec, given: dict[str, str], form) -> dict:
    """Section scores, the overall score and how to read it, formatted for the page."""
    scores = section_scores(spec, given)
    overall = overall_score(spec, given)
    fmt = engine.format_number if spec.scored_in_points else (lambda v: f"{v:.0%}")
    sections = [
        {
            "section": section,
            "score": fmt(scores[section.key]),
            "out_of": len(section.items),
            "in_place": sum(
                1 for item in section.items if spec.points(given.get(item.key, "")) > 0
            ),
            "weakest": scores[section.key] == overall,
            "fields": [form[item.key] for item in section.items],
        }
        for section in spec.sections
    ]
    band = spec.band(overall) if spec.scored_in_points else None
    return {
        "sections": sections,
        "overall": fmt(overall),
        "overall_value": overall,
        "band": band,
        "form": form,
    }


@login_required
@require_http_methods(["GET"])
def crosswalk_page(request):
    """The crosswalk's mappings, one row per link, for anyone signed in (reference data)."""
    links = crosswalk.links()

    def cell(key: str) -> dict | None:
        found = crosswalk.item_of(key) if key else None
        if found is None:
            return None
        return {"ref": found[1].ref, "title": found[1].title, "text": found[1].text}

    rows = [
        {
            "nist": cell(f"nist_ai_rmf.{link.nist}" if link.nist else ""),
            "iso": cell(f"iso_42001.{link.iso}" if link.iso else ""),
            "aiact": crosswalk.label(link.aiact) if link.aiact else "",
        }
        for link in links
    ]
    # A NIST category spans the rows that follow it with the same category (the file keeps
    # each category's links together).
    for index, row in enumerate(rows):
        same = index > 0 and links[index - 1].nist == links[index].nist
        row["nist_span"] = 0 if same else 1
        if same:
            first = next(r for r in reversed(rows[:index]) if r["nist_span"])
            first["nist_span"] += 1
    context = {
        "rows": rows,
        "version": links[0].version if links else None,
        "nist": CHECKLISTS["nist_ai_rmf"],
        "iso": CHECKLISTS["iso_42001"],
    }
    return render(request, "gates/crosswalk.html", context)
