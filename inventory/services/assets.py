"""Recording and editing assets. Every write is audited with what changed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from inventory.models import (
    AIModel,
    AssetKind,
    Dataset,
    Prompt,
    PromptVersion,
    Vendor,
    content_hash,
)

ASSET_MODELS = {
    AssetKind.MODEL: AIModel,
    AssetKind.PROMPT: Prompt,
    AssetKind.DATASET: Dataset,
    AssetKind.VENDOR: Vendor,
}
# The fields a page or the API may set, per kind (a prompt's content is in its versions).
EDITABLE = {
    AssetKind.MODEL: (
        "provider", "name", "version", "hosting", "licence", "general_purpose",
        "end_of_life_on", "vendor",
    ),
    AssetKind.PROMPT: ("identifier", "description"),
    AssetKind.DATASET: (
        "name", "owner", "personal_data_categories", "legal_basis", "retention",
    ),
    AssetKind.VENDOR: (
        "name", "contract_start", "contract_end", "dpa_signed_on", "data_residency",
        "risk_rating", "next_review_on",
    ),
}  # fmt: skip
MAX_PROMPT_CHARS = 100_000


def _ensure_editor(by, target: str) -> None:
    rules.ensure(
        rules.can_edit_inventory(by), by, "edit_inventory", target,
        "Only contributors, governance leads and admins record or edit the inventory.",
    )  # fmt: skip


def _value(obj, field: str):
    value = getattr(obj, field)
    return getattr(value, "pk", value)


@transaction.atomic
def asset_save(*, kind: str, by, instance=None, now=None, **fields):
    """Create (`instance` None) or update an asset of `kind` with `fields`."""
    now = now or timezone.now()
    if kind not in ASSET_MODELS:
        raise ValidationError({"kind": f"Unknown asset kind {kind!r}."})
    target = f"{kind}:{instance.pk if instance else 'new'}"
    _ensure_editor(by, target)
    unknown = set(fields) - set(EDITABLE[kind])
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in sorted(unknown)})
    creating = instance is None
    if creating:
        instance = ASSET_MODELS[kind](created_by=by, created_at=now)
    else:
        instance = ASSET_MODELS[kind].objects.select_for_update().get(pk=instance.pk)
    before = {f: _value(instance, f) for f in fields} if not creating else {}
    for name, value in fields.items():
        setattr(instance, name, value.strip() if isinstance(value, str) else value)
    instance.updated_at = now
    instance.full_clean()
    instance.save()
    after = {f: _value(instance, f) for f in fields}
    if not creating:
        changed = [f for f in fields if before[f] != after[f]]
        before = {f: before[f] for f in changed}
        after = {f: after[f] for f in changed}
    audit_record(
        actor=by,
        action=f"inventory.{kind}.{'create' if creating else 'update'}",
        obj=instance,
        before=before,
        after=after,
    )
    return instance


def _clean_content(content) -> str:
    content = str(content or "")
    if not content.strip():
        raise ValidationError({"content": "Give the prompt or configuration text."})
    if len(content) > MAX_PROMPT_CHARS:
        raise ValidationError({"content": f"Keep it to {MAX_PROMPT_CHARS:,} characters."})
    return content


@transaction.atomic
def prompt_create(*, by, identifier: str, content: str, description: str = "", now=None):
    """A new prompt with its first version."""
    now = now or timezone.now()
    _ensure_editor(by, "prompt:new")
    content = _clean_content(content)
    prompt = asset_save(
        kind=AssetKind.PROMPT, by=by, identifier=identifier, description=description, now=now
    )
    _version_create(prompt=prompt, content=content, by=by, now=now)
    return prompt


@transaction.atomic
def prompt_version_add(*, prompt: Prompt, content: str, by, now=None) -> PromptVersion:
    """A new version of `prompt` (versions are never edited). Refused when the content is
    the latest version's, byte for byte: that would be no change."""
    now = now or timezone.now()
    _ensure_editor(by, f"prompt:{prompt.pk}")
    content = _clean_content(content)
    prompt = Prompt.objects.select_for_update().get(pk=prompt.pk)
    latest = prompt.versions.order_by("-number").first()
    if latest is not None and latest.content_hash == content_hash(content):
        raise ValidationError(
            {"content": f"This is the content of version {latest.number} already."}
        )
    return _version_create(prompt=prompt, content=content, by=by, now=now)


def _version_create(*, prompt, content, by, now) -> PromptVersion:
    latest = prompt.versions.order_by("-number").values_list("number", flat=True).first()
    version = PromptVersion.objects.create(
        prompt=prompt,
        number=(latest or 0) + 1,
        content=content,
        content_hash=content_hash(content),
        author=by,
        created_at=now,
    )
    audit_record(
        actor=by,
        action="inventory.prompt.version",
        obj=version,
        after={"prompt": prompt.identifier, "number": version.number,
               "content_hash": version.content_hash},
    )  # fmt: skip
    return version
