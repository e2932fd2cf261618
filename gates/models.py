"""Gates, their versioned criteria, reviews, decisions, waivers and conditions.

Criteria are data: a `CriteriaVersion` holds the full list of a gate's criteria as
`gates.engine.Criterion` dicts. Editing never changes a version; it writes a new one, so
a review keeps pointing at exactly the criteria it was evaluated with.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from gates import engine
from gates.engine import DEFAULT_QUORUM


class Gate(models.Model):
    """The step from one stage to the next (discovery -> pilot, ...)."""

    from_stage = models.CharField(max_length=16)
    to_stage = models.CharField(max_length=16)
    # Approvals from distinct governance leads needed per risk tier (quorum is data).
    quorum = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["from_stage", "to_stage"], name="one_gate_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"

    def approvals_needed(self, risk_tier: str) -> int:
        return max(1, int((self.quorum or {}).get(risk_tier, DEFAULT_QUORUM.get(risk_tier, 1))))


class CriteriaVersion(models.Model):
    """One immutable version of a gate's criteria (a list of engine.Criterion dicts)."""

    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    criteria = models.JSONField(default=list)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["gate_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["gate", "number"], name="one_criteria_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.gate} v{self.number}"

    def as_criteria(self) -> list[engine.Criterion]:
        return [engine.Criterion.from_dict(item) for item in self.criteria]


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
    REJECTED = "rejected", "Rejected"
    ON_HOLD = "on_hold", "Put on hold"
    REDESIGN = "redesign", "Sent back for redesign"
    STOPPED = "stopped", "Stopped"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ReviewKind(models.TextChoices):
    """What a review decides. A gate review moves a pilot to its next stage; a change
    review approves a material change to a live pilot's models, prompts, datasets or
    vendors; a recertification review confirms a pilot at scale may stay there. All three
    share the quorum, separation of duties, frozen evaluation and decisions."""

    GATE = "gate", "Gate review"
    CHANGE = "change", "Change review"
    RECERTIFICATION = "recertification", "Recertification"


class DecisionKind(models.TextChoices):
    APPROVE = "approve", "Approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions", "Approve with conditions"
    REJECT = "reject", "Reject"
    HOLD = "hold", "Hold"
    REDESIGN = "redesign", "Redesign"
    STOP = "stop", "Stop"


APPROVING = frozenset({DecisionKind.APPROVE, DecisionKind.APPROVE_WITH_CONDITIONS})
APPROVED_STATUSES = (ReviewStatus.APPROVED, ReviewStatus.APPROVED_WITH_CONDITIONS)


class Review(models.Model):
    """A request to move a pilot through one gate, and what became of it."""

    pilot = models.ForeignKey("portfolio.Pilot", on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(
        max_length=16, choices=ReviewKind.choices, default=ReviewKind.GATE, db_index=True
    )
    from_stage = models.CharField(max_length=16)
    to_stage = models.CharField(max_length=16)
    status = models.CharField(
        max_length=32, choices=ReviewStatus.choices, default=ReviewStatus.PENDING, db_index=True
    )
    criteria_version = models.ForeignKey(
        CriteriaVersion, on_delete=models.PROTECT, related_name="reviews"
    )
    # The evaluation at request time, exactly as the requester and the reviewers saw it.
    evaluation = models.JSONField(default=dict)
    approvals_needed = models.PositiveSmallIntegerField(default=1)
    note = models.TextField(blank=True, max_length=4000)
    # Links the requester offers as evidence (documents, dashboards, test reports).
    evidence_links = models.JSONField(default=list, blank=True)
    # Files the requester attaches (stored and checked like workbook evidence).
    evidence_files = models.ManyToManyField(
        "portfolio.EvidenceFile", blank=True, related_name="reviews"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot"],
                condition=models.Q(status="pending"),
                name="one_pending_review_per_pilot",
            )
        ]

    def __str__(self) -> str:
        return f"Review #{self.pk}: {self.pilot_id} {self.from_stage} → {self.to_stage}"

    @property
    def is_pending(self) -> bool:
        return self.status == ReviewStatus.PENDING

    def frozen_evaluation(self) -> engine.Evaluation:
        return engine.Evaluation.from_dict(self.evaluation or {})


