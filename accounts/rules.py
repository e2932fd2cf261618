"""Every permission rule of Pilotgate, in one place.

Pages, API and services all ask these functions. Two kinds of answer matter:
- visibility (`can_view_pilot`, `visible_pilots`): what a user may not see does not
  exist for them, so callers answer 404;
- actions (`can_edit_pilot`, ...): a visible object the user may not change gives 403.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import GlobalRole, PilotRole, PilotRoleKind
from accounts.system import is_system

security_log = logging.getLogger("pilotgate.security")

OWNER_ROLES = frozenset({PilotRoleKind.BUSINESS_OWNER, PilotRoleKind.TECHNICAL_OWNER})
#  Global roles that see confidential pilots without holding a role on them.
_SEES_CONFIDENTIAL = frozenset({GlobalRole.ADMIN, GlobalRole.GOVERNANCE_LEAD, GlobalRole.EXECUTIVE})


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def has_global_role(user, role: str) -> bool:
    if not _authenticated(user):
        return False
    if role == GlobalRole.ADMIN and user.is_superuser:
        return True
    return role in user.global_roles


def is_admin(user) -> bool:
    return has_global_role(user, GlobalRole.ADMIN)


def is_governance_lead(user) -> bool:
    return has_global_role(user, GlobalRole.GOVERNANCE_LEAD)


def is_executive(user) -> bool:
    return has_global_role(user, GlobalRole.EXECUTIVE)


def sees_all_pilots(user) -> bool:
    return _authenticated(user) and (
        user.is_superuser or bool(_SEES_CONFIDENTIAL & user.global_roles)
    )


def sees_whole_aggregates(user) -> bool:
    """Portfolio-level aggregates (dashboard.models) add up confidential pilots
    with the rest. Only someone who sees every pilot may read them whole; anyone else reads
    the groups without confidential pilots, plus the confidential pilots they hold a role
    on, counted from their own rows (dashboard.selectors.scope)."""
    return sees_all_pilots(user)


def pilot_roles_of(user, pilot) -> frozenset[str]:
    """The per-pilot roles `user` holds on `pilot` (cached on the pilot object)."""
    if not _authenticated(user):
        return frozenset()
    cache = pilot.__dict__.setdefault("_roles_by_user", {})
    if user.pk not in cache:
        prefetched = getattr(pilot, "_prefetched_objects_cache", {}).get("roles")
        if prefetched is not None:
            cache[user.pk] = frozenset(r.role for r in prefetched if r.user_id == user.pk)
        else:
            cache[user.pk] = frozenset(
                PilotRole.objects.filter(pilot=pilot, user=user).values_list("role", flat=True)
            )
    return cache[user.pk]


# --- visibility ---------------------------------------------------------------------


def can_view_pilot(user, pilot) -> bool:
    if not _authenticated(user):
        return False
    if not pilot.confidential or sees_all_pilots(user):
        return True
    return bool(pilot_roles_of(user, pilot))


def visible_pilots(user, queryset: QuerySet) -> QuerySet:
    """Restrict a Pilot queryset to what `user` may see (confidential rule)."""
    if not _authenticated(user):
        return queryset.none()
    return visible_pilots_of(user.pk, sees_all=sees_all_pilots(user), queryset=queryset)


def visible_pilots_of(reader_id: int, *, sees_all: bool, queryset: QuerySet) -> QuerySet:
    """visible_pilots for an authenticated reader given by id, once sees_all_pilots has
    been decided (for queries compiled ahead of their values: dashboard)."""
    if sees_all:
        return queryset
    holds_role = PilotRole.objects.filter(pilot=OuterRef("pk"), user_id=reader_id)
    return queryset.filter(Q(confidential=False) | Q(Exists(holds_role)))


# --- actions ------------------------------------------------------------------------


def can_create_pilot(user) -> bool:
    return has_global_role(user, GlobalRole.CONTRIBUTOR) or is_admin(user)


def can_edit_pilot(user, pilot) -> bool:
    """Basic fields of a pilot: its business or technical owner, or an admin."""
    if not can_view_pilot(user, pilot) or pilot.is_stopped:
        return False
    return is_admin(user) or bool(OWNER_ROLES & pilot_roles_of(user, pilot))


def can_assign_roles(user, pilot) -> bool:
    if not can_view_pilot(user, pilot) or pilot.is_stopped:
        return False
    return is_admin(user) or PilotRoleKind.BUSINESS_OWNER in pilot_roles_of(user, pilot)


def can_edit_workbook(user, pilot, phase: str) -> bool:
    """Owners edit every workbook; the operations lead edits the operations workbook."""
    if not can_view_pilot(user, pilot) or pilot.is_stopped:
        return False
    roles = pilot_roles_of(user, pilot)
    if OWNER_ROLES & roles:
        return True
    return phase == "operations" and PilotRoleKind.OPERATIONS_LEAD in roles


def can_transition_pilot(user, pilot) -> bool:
    """Direct stage/status changes outside a gate review: admins only."""
    return can_view_pilot(user, pilot) and is_admin(user)


# What each gate decision may do to its pilot: (stage it may move to, status it may set).
_DECISION_MOVES = {
    "approve": ("review", None),
    "approve_with_conditions": ("review", None),
    "hold": (None, "on_hold"),
    "redesign": ("redesign", None),
    "stop": (None, "stopped"),
}


def can_move_pilot(user, pilot, *, to_stage=None, to_status=None, decision=None) -> bool:
    """The rule of the one writer of stage and status (gates.services.pilot_transition).

    The system, said explicitly (accounts.system.SYSTEM); the governance lead who recorded
    `decision` on this pilot's review, making the move that decision means (an approval
    moves to the review's stage, a redesign to its stage, a hold or a stop sets that
    status); a lead who may resume a held pilot, taking it off hold; anyone else only
    through can_transition_pilot (admins).
    """
    if is_system(user):
        return True
    if decision is not None:
        review = decision.review
        stage, status = _DECISION_MOVES.get(decision.decision, ("", ""))
        stage = {"review": review.to_stage, "redesign": decision.redesign_to_stage}.get(
            stage, stage
        )
        return (
            decision.decided_by_id == user.pk
            and review.pilot_id == pilot.pk
            and is_governance_lead(user)
            and can_view_pilot(user, pilot)
            and (to_stage, to_status) == (stage, status)
        )
    if (to_stage, to_status) == (None, "active") and pilot.status == "on_hold":
        return can_resume_pilot(user, pilot) or can_transition_pilot(user, pilot)
    return can_transition_pilot(user, pilot)


def can_write_metrics(user, pilot) -> bool:
    """Push or upload metric snapshots: owners, the operations lead, or an admin."""
    if not can_view_pilot(user, pilot) or pilot.is_stopped:
        return False
    if is_admin(user):
        return True
    roles = pilot_roles_of(user, pilot)
    return bool(OWNER_ROLES & roles) or PilotRoleKind.OPERATIONS_LEAD in roles


def can_manage_alerts(user, pilot) -> bool:
    """Acknowledge and resolve a pilot's alerts: the operations lead, owners, or an admin."""
    if not can_view_pilot(user, pilot):
        return False
    if is_admin(user):
        return True
    roles = pilot_roles_of(user, pilot)
    return bool(OWNER_ROLES & roles) or PilotRoleKind.OPERATIONS_LEAD in roles


