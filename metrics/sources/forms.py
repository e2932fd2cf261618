"""Forms of the metric sources pages. They only shape input; metrics.pulls.sources validates
it."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html

from config.forms import StrictBooleanField
from metrics.connectors.prometheus import DEFAULT_STEP_SECONDS
from metrics.models import MetricSource, SourceKind

HTTP_JSON_FIELDS = ("metric", "path", "time_path", "time_key", "value_key")

# The config is typed with catalog keys, so the examples show them, as code.
MAPPING_HELP = format_html(
    "One metric per line, by its catalog key. HTTP JSON: <code>{}</code>, e.g. "
    "<code>{}</code>, or a path to a list of [time, value] points, e.g. <code>{}</code>. "
    "For a list of objects add their time and value keys: <code>{}</code>. "
    "Paths: <code>{}</code>, <code>{}</code>, <code>{}</code>. "
    "Prometheus: <code>{}</code> giving one series, e.g. <code>{}</code>.",
    "metric_key | path | optional time path",
    "p95_latency_ms | $.latency.p95 | $.generated_at",
    "error_rate | $.series.errors",
    "adoption_rate | $.days | | day | share",
    "$.key",
    '["key with spaces"]',
    "[0]",
    "metric_key | PromQL query",
    'p95_latency_ms | max(latency_p95_ms{service="triage"})',
)


def mapping_to_text(kind: str, config: dict) -> str:
    if kind == SourceKind.PROMETHEUS:
        return "\n".join(
            f"{q.get('metric', '')} | {q.get('query', '')}" for q in config.get("queries") or []
        )
    lines = []
    for entry in config.get("metrics") or []:
        parts = [str(entry.get(name) or "") for name in HTTP_JSON_FIELDS]
        while parts and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def text_to_config(kind: str, url: str, mapping: str, step_seconds: int | None) -> dict:
    lines = [line.strip() for line in (mapping or "").splitlines() if line.strip()]
    if kind == SourceKind.PROMETHEUS:
        queries = []
        for line in lines:
            # Only the first bar separates: PromQL regexes may contain bars themselves.
            metric, _, query = line.partition("|")
            queries.append({"metric": metric.strip(), "query": query.strip()})
        return {
            "base_url": url,
            "step_seconds": step_seconds or DEFAULT_STEP_SECONDS,
            "queries": queries,
        }
    metrics = []
    for line in lines:
        parts = [part.strip() for part in line.split(" | ")]
        entry = {name: value for name, value in zip(HTTP_JSON_FIELDS, parts, strict=False) if value}
        metrics.append(entry)
    return {"url": url, "metrics": metrics}


class SourceForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(label="Kind", choices=SourceKind.choices)
    url = forms.CharField(
        label="URL",
        max_length=2000,
        help_text="HTTP JSON: the address of the JSON document. Prometheus: the server's "
        "base address, e.g. https://prometheus.example.com",
    )
    mapping = forms.CharField(
        label="Metrics", widget=forms.Textarea(attrs={"rows": 5}), help_text=MAPPING_HELP
    )
    step_seconds = forms.IntegerField(
        label="Prometheus step (seconds)",
        required=False,
        min_value=1,
        max_value=86_400,
        initial=DEFAULT_STEP_SECONDS,
        help_text="Spacing of the points filled in after a gap. Ignored for HTTP JSON.",
    )
    interval_minutes = forms.IntegerField(
        label="Pull every (minutes)", min_value=1, max_value=1440, initial=15
    )
    enabled = StrictBooleanField(label="Enabled", required=False, initial=True)
    secret_header_name = forms.CharField(
        label="Secret header name",
        required=False,
        max_length=100,
        help_text="Optional, e.g. Authorization or X-Api-Key.",
    )
    secret_header_value = forms.CharField(
        label="Secret header value",
        required=False,
        max_length=4000,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only: it is never shown again.",
    )

    def __init__(self, *args, source: MetricSource | None = None, **kwargs):
        self.source = source
        if source is not None and "initial" not in kwargs:
            url_key = "base_url" if source.kind == SourceKind.PROMETHEUS else "url"
            kwargs["initial"] = {
                "name": source.name,
                "kind": source.kind,
                "url": source.config.get(url_key, ""),
                "mapping": mapping_to_text(source.kind, source.config),
                "step_seconds": source.config.get("step_seconds", DEFAULT_STEP_SECONDS),
                "interval_minutes": source.interval_minutes,
                "enabled": source.enabled,
                "secret_header_name": source.secret_header_name,
            }
        super().__init__(*args, **kwargs)
        if source is not None:
            self.fields["secret_header_value"].help_text = (
                "A secret is stored (hidden). Leave empty to keep it; type a new one to replace it."
                if source.has_secret
                else "Write-only: it is never shown again."
            )
            self.fields["clear_secret"] = StrictBooleanField(
                label="Remove the stored secret", required=False
            )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        kwargs = {
            "name": data["name"],
            "kind": kind,
            "config": text_to_config(
                kind, data["url"].strip(), data["mapping"], data.get("step_seconds")
            ),
            "interval_minutes": data["interval_minutes"],
            "enabled": data["enabled"],
            "secret_header_name": data["secret_header_name"],
        }
        if self.source is None:
            kwargs["secret_header_value"] = data["secret_header_value"]
        else:
            kwargs["secret_header_value"] = data["secret_header_value"] or None
            kwargs["clear_secret"] = data.get("clear_secret", False)
        return kwargs

    # Service errors name config keys; show them on the field the person typed into.
    FIELD_FOR_ERROR = {
        "url": "url",
        "base_url": "url",
        "metrics": "mapping",
        "queries": "mapping",
        "step_seconds": "step_seconds",
        "config": "mapping",
    }

    def add_service_errors(self, error) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            field = self.FIELD_FOR_ERROR.get(key, key)
            self.add_error(field if field in self.fields else None, messages)


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: pilot (this pilot's id, or empty), metric, observed_at "
        "(ISO 8601 with a time zone, or Unix seconds), value. A header row is required.",
    )

    def clean_file(self):
        from django.conf import settings

        upload = self.cleaned_data["file"]
        limit = int(getattr(settings, "PILOTGATE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {limit:,}. Split it into "
                "smaller files."
            )
        return upload