class Decision(models.Model):
    """One governance lead's decision on a review. Approvals count towards the quorum."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="decisions")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=32, choices=DecisionKind.choices)
    rationale = models.TextField(blank=True, max_length=8000)
    conditions = models.JSONField(default=list, blank=True)
    scope_note = models.TextField(blank=True, max_length=4000)
    redesign_to_stage = models.CharField(max_length=16, blank=True)
    # The live evaluation the decider was looking at.
    evaluation = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One vote per person per review: two approvals from one lead never make a quorum.
            models.UniqueConstraint(fields=["review", "decided_by"], name="one_decision_per_lead")
        ]

    def __str__(self) -> str:
        return f"{self.decision} on review {self.review_id}"


class WaiverState(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class Waiver(models.Model):
    """A time-boxed exemption of one criterion for one pilot."""

    pilot = models.ForeignKey("portfolio.Pilot", on_delete=models.CASCADE, related_name="waivers")
    criterion_key = models.CharField(max_length=100)
    justification = models.TextField(max_length=4000)
    expires_at = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    # A revoked waiver is kept, with who revoked it and why: it is part of the pilot's history.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.TextField(max_length=2000, blank=True)
    # When `waiver.expired` was published for it (once; gates.tasks.publish_expired_waivers).
    expiry_published_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["pilot", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                name="waiver_revocation_complete",
                condition=(
                    models.Q(revoked_at__isnull=True, revoked_by__isnull=True, revoke_reason="")
                    | (
                        models.Q(revoked_at__isnull=False, revoked_by__isnull=False)
                        & ~models.Q(revoke_reason="")
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        return f"Waiver of {self.criterion_key} for {self.pilot_id}"

    def state_at(self, now) -> str:
        if self.revoked_at is not None and self.revoked_at <= now:
            return WaiverState.REVOKED
        return WaiverState.ACTIVE if self.expires_at > now else WaiverState.EXPIRED

    def as_engine(self) -> engine.Waiver:
        return engine.Waiver(
            criterion_key=self.criterion_key,
            expires_at=self.expires_at,
            justification=self.justification,
            revoked_at=self.revoked_at,
        )


class Condition(models.Model):
    """A condition of an approval: a mandatory criterion of the pilot's next gate."""

    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="gate_conditions"
    )
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="conditions")
    key = models.CharField(max_length=100, unique=True)
    text = models.CharField(max_length=1000)
    # The gate this condition applies to: the one after the approved step.
    from_stage = models.CharField(max_length=16)
    to_stage = models.CharField(max_length=16)
    met_at = models.DateTimeField(null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text

    def as_criterion(self) -> engine.Criterion:
        return engine.condition_criterion(self.key, self.text)


class Comment(models.Model):
    """Discussion on a review between its owners and governance leads."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=8000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author_id} on review {self.review_id}"


class ChecklistAnswer(models.Model):
    """A pilot's answer to one item of a scored checklist (see gates.checklists)."""

    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="checklist_answers"
    )
    checklist = models.CharField(max_length=40)
    item = models.CharField(max_length=60)
    status = models.CharField(max_length=20, blank=True)
    evidence = models.CharField(max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "checklist", "item"], name="one_answer_per_checklist_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.checklist}/{self.item}: {self.status or 'not in place'}"


class CrosswalkLink(models.Model):
    """One line of the crosswalk (see gates.crosswalk): a NIST AI RMF category and an
    ISO/IEC 42001 Annex A control that ask for the same thing, and the EU AI Act obligation
    they serve. One of the three may be blank, never two. Loaded by data migration from a
    frozen file; a new version of the crosswalk is a new set of rows with a higher version."""

    version = models.PositiveSmallIntegerField()
    nist = models.CharField(max_length=60, blank=True, help_text="Item key of nist_ai_rmf")
    iso = models.CharField(max_length=60, blank=True, help_text="Item key of iso_42001")
    aiact = models.CharField(max_length=80, blank=True, help_text="EU AI Act obligation key")

    class Meta:
        ordering = ["version", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "nist", "iso", "aiact"], name="one_crosswalk_link_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}: {self.nist or '-'} / {self.iso or '-'} / {self.aiact or '-'}"


class RecertificationPolicy(models.Model):
    """How often a pilot at scale is reviewed again, by risk tier (governance leads edit it;
    gates.services.recertification_policy_set audits each change)."""

    risk_tier = models.CharField(max_length=16, unique=True)
    months = models.PositiveSmallIntegerField(
        help_text="Months between recertifications of a pilot at scale with this risk tier."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(months__gte=1, months__lte=60),
                name="recertification_months_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.risk_tier}: every {self.months} months"
