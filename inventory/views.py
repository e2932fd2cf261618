from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import rules
from config.errors import Conflict
from inventory import selectors, services
from inventory.forms import ASSET_FORMS, ChangeForm, ChangeRuleForm, PromptVersionForm
from inventory.models import AssetKind, ChangeRule, ChangeStatus, PilotAsset
from inventory.services.changes import ASPECT_LABELS, change_summary
from portfolio import selectors as pilot_selectors

PAGE_SIZE = 50
KIND_TITLES = {
    AssetKind.MODEL: "Models",
    AssetKind.PROMPT: "Prompts and configurations",
    AssetKind.DATASET: "Datasets",
    AssetKind.VENDOR: "Vendors",
}


def _kind(kind: str) -> str:
    if kind not in KIND_TITLES:
        raise Http404("No such kind of asset.")
    return kind


def _nav(kind: str) -> list[dict]:
    return [{"kind": k, "title": t, "current": k == kind} for k, t in KIND_TITLES.items()]


@login_required
def asset_list(request, kind):
    kind = _kind(kind)
    page = Paginator(selectors.asset_list(kind=kind), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.used_by_counts(user=request.user, kind=kind, assets=page.object_list)
    rows = [(asset, counts.get(asset.pk, 0)) for asset in page.object_list]
    context = {
        "kind": kind,
        "title": KIND_TITLES[kind],
        "kind_label": AssetKind(kind).label,
        "nav": _nav(kind),
        "page": page,
        "rows": rows,
        "can_edit": rules.can_edit_inventory(request.user),
    }
    return render(request, "inventory/asset_list.html", context)


@login_required
def asset_detail(request, kind, pk):
    kind = _kind(kind)
    asset = selectors.asset_get(kind=kind, pk=pk)
    can_edit = rules.can_edit_inventory(request.user)
    context = {
        "kind": kind,
        "kind_label": AssetKind(kind).label,
        "title": KIND_TITLES[kind],
        "asset": asset,
        "used": selectors.used_by(user=request.user, kind=kind, asset=asset),
        "can_edit": can_edit,
        "fields": _facts(asset, ASSET_FORMS[kind]),
    }
    if kind == AssetKind.PROMPT:
        context["versions"] = list(asset.versions.select_related("author"))
        context["version_form"] = PromptVersionForm() if can_edit else None
    return render(request, "inventory/asset_detail.html", context)


def _facts(asset, form_class) -> list[tuple[str, str]]:
    """(label, value in words) of each field the form edits."""
    out = []
    for name in form_class._meta.fields:
        field = asset._meta.get_field(name)
        value = getattr(asset, name)
        if field.choices:
            value = getattr(asset, f"get_{name}_display")()
        elif isinstance(value, bool):
            value = "Yes" if value else "No"
        elif value is None or value == "":
            value = "Not recorded"
        elif hasattr(value, "isoformat"):
            value = value.strftime("%-d %b %Y")
        out.append((str(field.verbose_name)[:1].upper() + str(field.verbose_name)[1:], value))
    return out


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request, kind, pk=None):
    kind = _kind(kind)
    asset = selectors.asset_get(kind=kind, pk=pk) if pk is not None else None
    rules.ensure(
        rules.can_edit_inventory(request.user), request.user, "edit_inventory",
        f"{kind}:{pk or 'new'}",
        "Only contributors, governance leads and admins record or edit the inventory.",
    )  # fmt: skip
    form = ASSET_FORMS[kind](request.POST or None, instance=asset)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if kind == AssetKind.PROMPT and asset is None:
                saved = services.prompt_create(by=request.user, **data)
            else:
                saved = services.asset_save(kind=kind, by=request.user, instance=asset, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{AssetKind(kind).label} “{saved}” saved.")
            return redirect(saved)
    context = {
        "form": form, "kind": kind, "asset": asset, "kind_label": AssetKind(kind).label,
        "title": KIND_TITLES[kind],
    }  # fmt: skip
    return render(request, "inventory/asset_form.html", context)


@login_required
@require_POST
def prompt_version_add(request, pk):
    prompt = selectors.asset_get(kind=AssetKind.PROMPT, pk=pk)
    form = PromptVersionForm(request.POST)
    if form.is_valid():
        try:
            version = services.prompt_version_add(
                prompt=prompt, content=form.cleaned_data["content"], by=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Version {version.number} saved.")
            return redirect(prompt)
    used = selectors.used_by(user=request.user, kind=AssetKind.PROMPT, asset=prompt)
    context = {
        "kind": AssetKind.PROMPT, "kind_label": AssetKind.PROMPT.label, "asset": prompt,
        "title": KIND_TITLES[AssetKind.PROMPT], "used": used,
        "can_edit": rules.can_edit_inventory(request.user),
        "fields": _facts(prompt, ASSET_FORMS[AssetKind.PROMPT]),
        "versions": list(prompt.versions.select_related("author")), "version_form": form,
    }  # fmt: skip
    return render(request, "inventory/asset_detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def pilot_change(request, pk, link_pk=None):
    """Link an asset to a pilot, or replace or remove one link: a change request."""
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    link = get_object_or_404(PilotAsset, pk=link_pk, pilot=pilot) if link_pk else None
    rules.ensure(
        rules.can_change_pilot_assets(request.user, pilot), request.user, "change_assets",
        f"pilot:{pk}",
        "Only the pilot's owners, its operations lead or an admin change what it uses.",
    )  # fmt: skip
    form = ChangeForm(request.POST or None, link=link)
    status = 200
    if request.method == "POST" and form.is_valid():
        kind, target = form.target()
        try:
            outcome = services.change_request(
                pilot=pilot, by=request.user, kind=kind, to_asset=target, link=link,
                purpose=form.cleaned_data.get("purpose", ""), note=form.cleaned_data["note"],
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
            status = 400
        except Conflict as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            change = outcome.change
            if change.status == ChangeStatus.PENDING:
                messages.success(
                    request, f"Material change: change review #{change.review_id} opened. "
                    "It applies once governance leads approve it.",
                )  # fmt: skip
            else:
                messages.success(request, f"Change recorded: {change.get_status_display()}.")
            return redirect(change)
    elif request.method == "POST":
        status = 400
    context = {"pilot": pilot, "link": link, "form": form}
    return render(request, "inventory/change_form.html", context, status=status)


@login_required
def change_detail(request, pk):
    change = selectors.change_get(user=request.user, pk=pk)
    days = settings.INVENTORY_CHANGE_WINDOW_DAYS
    context = {
        "change": change,
        "pilot": change.pilot,
        "summary": change_summary(change),
        "aspects": [ASPECT_LABELS.get(a, a) for a in change.aspects],
        "windows": selectors.before_after(change=change, days=days),
        "days": days,
    }
    return render(request, "inventory/change_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def change_rules(request):
    can_edit = rules.can_edit_change_rules(request.user)
    rows = selectors.change_rules()
    status = 200
    forms_by_rule = {r.pk: ChangeRuleForm(rule=r, prefix=f"r{r.pk}") for r in rows}
    if request.method == "POST":
        rules.ensure(
            can_edit, request.user, "edit_change_rules", "change_rules",
            "Only governance leads edit the change rules.",
        )  # fmt: skip
        rule = get_object_or_404(ChangeRule, pk=request.POST.get("rule"))
        form = ChangeRuleForm(request.POST, rule=rule, prefix=f"r{rule.pk}")
        forms_by_rule[rule.pk] = form
        if form.is_valid():
            try:
                services.change_rule_set(by=request.user, rule=rule, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Change rule saved.")
                return redirect("inventory:change_rules")
        status = 400
    context = {
        "rows": [(r, forms_by_rule[r.pk], AssetKind(r.asset_kind).label,
                  ASPECT_LABELS.get(r.aspect, r.aspect)) for r in rows],
        "can_edit": can_edit,
        "nav": _nav(""),
        "rules_page": True,
    }  # fmt: skip
    return render(request, "inventory/change_rules.html", context, status=status)
