"""Admin: gates' quorum is editable (audited); everything else is read-only here.

Reviews, decisions and waivers change only through the services (permission checks,
separation of duties, audit), so the admin cannot be a side door to self-approval.
Criteria are edited by governance leads on the criteria page, which writes new versions.
"""

import json

from django import forms
from django.contrib import admin

from accounts.admin import AuditedAdmin, ReadOnlyAdmin
from gates.engine import DEFAULT_QUORUM
from gates.models import Comment, Condition, CriteriaVersion, Decision, Gate, Review, Waiver


class GateForm(forms.ModelForm):
    class Meta:
        model = Gate
        fields = ["quorum"]

    def clean_quorum(self):
        quorum = self.cleaned_data["quorum"]
        if not isinstance(quorum, dict) or set(quorum) - {"low", "medium", "high"}:
            raise forms.ValidationError(f"Use {json.dumps(DEFAULT_QUORUM)}.")
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in quorum.values()):
            raise forms.ValidationError("Each quorum is a whole number of at least 1.")
        return quorum


@admin.register(Gate)
class GateAdmin(AuditedAdmin):
    form = GateForm
    list_display = ["__str__", "quorum"]
    readonly_fields = ["from_stage", "to_stage"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CriteriaVersion)
class CriteriaVersionAdmin(ReadOnlyAdmin):
    list_display = ["gate", "number", "created_by", "created_at", "note"]
    list_filter = ["gate"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["pk", "pilot", "from_stage", "to_stage", "status", "requested_at"]
    list_filter = ["status", "to_stage"]
    list_select_related = ["pilot"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["review", "decided_by", "decision", "created_at"]
    list_select_related = ["decided_by"]


@admin.register(Waiver)
class WaiverAdmin(ReadOnlyAdmin):
    list_display = [
        "pilot",
        "criterion_key",
        "expires_at",
        "granted_by",
        "revoked_at",
        "revoked_by",
    ]
    list_select_related = ["pilot", "granted_by", "revoked_by"]


@admin.register(Condition)
class ConditionAdmin(ReadOnlyAdmin):
    list_display = ["pilot", "text", "to_stage", "met_at"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["review", "author", "created_at"]
