"""A pull source's configuration: create, change, disconnect, and the "pull now" button.

Everything a page or the API sends is validated here (metrics/sources/schema.py describes
the same shapes for the API schema); the secret header value is write-only.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record, changes
from metrics import signal_refresh
from metrics.connectors import ConnectorError, http_json, prometheus
from metrics.connectors.safety import ALLOWED_SCHEMES, UnsafeURL, check_url
from metrics.models import MetricDefinition, MetricSource, SourceKind, SourceStatus
from metrics.pulls import dispatch
from portfolio.models import Pilot

MIN_INTERVAL, MAX_INTERVAL = 1, 1440
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{0,99}$")
_FORBIDDEN_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "cookie", "user-agent"}
)

CONNECTORS = {SourceKind.HTTP_JSON: http_json, SourceKind.PROMETHEUS: prometheus}


def _audit_view(source: MetricSource) -> dict[str, Any]:
    """What the audit trail may know about a source: everything but the secret value."""
    return {
        "name": source.name,
        "kind": source.kind,
        "config": source.config,
        "secret_header_name": source.secret_header_name,
        "secret_set": source.has_secret,
        "interval_minutes": source.interval_minutes,
        "enabled": source.enabled,
    }


def _precheck_url(url: str) -> str | None:
    """Refuse at save time what can be refused without a DNS lookup (the pull re-checks)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "This URL is not valid."
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return "Only http and https URLs can be pulled."
    if not host:
        return "The URL has no host."
    try:
        ipaddress.ip_address(host)
        is_literal = True
    except ValueError:
        is_literal = host.lower().rstrip(".") == "localhost"
    if is_literal:
        try:
            check_url(url)
        except UnsafeURL as exc:
            return exc.message
        except ConnectorError:
            return None
    return None


def _validate(source: MetricSource) -> None:
    errors: dict[str, list[str]] = {}
    source.name = (source.name or "").strip()
    if not source.name:
        errors.setdefault("name", []).append("Give the source a name.")
    elif len(source.name) > 120:
        errors.setdefault("name", []).append("Keep the name under 120 characters.")
    if source.kind not in SourceKind.values:
        errors.setdefault("kind", []).append("Choose HTTP JSON or Prometheus.")
    if not isinstance(source.interval_minutes, int) or not (
        MIN_INTERVAL <= source.interval_minutes <= MAX_INTERVAL
    ):
        errors.setdefault("interval_minutes", []).append(
            f"Pull every {MIN_INTERVAL} to {MAX_INTERVAL} minutes."
        )
    name = (source.secret_header_name or "").strip()
    source.secret_header_name = name
    if name and (not _HEADER_NAME.match(name) or name.lower() in _FORBIDDEN_HEADERS):
        errors.setdefault("secret_header_name", []).append(
            "Use a header name of letters, digits and dashes, like X-Api-Key or Authorization."
        )
    if source.secret_header_value and not name:
        errors.setdefault("secret_header_name", []).append("Name the header the secret goes in.")
    if any(ch in source.secret_header_value for ch in "\r\n\x00"):
        errors.setdefault("secret_header_value", []).append(
            "The secret cannot contain line breaks."
        )
    if len(source.secret_header_value) > 4000:
        errors.setdefault("secret_header_value", []).append(
            "Keep the secret under 4,000 characters."
        )
    config = source.config if isinstance(source.config, dict) else {}
    if not isinstance(source.config, dict):
        errors.setdefault("config", []).append("The configuration must be an object.")
    connector = CONNECTORS.get(source.kind)
    if connector is not None and isinstance(source.config, dict):
        for field, messages in connector.validate_config(config).items():
            errors.setdefault(field, []).extend(messages)
        url_field = "url" if source.kind == SourceKind.HTTP_JSON else "base_url"
        url = str(config.get(url_field) or "").strip()
        if url and url_field not in errors:
            problem = _precheck_url(url)
            if problem:
                errors.setdefault(url_field, []).append(problem)
        entries = config.get("metrics" if source.kind == SourceKind.HTTP_JSON else "queries")
        keys = {str(e["metric"]) for e in entries or [] if isinstance(e, dict) and e.get("metric")}
        known = set(MetricDefinition.objects.filter(key__in=keys).values_list("key", flat=True))
        unknown = sorted(keys - known)
        if unknown:
            field = "metrics" if source.kind == SourceKind.HTTP_JSON else "queries"
            errors.setdefault(field, []).append(
                "Not in the metric catalog: " + ", ".join(unknown) + "."
            )
    if errors:
        raise ValidationError(errors)


