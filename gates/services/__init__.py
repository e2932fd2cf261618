"""Every write of the gates app. `pilot_transition` is the only writer of stage and status."""

from gates.services.checklists import checklist_answer_set
from gates.services.criteria import checklist_attach, criteria_version_create
from gates.services.decisions import review_decide
from gates.services.followups import comment_add, condition_mark_met, pilot_resume
from gates.services.recertify import (
    hold_overdue,
    recertification_policy_set,
    recertification_request,
    remind_recertifications,
)
from gates.services.reviews import review_request, review_withdraw
from gates.services.transitions import pilot_transition, pilots_move_stage
from gates.services.waivers import (
    waiver_grant,
    waiver_revoke,
    waivers_grant,
    waivers_publish_expired,
)

__all__ = [
    "checklist_answer_set",
    "checklist_attach",
    "comment_add",
    "condition_mark_met",
    "criteria_version_create",
    "hold_overdue",
    "pilot_resume",
    "pilot_transition",
    "pilots_move_stage",
    "recertification_policy_set",
    "recertification_request",
    "remind_recertifications",
    "review_decide",
    "review_request",
    "review_withdraw",
    "waiver_grant",
    "waiver_revoke",
    "waivers_grant",
    "waivers_publish_expired",
]
