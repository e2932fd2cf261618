from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class GlobalRole(models.TextChoices):
    """Global roles; each is a Django group created by a data migration."""

    ADMIN = "admin", "Admin"
    GOVERNANCE_LEAD = "governance_lead", "Governance lead"
    EXECUTIVE = "executive", "Executive"
    CONTRIBUTOR = "contributor", "Contributor"


class PilotRoleKind(models.TextChoices):
    BUSINESS_OWNER = "business_owner", "Business owner"
    TECHNICAL_OWNER = "technical_owner", "Technical owner"
    OPERATIONS_LEAD = "operations_lead", "Operations lead"
    RISK_LEAD = "risk_lead", "Risk lead"


class User(AbstractUser):
    """Pilotgate's user; custom from the first migration so it can grow without pain."""

    display_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def global_roles(self) -> frozenset[str]:
        cached = getattr(self, "_global_roles", None)
        if cached is None:
            cached = frozenset(self.groups.values_list("name", flat=True))
            self._global_roles = cached
        return cached


class PilotRole(models.Model):
    """A person's role on one pilot; at most one holder per role per pilot."""

    pilot = models.ForeignKey("portfolio.Pilot", on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=PilotRoleKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pilot_roles"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pilot", "role"], name="one_holder_per_pilot_role")
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of {self.pilot_id}: {self.user}"


class ApiToken(models.Model):
    """A named API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(models.Model):
    """Append-only, hash-chained record of every change that matters.

    Each row's hash covers its own content and the previous row's hash, so an edit,
    a deletion or a reordering breaks the chain (see `accounts.audit.audit_verify`).
    On PostgreSQL a trigger refuses UPDATE and DELETE on this table.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    pilot_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    # Which of the hash chains (accounts.audit.CHAINS) this event extends.
    chain = models.PositiveSmallIntegerField(default=1)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["chain", "id"], name="accounts_audit_chain_id"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class AuditHead(models.Model):
    """The sealed head of one audit chain (id = the chain's number), moved by every append.

    A plain hash chain cannot tell that its last events were deleted. The head records how
    many events there are and the last one's id and hash, sealed with an HMAC whose key is
    a setting (AUDIT_HMAC_KEY), not stored in the database: whoever can write to the
    database but does not hold the key cannot trim the chain and forge a matching head.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    count = models.BigIntegerField()
    last_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    seal = models.CharField(max_length=64)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"audit head: {self.count} events, last {self.last_id}"