def can_manage_sources(user, pilot) -> bool:
    """Add, change, delete and pull a pilot's metric sources: its owners or an admin.

    Everyone who sees the pilot sees its sources' health (never their secrets).
    """
    if not can_view_pilot(user, pilot) or pilot.is_stopped:
        return False
    return is_admin(user) or bool(OWNER_ROLES & pilot_roles_of(user, pilot))


def can_view_audit(user, pilot) -> bool:
    return can_view_pilot(user, pilot)


def log_denied(user, action: str, target: str) -> None:
    """Write a denial of an authenticated user to the security log."""
    security_log.warning(
        "permission denied: user=%s action=%s target=%s",
        getattr(user, "pk", None),
        action,
        target,
    )


def log_denied_once(request, exc, status: int) -> None:
    """Log a 403/404 answered to an authenticated user unless `ensure*` already did.

    Called by the API exception handler and the page error handlers, so a denial from a
    DRF permission class, a queryset that hides a row, or `get_object_or_404` on a
    visibility-filtered queryset is logged like one from this module.
    """
    user = getattr(request, "user", None)
    if getattr(exc, "security_logged", False) or not _authenticated(user):
        return
    log_denied(user, f"{request.method} ({status})", request.path)
    try:
        exc.security_logged = True
    except AttributeError:  # some exception types refuse attributes; logging once is enough
        pass


