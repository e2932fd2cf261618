"""HTTP JSON connector: GET one URL, read metric values out of the JSON by path.

Source config::

    {
      "url": "https://status.example.com/metrics.json",
      "metrics": [
        {"metric": "p95_latency_ms", "path": "$.latency.p95",
         "time_path": "$.generated_at"},                     # one value, its own time
        {"metric": "uptime_pct", "path": "$.uptime"},       # one value, time = now
        {"metric": "error_rate", "path": "$.series.errors"},  # a list of points
        {"metric": "adoption_rate", "path": "$.adoption",
         "time_key": "day", "value_key": "share"}           # list of objects
      ]
    }

Paths use the syntax in `metrics.connectors.jsonpath`. What a path finds decides the
shape: a number (or numeric text) is one value, observed at `time_path` or at the pull
time when there is none; a list holds points, each `[time, value]` or an object with
`time_key` (default "time") and `value_key` (default "value"). Times are ISO 8601 with a
zone or Unix seconds. A point that cannot be read is skipped with a problem; the others
are kept.
"""

from __future__ import annotations

from datetime import datetime

from config import parsers
from metrics.connectors import ConnectorError, FetchResult, Point
from metrics.connectors.http import fetch
from metrics.connectors.jsonpath import PathError, parse_path, resolve
from metrics.connectors.safety import describe_url
from metrics.connectors.values import ValueProblem, parse_time, parse_value

MAX_POINTS_PER_METRIC = 100_000


def validate_config(config: dict) -> dict[str, list[str]]:
    """Field -> messages for a config that cannot work (empty when fine)."""
    errors: dict[str, list[str]] = {}
    if not str(config.get("url") or "").strip():
        errors.setdefault("url", []).append("Give the URL to pull.")
    metrics = config.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        errors.setdefault("metrics", []).append("Name at least one metric and its path.")
        return errors
    for number, entry in enumerate(metrics, start=1):
        if not isinstance(entry, dict) or not entry.get("metric") or not entry.get("path"):
            errors.setdefault("metrics", []).append(f"Line {number}: give a metric and a path.")
            continue
        for key in ("path", "time_path"):
            if entry.get(key):
                try:
                    parse_path(entry[key])
                except PathError as exc:
                    errors.setdefault("metrics", []).append(f"Line {number}: {exc}.")
    return errors


def _points_from_list(metric: str, items: list, entry: dict, result: FetchResult) -> None:
    time_key = entry.get("time_key") or "time"
    value_key = entry.get("value_key") or "value"
    if len(items) > MAX_POINTS_PER_METRIC:
        result.problems.append(
            f"{metric}: {len(items):,} points; only the last {MAX_POINTS_PER_METRIC:,} are read"
        )
        items = items[-MAX_POINTS_PER_METRIC:]
    for index, item in enumerate(items):
        try:
            if isinstance(item, list | tuple) and len(item) == 2:
                raw_time, raw_value = item
            elif isinstance(item, dict):
                if time_key not in item or value_key not in item:
                    raise ValueProblem(f"needs keys {time_key!r} and {value_key!r}")
                raw_time, raw_value = item[time_key], item[value_key]
            else:
                raise ValueProblem("is neither [time, value] nor an object")
            result.points.append(Point(metric, parse_time(raw_time), parse_value(raw_value)))
        except ValueProblem as exc:
            result.problems.append(f"{metric}: item [{index}] {exc}")


def extract(document, metrics: list[dict], *, now: datetime) -> FetchResult:
    """Points for every configured metric of an already parsed JSON document."""
    result = FetchResult()
    for entry in metrics:
        metric = str(entry.get("metric") or "")
        try:
            found = resolve(document, entry.get("path") or "")
            if isinstance(found, list):
                _points_from_list(metric, found, entry, result)
                continue
            if isinstance(found, dict):
                _points_from_list(metric, [found], entry, result)
                continue
            observed_at = now
            if entry.get("time_path"):
                observed_at = parse_time(resolve(document, entry["time_path"]))
            result.points.append(Point(metric, observed_at, parse_value(found)))
        except (PathError, ValueProblem) as exc:
            result.problems.append(f"{metric}: {exc}")
    return result


def pull(
    config: dict,
    *,
    now: datetime,
    secret_header: tuple[str, str] | None = None,
    **fetch_options,
) -> FetchResult:
    """Fetch the configured URL and extract its points."""
    url = str(config.get("url") or "").strip()
    secret_headers = {secret_header[0]: secret_header[1]} if secret_header else None
    response = fetch(url, secret_headers=secret_headers, **fetch_options)
    try:
        document = parsers.loads(response.content)
    except parsers.JSONTooDeep as exc:
        raise ConnectorError(f"{describe_url(response.url)} answered JSON {exc}.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConnectorError(
            f"{describe_url(response.url)} did not answer valid JSON "
            f"(content type {response.content_type or 'not given'})."
        ) from exc
    result = extract(document, config.get("metrics") or [], now=now)
    if not result.points and result.problems:
        # Nothing usable at all is a failed pull, so the source's health shows it.
        raise ConnectorError("No metric could be read: " + "; ".join(result.problems[:5]))
    return result
