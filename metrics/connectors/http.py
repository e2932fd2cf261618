"""The one outbound HTTP call every pull connector makes.

`fetch` vets the URL (safety.check_url), connects to the checked address with the real
host name in the Host header and TLS SNI (so certificates are verified against the name),
follows at most a few redirects and vets each new target the same way, applies a timeout
to every phase plus an overall deadline, and stops reading once the body passes
`max_bytes`. Proxies from the environment are ignored: a proxy would resolve the name
itself and undo the pinning.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

import httpx

from metrics.connectors import ConnectorError
from metrics.connectors.safety import DEFAULT_PORTS, Resolver, UnsafeURL, check_url, describe_url

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "Pilotgate metric puller"
_REDIRECTS = {301, 302, 303, 307, 308}


@lru_cache(maxsize=1)
def ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~0.1 s; one verifying context serves every pull.
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class FetchedResponse:
    url: str
    status_code: int
    content: bytes
    content_type: str


def _limits() -> tuple[float, int]:
    from django.conf import settings

    return (
        float(getattr(settings, "PILOTGATE_PULL_TIMEOUT_SECONDS", DEFAULT_TIMEOUT)),
        int(getattr(settings, "PILOTGATE_PULL_MAX_BYTES", DEFAULT_MAX_BYTES)),
    )


def with_params(url: str, params: dict | None) -> httpx.URL:
    """`url` with `params` appended to the query it already has, byte for byte.

    httpx.URL(url, params=...) replaces the query (even with params=None), and merging
    through QueryParams re-encodes it (`%20` becomes `+`, repeated keys may reorder), so
    the URL's own query is kept as typed and the extra parameters are added after it.
    """
    original = httpx.URL(url)
    if not params:
        return original
    extra = str(httpx.QueryParams(params)).encode("ascii")
    query = original.query + b"&" + extra if original.query else extra
    return original.copy_with(query=query)


def pinned_request(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    params,
    target,
    *,
    method: str = "GET",
    content: bytes | None = None,
) -> httpx.Request:
    """A request to the checked address (`target.ip`) that names the host in Host and SNI.
    Also used by outbound webhooks (webhooks/transport.py) with method="POST"."""
    original = with_params(url, params)
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    if target.port != DEFAULT_PORTS[target.scheme]:
        host_header = f"{host_header}:{target.port}"
    return client.build_request(
        method,
        original.copy_with(host=target.ip),
        headers={**headers, "Host": host_header},
        content=content,
        extensions={"sni_hostname": target.host},
    )


def fetch(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    secret_headers: dict[str, str] | None = None,
    params: dict | None = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
    allow_hosts=None,
    resolver: Resolver | None = None,
    raise_for_status: bool = True,
) -> FetchedResponse:
    """GET `url` safely. `secret_headers` are sent only to the URL's own host.

    Raises ConnectorError (transient for timeouts, connection failures, 429 and 5xx).
    With raise_for_status=False an error status is returned for the caller to read.
    """
    default_timeout, default_max = _limits()
    timeout = default_timeout if timeout is None else timeout
    max_bytes = default_max if max_bytes is None else max_bytes
    deadline = time.monotonic() + timeout * 2
    first_host = None
    current = url
    with httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        verify=ssl_context(),
    ) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            target = check_url(current, allow_hosts=allow_hosts, resolver=resolver)
            first_host = first_host or (target.host, target.port)
            send_headers = {
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                **(headers or {}),
            }
            # Like browsers dropping Authorization: a redirect elsewhere never gets the secret.
            if secret_headers and (target.host, target.port) == first_host:
                send_headers.update(secret_headers)
            request = pinned_request(client, current, send_headers, params, target)
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise ConnectorError(
                    f"{describe_url(current)} did not answer within {timeout:g} s.", transient=True
                ) from exc
            except httpx.HTTPError as exc:
                raise ConnectorError(
                    f"Could not connect to {describe_url(current)} ({type(exc).__name__}).",
                    transient=True,
                ) from exc
            try:
                if response.status_code in _REDIRECTS and response.headers.get("location"):
                    current = urljoin(current, response.headers["location"])
                    params = None  # the Location already carries its own query
                    continue
                content = _read_capped(response, current, max_bytes, deadline, timeout)
            finally:
                response.close()
            if raise_for_status:
                raise_for_status_code(response.status_code, current)
            return FetchedResponse(
                url=current,
                status_code=response.status_code,
                content=content,
                content_type=response.headers.get("content-type", ""),
            )
    raise UnsafeURL(f"{describe_url(url)} redirected more than {MAX_REDIRECTS} times.")


def _read_capped(
    response: httpx.Response, url: str, max_bytes: int, deadline: float, timeout: float
) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ConnectorError(
            f"{describe_url(url)} answered {int(declared):,} bytes; the limit is {max_bytes:,}."
        )
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise ConnectorError(
                    f"{describe_url(url)} answered more than {max_bytes:,} bytes; "
                    "reading stopped there."
                )
            if time.monotonic() > deadline:
                # A server dripping bytes slowly never trips the per-read timeout.
                raise ConnectorError(
                    f"{describe_url(url)} took longer than {timeout * 2:g} s to answer.",
                    transient=True,
                )
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise ConnectorError(
            f"{describe_url(url)} stopped sending within {timeout:g} s.", transient=True
        ) from exc
    except httpx.HTTPError as exc:
        raise ConnectorError(
            f"Reading from {describe_url(url)} failed ({type(exc).__name__}).", transient=True
        ) from exc
    return b"".join(chunks)


def raise_for_status_code(status: int, url: str) -> None:
    if status < 400:
        return
    transient = status >= 500 or status in (408, 429)
    hint = ""
    if status in (401, 403):
        hint = " Check the secret header."
    elif status == 404:
        hint = " Check the URL."
    raise ConnectorError(f"{describe_url(url)} answered HTTP {status}.{hint}", transient=transient)