def ensure_visible(user, pilot) -> None:
    """Raise Http404 when `user` may not see `pilot` (it does not exist for them)."""
    from django.http import Http404

    if not can_view_pilot(user, pilot):
        exc = Http404("No such pilot.")
        if _authenticated(user):
            log_denied(user, "view", f"pilot:{pilot.pk}")
            exc.security_logged = True  # so the error handlers do not log it twice
        raise exc


def ensure(allowed: bool, user, action: str, target: str, message: str = "") -> None:
    """Raise PermissionDenied (403) unless `allowed`; log the denial."""
    from django.core.exceptions import PermissionDenied

    if not allowed:
        log_denied(user, action, target)
        exc = PermissionDenied(message or f"You may not {action.replace('_', ' ')}.")
        exc.security_logged = True  # so the error handlers do not log it twice
        raise exc


def can_view_workbook(user, pilot) -> bool:
    """Everyone who may see a pilot reads its workbooks and decision memo."""
    return can_view_pilot(user, pilot)


def can_read_evidence(user, evidence_file, pilot) -> bool:
    """Evidence files are served only to readers of the pilot they belong to."""
    return evidence_file.pilot_id == pilot.pk and can_view_pilot(user, pilot)


# --- gates: reviews, decisions, waivers, criteria -----------------------------------


def can_remove_evidence(user, pilot, phase: str | None) -> bool:
    """Whoever may edit the workbook holding the file; a file nothing holds: the owners."""
    return can_edit_workbook(user, pilot, phase or "")


def requests_reviews_of(user, pilot) -> bool:
    """Who asks for gate reviews of a pilot, whatever its state: its business and
    technical owners."""
    return can_view_pilot(user, pilot) and bool(OWNER_ROLES & pilot_roles_of(user, pilot))


def can_request_review(user, pilot) -> bool:
    """Business and technical owners ask for a gate review of their own live pilot."""
    return not pilot.is_stopped and requests_reviews_of(user, pilot)


def can_withdraw_review(user, review) -> bool:
    pilot = review.pilot
    if not can_view_pilot(user, pilot):
        return False
    return review.requested_by_id == user.pk or bool(OWNER_ROLES & pilot_roles_of(user, pilot))


