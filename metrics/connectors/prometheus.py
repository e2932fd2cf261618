"""Prometheus connector: one PromQL query per metric, through the HTTP query API.

Source config::

    {
      "base_url": "https://prometheus.example.com",
      "step_seconds": 60,
      "queries": [
        {"metric": "p95_latency_ms",
         "query": "histogram_quantile(0.95, sum by (le) (rate(http_seconds_bucket[5m]))) * 1000"},
        {"metric": "error_rate",
         "query": "sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))"}
      ]
    }

Every pull evaluates each query at the pull time (`/api/v1/query`, "now"). When the
source has pulled successfully before, it also asks `/api/v1/query_range` for every
step since that last success, so an outage of the source or of our workers leaves no
gap. Range points sit on a grid of `step_seconds` counted from the Unix epoch, so pulls
that overlap produce the same timestamps and the ingest service stores them once. The
backfill is capped (30 days by default) and split into requests of at most 10,000
points, under Prometheus' limit of 11,000 points per series.

Each query must give one series (aggregate it with sum/max/avg otherwise).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from config import parsers
from metrics.connectors import ConnectorError, FetchResult, Point
from metrics.connectors.http import fetch, raise_for_status_code
from metrics.connectors.safety import UnsafeURL
from metrics.connectors.values import ValueProblem, parse_value

DEFAULT_STEP_SECONDS = 60
MIN_STEP_SECONDS = 1
MAX_STEP_SECONDS = 86_400
POINTS_PER_REQUEST = 10_000
DEFAULT_MAX_BACKFILL = timedelta(days=30)
_TRANSIENT_ERRORS = {"timeout", "unavailable", "canceled", "internal"}


def validate_config(config: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not str(config.get("base_url") or "").strip():
        errors.setdefault("base_url", []).append("Give the Prometheus base URL.")
    step = config.get("step_seconds", DEFAULT_STEP_SECONDS)
    if not isinstance(step, int) or not MIN_STEP_SECONDS <= step <= MAX_STEP_SECONDS:
        errors.setdefault("step_seconds", []).append(
            f"Give a whole number of seconds from {MIN_STEP_SECONDS} to {MAX_STEP_SECONDS}."
        )
    queries = config.get("queries")
    if not isinstance(queries, list) or not queries:
        errors.setdefault("queries", []).append("Name at least one metric and its query.")
        return errors
    for number, entry in enumerate(queries, start=1):
        if not isinstance(entry, dict) or not entry.get("metric") or not entry.get("query"):
            errors.setdefault("queries", []).append(f"Line {number}: give a metric and a query.")
    return errors


def _api(base_url: str, endpoint: str) -> str:
    # The endpoint goes at the end of the base URL's path; its query (a tenant, a key for
    # a proxy in front of Prometheus) is kept and sent with every call.
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/") + "/api/v1/" + endpoint
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _call(url: str, params: dict, metric: str, fetch_options: dict) -> dict:
    response = fetch(url, params=params, raise_for_status=False, **fetch_options)
    try:
        body = parsers.loads(response.content)
    except (UnicodeDecodeError, ValueError):  # JSONTooDeep included: not Prometheus
        body = None
    if not isinstance(body, dict):
        raise_for_status_code(response.status_code, response.url)
        raise ConnectorError("Prometheus did not answer JSON; check the base URL.")
    if body.get("status") != "success":
        error_type = str(body.get("errorType") or "error")
        detail = str(body.get("error") or "no detail")[:300]
        raise ConnectorError(
            f"Prometheus refused the query for {metric} ({error_type}): {detail}",
            transient=error_type in _TRANSIENT_ERRORS or response.status_code >= 500,
        )
    return body.get("data") or {}


def _one_series(data: dict, metric: str) -> dict | None:
    result = data.get("result")
    if data.get("resultType") == "scalar":
        return {"value": result}
    if not isinstance(result, list):
        raise ValueProblem("the answer has no result list")
    if not result:
        return None
    if len(result) > 1:
        raise ValueProblem(
            f"the query returned {len(result)} series; aggregate it to one, "
            "for example with max(...) or sum(...)"
        )
    return result[0]


def _grid(moment: datetime, step: int) -> int:
    return math.floor(moment.timestamp() / step) * step


def pull(
    config: dict,
    *,
    now: datetime,
    since: datetime | None = None,
    max_backfill: timedelta = DEFAULT_MAX_BACKFILL,
    secret_header: tuple[str, str] | None = None,
    **fetch_options,
) -> FetchResult:
    """Instant value of every query at `now`, plus range points since `since`."""
    base_url = str(config.get("base_url") or "").strip()
    step = int(config.get("step_seconds") or DEFAULT_STEP_SECONDS)
    if secret_header:
        fetch_options["secret_headers"] = {secret_header[0]: secret_header[1]}
    result = FetchResult()
    range_start = None
    if since is not None:
        earliest = now - max_backfill
        if since < earliest:
            result.problems.append(
                f"the last successful pull was {since:%Y-%m-%d %H:%M} UTC; "
                f"backfill starts at {earliest:%Y-%m-%d %H:%M} UTC (limit {max_backfill.days} days)"
            )
        range_start = _grid(max(since, earliest), step)
    end = _grid(now, step)
    for entry in config.get("queries") or []:
        metric, query = str(entry.get("metric") or ""), str(entry.get("query") or "")
        try:
            data = _call(
                _api(base_url, "query"),
                {"query": query, "time": now.timestamp()},
                metric,
                fetch_options,
            )
            series = _one_series(data, metric)
            if series is None:
                result.problems.append(f"{metric}: no sample in the last 5 minutes")
            else:
                stamp, raw = series["value"]
                result.points.append(
                    Point(metric, datetime.fromtimestamp(float(stamp), tz=UTC), parse_value(raw))
                )
            if range_start is None or range_start > end:
                continue
            chunk = step * (POINTS_PER_REQUEST - 1)
            start = range_start
            while start <= end:
                stop = min(start + chunk, end)
                data = _call(
                    _api(base_url, "query_range"),
                    {"query": query, "start": start, "end": stop, "step": step},
                    metric,
                    fetch_options,
                )
                series = _one_series(data, metric)
                for stamp, raw in (series or {}).get("values") or []:
                    try:
                        result.points.append(
                            Point(
                                metric,
                                datetime.fromtimestamp(float(stamp), tz=UTC),
                                parse_value(raw),
                            )
                        )
                    except ValueProblem as exc:
                        result.problems.append(f"{metric} at {stamp}: {exc}")
                start = stop + step
        except ValueProblem as exc:
            result.problems.append(f"{metric}: {exc}")
        except ConnectorError as exc:
            # One bad query must not hide the other metrics; an unreachable or unsafe
            # server, or a transient failure, fails the whole pull.
            if (
                exc.transient
                or isinstance(exc, UnsafeURL)
                or "refused the query" not in exc.message
            ):
                raise
            result.problems.append(exc.message)
    if not result.points:
        raise ConnectorError(
            "No metric could be read: " + ("; ".join(result.problems[:5]) or "no queries")
        )
    return result
