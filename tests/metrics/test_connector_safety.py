"""SSRF refusals: every class of internal address, schemes, allow-list, rebinding."""

import ipaddress

import pytest

from metrics.connectors.safety import UnsafeURL, check_url, describe_url, refusal_reason


def no_dns(host, port):
    raise AssertionError(f"no DNS lookup expected for {host}")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://127.8.9.10:9090/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://[fd00::1]/", "private"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://[::ffff:127.0.0.1]/", "embedded in IPv6"),
        ("http://[::ffff:10.0.0.1]/", "embedded in IPv6"),
        ("http://[64:ff9b::a9fe:a9fe]/", "embedded in IPv6"),
        ("http://[2002:7f00:1::1]/", "embedded in IPv6"),
        ("http://100.64.0.1/", "not a public address"),
    ],
)
def test_internal_addresses_are_refused(url, reason):
    with pytest.raises(UnsafeURL) as caught:
        check_url(url, allow_hosts=[], resolver=no_dns)
    assert reason in caught.value.message
    assert caught.value.transient is False


def test_localhost_is_refused_after_resolution():
    # localhost resolves from /etc/hosts: no outside DNS involved.
    with pytest.raises(UnsafeURL, match="loopback"):
        check_url("http://localhost:9090/", allow_hosts=[])


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f000001/", "http://127.1/"])
def test_odd_spellings_of_loopback_are_refused(url):
    # The C library reads these as numbers (no DNS query) and they are checked as such.
    with pytest.raises(UnsafeURL, match="loopback"):
        check_url(url, allow_hosts=[])


def test_a_name_resolving_to_any_internal_address_is_refused():
    def resolver(host, port):
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(UnsafeURL, match="private"):
        check_url("https://metrics.example.com/", allow_hosts=[], resolver=resolver)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1:6379/", "javascript:1"],
)
def test_other_schemes_are_refused(url):
    with pytest.raises(UnsafeURL, match="Only http and https"):
        check_url(url, allow_hosts=[], resolver=no_dns)


def test_url_without_host_is_refused():
    with pytest.raises(UnsafeURL, match="no host"):
        check_url("http:///path", allow_hosts=[], resolver=no_dns)


def test_public_address_is_allowed_and_pinned():
    target = check_url(
        "https://Metrics.Example.com:8443/x",
        allow_hosts=[],
        resolver=lambda host, port: ["93.184.215.14"],
    )
    assert (target.scheme, target.host, target.port, target.ip) == (
        "https",
        "metrics.example.com",
        8443,
        "93.184.215.14",
    )


def test_allow_listed_host_may_be_internal():
    target = check_url("http://localhost:9090/", allow_hosts=["LOCALHOST"])
    assert target.allow_listed and ipaddress.ip_address(target.ip).is_loopback


def test_allow_list_comes_from_settings(settings):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    assert check_url("http://127.0.0.1:9090/", resolver=no_dns).allow_listed
    with pytest.raises(UnsafeURL):
        check_url("http://127.0.0.2:9090/", resolver=no_dns)


def test_public_addresses_have_no_refusal_reason():
    for address in ("8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"):
        assert refusal_reason(ipaddress.ip_address(address)) is None


def test_messages_never_show_credentials_or_query():
    assert (
        describe_url("https://user:pw@example.com:8443/api/v1?token=abc#x")
        == "https://example.com:8443/api/v1"
    )
