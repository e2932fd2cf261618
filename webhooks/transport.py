"""The one outbound POST of a webhook delivery, through the metric pulls' guard.

Every attempt vets the URL again (metrics.connectors.safety.check_url: DNS may have
changed since the subscription was created) and connects to the address it checked,
with the host name in Host and TLS SNI. Redirects are not followed (a receiver that
moved answers 3xx, which counts as a failure). Timeouts are short: the connection within
`connect_timeout`, the whole exchange within `timeout`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from metrics.connectors import ConnectorError
from metrics.connectors.http import pinned_request, ssl_context
from metrics.connectors.safety import Resolver, check_url, describe_url

USER_AGENT = "Pilotgate webhooks"
EXCERPT_CHARS = 1000
_READ_CAP = 8 * 1024


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    connect_timeout: float,
    timeout: float,
    resolver: Resolver | None = None,
) -> Outcome:
    """POST `body` to `url`; never raises for what the receiver or network does."""
    started = time.monotonic()

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = check_url(url, resolver=resolver)
    except ConnectorError as exc:
        return Outcome(None, elapsed_ms(), error=exc.message[:500])
    deadline = started + timeout
    send_headers = {
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        **headers,
    }
    with httpx.Client(
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        follow_redirects=False,
        trust_env=False,
        verify=ssl_context(),
    ) as client:
        request = pinned_request(
            client, url, send_headers, None, target, method="POST", content=body
        )
        try:
            response = client.send(request, stream=True)
        except httpx.TimeoutException:
            return Outcome(None, elapsed_ms(), error=f"{describe_url(url)} did not answer in time.")
        except httpx.HTTPError as exc:
            return Outcome(
                None,
                elapsed_ms(),
                error=f"Could not connect to {describe_url(url)} ({type(exc).__name__}).",
            )
        try:
            excerpt = _read_excerpt(response, deadline)
        except httpx.HTTPError as exc:
            return Outcome(
                response.status_code,
                elapsed_ms(),
                error=f"Reading the answer failed ({type(exc).__name__}).",
            )
        finally:
            response.close()
    return Outcome(response.status_code, elapsed_ms(), excerpt=excerpt)


def _read_excerpt(response: httpx.Response, deadline: float) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= _READ_CAP or time.monotonic() > deadline:
            break
    text = b"".join(chunks)[:_READ_CAP].decode("utf-8", errors="replace")
    return text[:EXCERPT_CHARS]
