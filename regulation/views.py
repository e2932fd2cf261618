"""Pages: a pilot's EU AI Act profile, the obligations catalogue, the portfolio overview."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import rules
from config.errors import Conflict
from config.pdf import pdf_response
from portfolio import selectors as pilot_selectors
from portfolio.models import Pilot
from regulation import coverage, documents, selectors, services
from regulation.criteria import evidence_label
from regulation.forms import ObligationForm, ProfileForm
from regulation.models import Profile
from regulation.questions import CLASSIFICATIONS, FLAGS, ROLES


def _add_errors(form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _catalogue_context():
    catalogue = selectors.current_catalogue()
    return catalogue, selectors.catalogue_obligations(catalogue)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request, pk):
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    can_answer = rules.can_answer_regulatory_profile(request.user, pilot)
    current = selectors.current_profile(pilot)
    form = ProfileForm(request.POST or None, initial=current.answers if current else None)
    if request.method == "POST":
        rules.ensure(can_answer, request.user, "answer_regulatory_profile", f"pilot:{pk}")
        if form.is_valid():
            try:
                saved = services.profile_save(pilot=pilot, answers=form.answers(), by=request.user)
            except ValidationError as exc:
                _add_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"Profile saved as version {saved.version}: "
                    f"{CLASSIFICATIONS[saved.classification]}. A governance lead confirms it next.",
                )
                return redirect("regulation:profile", pk=pk)
    if not can_answer:
        for field in form.fields.values():
            field.disabled = True
    catalogue, obligations = _catalogue_context()
    covered = coverage.pilot_coverage(
        pilot, profile=current, obligations=obligations, now=timezone.now()
    )
    return render(
        request,
        "regulation/profile.html",
        {
            "pilot": pilot,
            "form": form,
            "steps": form.steps(),
            "profile": current,
            "history": selectors.profile_history(pilot),
            "coverage": covered,
            "catalogue": catalogue,
            "can_answer": can_answer,
            "can_confirm": current is not None
            and not current.confirmed
            and rules.can_confirm_regulatory_profile(request.user, pilot),
        },
    )


@login_required
@require_POST
def profile_confirm(request, pk):
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    try:
        confirmed = services.profile_confirm(
            pilot=pilot, version=request.POST.get("version", ""), by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Version {confirmed.version} of the profile is confirmed.")
    return redirect("regulation:profile", pk=pk)


@login_required
def obligations(request):
    catalogue, items = _catalogue_context()
    return render(
        request,
        "regulation/obligations.html",
        {
            "catalogue": catalogue,
            "rows": [{"obligation": o, "evidence": evidence_label(o)} for o in items],
            "classifications": CLASSIFICATIONS,
            "roles": ROLES,
            "flags": FLAGS,
            "can_edit": rules.can_edit_obligations(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def obligation_edit(request, key):
    rules.ensure(rules.can_edit_obligations(request.user), request.user, "edit_obligations", key)
    catalogue, items = _catalogue_context()
    obligation = next((o for o in items if o.key == key), None)
    if obligation is None:
        raise Http404("No such obligation.")
    initial = {name: getattr(obligation, name) for name in services.EDITABLE}
    form = ObligationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "note"}
        try:
            services.obligation_update(
                key=key, changes=changes, by=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"{obligation.article} saved in a new catalogue version.")
            return redirect("regulation:obligations")
    return render(
        request,
        "regulation/obligation_edit.html",
        {"catalogue": catalogue, "obligation": obligation, "form": form},
    )


@login_required
def overview(request):
    """Pilots by classification and role, coverage per pilot and unit, and the dates."""
    pilots = list(
        rules.visible_pilots(request.user, Pilot.objects.all()).order_by("business_unit", "name")
    )
    profiles = coverage.latest_profiles(p.pk for p in pilots)
    wanted = {
        "classification": request.GET.get("classification", ""),
        "role": request.GET.get("role", ""),
        "unit": request.GET.get("unit", ""),
    }
    units = sorted({p.business_unit for p in pilots})
    shown = []
    for pilot in pilots:
        found: Profile | None = profiles.get(pilot.pk)
        classification = found.classification if found else "unprofiled"
        if wanted["classification"] and wanted["classification"] != classification:
            continue
        if wanted["role"] and (found is None or wanted["role"] not in found.roles):
            continue
        if wanted["unit"] and wanted["unit"] != pilot.business_unit:
            continue
        shown.append(pilot)
    catalogue, items = _catalogue_context()
    now = timezone.now()
    coverages = [
        coverage.pilot_coverage(p, profile=profiles.get(p.pk), obligations=items, now=now)
        for p in shown
    ]
    counts = {key: 0 for key in [*CLASSIFICATIONS, "unprofiled"]}
    for c in coverages:
        counts[c.profile.classification if c.profile else "unprofiled"] += 1
    dates: dict = {}
    for o in items:
        dates.setdefault(o.applies_from, []).append(o)
    return render(
        request,
        "regulation/overview.html",
        {
            "catalogue": catalogue,
            "coverages": coverages,
            "units": coverage.by_unit(coverages),
            "counts": [(CLASSIFICATIONS.get(k, "Not profiled yet"), n) for k, n in counts.items()],
            "dates": sorted(dates.items()),
            "today": timezone.localdate(),
            "wanted": wanted,
            "classification_choices": [
                *CLASSIFICATIONS.items(),
                ("unprofiled", "Not profiled yet"),
            ],
            "role_choices": list(ROLES.items()),
            "unit_choices": units,
        },
    )


@login_required
@require_http_methods(["GET"])
def document(request, pk, kind, fmt="html"):
    """The Annex IV or FRIA draft of a pilot, as a page, Markdown or PDF."""
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    if kind not in documents.KINDS:
        raise Http404("No such document.")
    doc = documents.build(pilot, kind, now=timezone.now())
    if fmt == "md":
        response = HttpResponse(
            documents.to_markdown(doc), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{doc.filename}.md"'
        return response
    context = {"pilot": pilot, "doc": doc, "catalogue": selectors.current_catalogue()}
    if fmt == "pdf":
        return pdf_response(
            request, "regulation/document.html", context, filename=f"{doc.filename}.pdf"
        )
    return render(request, "regulation/document.html", context)