def _save_new(source: MetricSource) -> None:
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "This pilot already has a source of that name."}) from exc


@transaction.atomic
def source_create(
    *,
    pilot: Pilot,
    by,
    name: str,
    kind: str,
    config: dict,
    interval_minutes: int = 15,
    enabled: bool = True,
    secret_header_name: str = "",
    secret_header_value: str = "",
) -> MetricSource:
    """Connect a monitoring system to a pilot; its first pull is due at once."""
    rules.ensure_visible(by, pilot)
    rules.ensure(rules.can_manage_sources(by, pilot), by, "manage_sources", f"pilot:{pilot.pk}")
    source = MetricSource(
        pilot=pilot,
        name=name,
        kind=kind,
        config=config,
        interval_minutes=interval_minutes,
        enabled=bool(enabled),
        secret_header_name=secret_header_name or "",
        secret_header_value=secret_header_value or "",
        created_by=by,
        next_due_at=timezone.now(),
    )
    _validate(source)
    _save_new(source)
    audit_record(
        actor=by,
        action="metric_source.create",
        obj=source,
        pilot_id=pilot.pk,
        after=_audit_view(source),
    )
    return source


EDITABLE = ("name", "kind", "config", "interval_minutes", "enabled", "secret_header_name")


@transaction.atomic
def source_update(
    *,
    source: MetricSource,
    by,
    secret_header_value: str | None = None,
    clear_secret: bool = False,
    **fields,
) -> MetricSource:
    """Change a source. `secret_header_value=None` keeps the stored secret (forms never
    show it, so an empty field means "unchanged"); `clear_secret` removes it."""
    rules.ensure_visible(by, source.pilot)
    rules.ensure(
        rules.can_manage_sources(by, source.pilot), by, "manage_sources", f"source:{source.pk}"
    )
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: "This field cannot be changed here." for f in sorted(unknown)})
    source = MetricSource.objects.select_for_update().select_related("pilot").get(pk=source.pk)
    before = _audit_view(source)
    for name, value in fields.items():
        setattr(source, name, value)
    if clear_secret:
        source.secret_header_value = ""
        source.secret_header_name = fields.get("secret_header_name", "") or ""
    elif secret_header_value:
        source.secret_header_value = secret_header_value
    secret_changed = bool(clear_secret or secret_header_value)
    _validate(source)
    old, new = changes(before, _audit_view(source))
    if secret_changed:
        # Record that the secret changed, never what it was or became.
        old["secret"], new["secret"] = "(hidden)", "cleared" if clear_secret else "replaced"
    if not new:
        return source
    if {"config", "kind", "enabled"} & set(new) or secret_changed:
        # A reconfigured source is pulled soon, so its owner sees whether it works.
        source.next_due_at = timezone.now()
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "This pilot already has a source of that name."}) from exc
    audit_record(
        actor=by,
        action="metric_source.update",
        obj=source,
        pilot_id=source.pilot_id,
        before=old,
        after=new,
    )
    return source


@transaction.atomic
def source_delete(*, source: MetricSource, by) -> None:
    """Disconnect a source. Snapshots it stored stay: they are the pilot's history."""
    rules.ensure_visible(by, source.pilot)
    rules.ensure(
        rules.can_manage_sources(by, source.pilot), by, "manage_sources", f"source:{source.pk}"
    )
    audit_record(
        actor=by,
        action="metric_source.delete",
        obj=source,
        pilot_id=source.pilot_id,
        before=_audit_view(source),
    )
    source.delete()
    if source.status == SourceStatus.DEGRADED:
        signal_refresh.refresh_on_commit(source.pilot_id)


@transaction.atomic
def source_pull_request(*, source: MetricSource, by) -> None:
    """The "pull now" button: queue a pull of this source after commit."""
    rules.ensure_visible(by, source.pilot)
    rules.ensure(
        rules.can_manage_sources(by, source.pilot), by, "pull_source", f"source:{source.pk}"
    )
    if not source.enabled:
        raise ValidationError({"enabled": "Enable the source before pulling it."})
    audit_record(
        actor=by,
        action="metric_source.pull_request",
        obj=source,
        pilot_id=source.pilot_id,
        after={"name": source.name},
    )
    source_id = source.pk
    transaction.on_commit(lambda: dispatch._enqueue_pull(source_id, trigger="manual"))
