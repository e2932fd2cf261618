"""SSRF from the attacker's side: every way to spell "our own network" in a pull URL.

The guard is metrics/connectors/safety.py (check_url) and http.fetch, which vets every
redirect hop. A metric source's URL is typed by a pilot owner, so these are inputs any
contributor can send.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from metrics.connectors import http
from metrics.connectors.safety import UnsafeURL, check_url, system_resolver


def public_resolver(mapping: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host in mapping:
            return mapping[host]
        return system_resolver(host, port)

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        # IPv6 spellings of loopback and of IPv4 internals
        "http://[::1]/",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[0:0:0:0:0:ffff:7f00:0001]/",
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[fd00:ec2::254]/",  # AWS metadata over IPv6 (unique local)
        # IPv4 in decimal, octal, hex and short forms (the C resolver accepts them all)
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.0.0.1/",
        "http://0x7f000001/",
        "http://017700000001/",
        "http://127.1/",
        "http://127.0.1/",
        "http://0/",
        "http://0.0.0.0/",
        "http://2852039166/",  # 169.254.169.254
        "http://0xa9fea9fe/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/",  # shared address space (a cloud's metadata)
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        # names and URL tricks
        "http://localhost/",
        "http://LOCALHOST./",
        "http://localhost:6379/",
        "http://example.com@127.0.0.1/",
        "http://127.0.0.1#@example.com/",
        "https://[::1]:443/",
    ],
)
def test_internal_targets_are_refused(url):
    with pytest.raises(UnsafeURL):
        check_url(url, allow_hosts=())


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "ftp://example.com/", "dict://x/"],
)
def test_schemes_other_than_http_are_refused(url):
    with pytest.raises(UnsafeURL):
        check_url(url, allow_hosts=())


@pytest.mark.parametrize(
    "answers",
    [["127.0.0.1"], ["::1"], ["93.184.216.34", "127.0.0.1"], ["10.1.2.3"], ["::ffff:10.0.0.1"]],
)
def test_a_dns_name_resolving_to_an_internal_address_is_refused(answers):
    resolver = public_resolver({"metrics.attacker.example": answers})
    with pytest.raises(UnsafeURL):
        check_url("https://metrics.attacker.example/q", allow_hosts=(), resolver=resolver)


def test_the_connection_goes_to_the_address_that_was_checked():
    """DNS rebinding: the second lookup would say 127.0.0.1, but there is none."""
    calls = []

    def rebinding(host, port):
        calls.append(host)
        return ["93.184.216.34"] if len(calls) == 1 else ["127.0.0.1"]

    target = check_url("https://metrics.attacker.example/", allow_hosts=(), resolver=rebinding)
    assert target.ip == "93.184.216.34" and len(calls) == 1


class _Redirector(BaseHTTPRequestHandler):
    location = ""
    secrets_seen: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        type(self).secrets_seen.append(self.headers.get("X-Api-Key"))
        self.send_response(302)
        self.send_header("Location", type(self).location)
        self.end_headers()


@pytest.fixture
def redirector():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/internal",
        "http://localhost:{port}/internal",
        "http://[::1]:{port}/internal",
        "http://2130706433:{port}/internal",
        "http://169.254.169.254/latest/meta-data/",
        "http://internal.attacker.example:{port}/",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_from_an_allowed_host_to_an_internal_one_is_refused(redirector, location):
    port = redirector.server_address[1]
    _Redirector.location = location.format(port=port)
    _Redirector.secrets_seen = []
    # The operator allow-listed `metrics.partner.example` (it happens to be local here);
    # the redirect target is not allow-listed and must be vetted on its own.
    resolver = public_resolver(
        {"metrics.partner.example": ["127.0.0.1"], "internal.attacker.example": ["127.0.0.1"]}
    )
    with pytest.raises(UnsafeURL):
        http.fetch(
            f"http://metrics.partner.example:{port}/start",
            secret_headers={"X-Api-Key": "s3cret"},
            allow_hosts=("metrics.partner.example",),
            resolver=resolver,
            timeout=5,
        )
    assert _Redirector.secrets_seen == ["s3cret"]  # only the first, allowed hop got it


def test_public_address_is_still_allowed():
    target = check_url("https://93.184.216.34/metrics", allow_hosts=())
    assert target.ip == "93.184.216.34"