def _independent_lead(user, pilot) -> bool:
    # Separation of duties: a governance lead holding any role on the pilot is not independent.
    return (
        is_governance_lead(user) and can_view_pilot(user, pilot) and not pilot_roles_of(user, pilot)
    )


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: a permission (403) or a clash with the state (409)."""

    reason: str
    conflict: bool = False


def decide_refusal(user, review) -> Refusal | None:
    """Why `user` may not decide `review` now, or None when they may.

    The one rule behind the review service, the review queue and the review page, so
    "Can decide" on a page means the service accepts the decision. Who may decide:
    governance leads without a role on the pilot, never the requester (permission, 403).
    When: the review is pending, the pilot is still active in the review's stage, and
    the lead has not decided it already (state, 409). Reads `review.decisions.all()`,
    so a list prefetches them once.
    """
    pilot = review.pilot
    if not is_governance_lead(user) or not can_view_pilot(user, pilot):
        return Refusal("Only governance leads decide gate reviews.")
    if pilot_roles_of(user, pilot):
        return Refusal("You hold a role on this pilot, so you are not independent of it.")
    if review.requested_by_id == user.pk:
        return Refusal("You requested this review, so you cannot decide it.")
    if review.status != "pending":
        return Refusal(
            f"This review is already closed ({review.get_status_display().lower()}); "
            "reload to see the outcome.",
            conflict=True,
        )
    if any(d.decided_by_id == user.pk for d in review.decisions.all()):
        return Refusal(
            "You have already decided this review; it waits for another lead.", conflict=True
        )
    if pilot.stage != review.from_stage or pilot.status != "active":
        return Refusal(
            f"The pilot is now {pilot.get_status_display().lower()} in {pilot.stage}; this "
            "review no longer applies. Withdraw it.",
            conflict=True,
        )
    return None


def can_decide(user, review) -> bool:
    return decide_refusal(user, review) is None


def ensure_can_decide(user, review, *, state: bool = True) -> None:
    """PermissionDenied (403) or Conflict (409) unless `user` may decide `review` now.

    `state=False` checks only who may decide (403), so a service can validate the
    input (400) before it reports a conflict with the review's state (409).
    """
    refusal = decide_refusal(user, review)
    if refusal is None or (refusal.conflict and not state):
        return
    if refusal.conflict:
        from config.errors import Conflict

        raise Conflict(refusal.reason)
    ensure(False, user, "decide_review", f"review:{review.pk}", refusal.reason)


def can_waive(user, pilot) -> bool:
    return _independent_lead(user, pilot) and not pilot.is_stopped


def can_revoke_waiver(user, waiver) -> bool:
    """Whoever may grant a waiver on the pilot may revoke one (not only its grantor)."""
    return can_waive(user, waiver.pilot)


def can_resume_pilot(user, pilot) -> bool:
    """Taking a pilot off hold is a governance decision, like putting it on hold."""
    return _independent_lead(user, pilot)


def can_mark_condition_met(user, pilot) -> bool:
    return _independent_lead(user, pilot)


def can_comment_review(user, review) -> bool:
    pilot = review.pilot
    if not can_view_pilot(user, pilot):
        return False
    return is_governance_lead(user) or bool(OWNER_ROLES & pilot_roles_of(user, pilot))


def can_view_review_queue(user) -> bool:
    return is_governance_lead(user)


def can_edit_criteria(user) -> bool:
    return is_governance_lead(user)


def can_edit_recertification_policy(user) -> bool:
    """How often pilots at scale are recertified is governance data, like the criteria."""
    return is_governance_lead(user)


def can_request_recertification(user, pilot) -> bool:
    """The owners ask for the recertification of their live pilot at scale."""
    return pilot.stage == "scale" and can_request_review(user, pilot)


def can_import_pilots(user) -> bool:
    """Bulk import creates pilots for other people and sets stages directly, which only an
    admin may do (can_transition_pilot); governance leads decide reviews, not stages."""
    return is_admin(user)


def can_edit_checklist(user, pilot) -> bool:
    if not can_view_pilot(user, pilot) or pilot.is_stopped:
        return False
    return bool(OWNER_ROLES & pilot_roles_of(user, pilot))


def can_manage_webhooks(user) -> bool:
    """Admins and governance leads create and change webhook subscriptions, see a secret
    once (at creation or rotation) and read the delivery log."""
    return is_admin(user) or is_governance_lead(user)


def webhook_may_carry(creator, pilot) -> bool:
    """An event about `pilot` goes to a subscription only if its creator may see the pilot:
    a subscription never carries a confidential pilot out past its creator's own view."""
    return can_view_pilot(creator, pilot)


# --- inventory: assets, links, change control -------------------------------------------


def can_edit_inventory(user) -> bool:
    """Record and edit models, prompts, datasets and vendors: the people who register
    pilots (contributors), governance leads and admins. Everyone signed in reads them; the
    pilots using an asset are listed only as far as the reader may see them."""
    return (
        has_global_role(user, GlobalRole.CONTRIBUTOR) or is_governance_lead(user) or is_admin(user)
    )


def can_change_pilot_assets(user, pilot) -> bool:
    """Link, swap or remove a pilot's assets (a change request once the pilot is live):
    its owners, its operations lead, or an admin. A delivery pipeline uses a token of one
    of them."""
    if not can_view_pilot(user, pilot) or pilot.is_stopped:
        return False
    if is_admin(user):
        return True
    roles = pilot_roles_of(user, pilot)
    return bool(OWNER_ROLES & roles) or PilotRoleKind.OPERATIONS_LEAD in roles


def can_edit_change_rules(user) -> bool:
    """The rules that classify changes as minor or material: governance leads."""
    return is_governance_lead(user)


def can_answer_regulatory_profile(user, pilot) -> bool:
    """The pilot's business and technical owners answer its EU AI Act profile."""
    return can_edit_checklist(user, pilot)


def can_confirm_regulatory_profile(user, pilot) -> bool:
    """A governance lead who holds no role on the pilot (separation of duties)."""
    return _independent_lead(user, pilot)


def can_edit_obligations(user) -> bool:
    return is_governance_lead(user)
