"""Static files as production and the embedded run (`make run`) serve them: built by
collectstatic with hashed names (cache-busting) and gzip/brotli copies, served by WhiteNoise
compressed and cacheable for a year."""

import gzip
import json
import re

import brotli
import pytest
from django.core.management import call_command

BUILT = "config.storage.BuiltStaticFilesStorage"
PLOTLY = "vendor/plotly-custom-4.1.1/plotly-custom.min.js"


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """One build for the module. The apps' own assets (admin, API docs) are left out: the
    build compresses every file with brotli, and ours are what the product pages load."""
    from django.test import override_settings

    root = tmp_path_factory.mktemp("staticfiles")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": BUILT},
    }
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command(
            "collectstatic",
            "--noinput",
            "-v",
            "0",
            "-i",
            "admin",
            "-i",
            "rest_framework",
            "-i",
            "drf_spectacular_sidecar",
        )
    return root


@pytest.fixture
def built(settings, static_root):
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": BUILT}}
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    return static_root


def test_the_build_names_files_by_their_content_and_keeps_compressed_copies(static_root):
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"][PLOTLY]
    assert re.fullmatch(
        r"vendor/plotly-custom-4\.1\.1/plotly-custom\.min\.[0-9a-f]{12}\.js", hashed
    )
    original = (static_root / hashed).read_bytes()
    assert gzip.decompress((static_root / f"{hashed}.gz").read_bytes()) == original
    assert brotli.decompress((static_root / f"{hashed}.br").read_bytes()) == original
    assert len((static_root / f"{hashed}.br").read_bytes()) < len(original) / 3


@pytest.mark.django_db
def test_pages_load_hashed_urls_which_are_served_compressed_and_cached_for_a_year(
    built, client_for, executive
):
    client = client_for(executive)
    html = client.get("/portfolio/").content.decode()
    scripts = re.findall(r'<script src="(/static/[^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="(/static/[^"]+)"', html)
    plotly = next(url for url in scripts if "plotly-custom" in url)
    assert all(re.search(r"\.[0-9a-f]{12}\.(js|css)$", url) for url in scripts + styles), (
        scripts + styles
    )

    for encoding, decompress in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        response = client.get(plotly, HTTP_ACCEPT_ENCODING=f"{encoding}, deflate")
        assert response.status_code == 200
        assert response["Content-Encoding"] == encoding
        assert "immutable" in response["Cache-Control"]
        assert int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1)) >= 31536000
        body = b"".join(response.streaming_content)
        assert len(body) < 600_000
        assert decompress(body) == (built / plotly.removeprefix("/static/")).read_bytes()

    # A client that takes no compression still gets the file.
    plain = client.get(plotly, HTTP_ACCEPT_ENCODING="identity")
    assert plain.status_code == 200 and "Content-Encoding" not in plain


@pytest.mark.django_db
def test_urls_are_hashed_under_debug_too_as_make_run_has_debug_on(built, settings):
    from django.templatetags.static import static

    settings.DEBUG = True
    assert re.fullmatch(r"/static/js/charts\.[0-9a-f]{12}\.js", static("js/charts.js"))


@pytest.mark.django_db
def test_unhashed_names_are_served_but_not_cached_forever(built, client_for, executive):
    """What a stale page might ask for is served, but not as immutable: its content changes."""
    client = client_for(executive)
    response = client.get(f"/static/{PLOTLY}", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "immutable" not in response.get("Cache-Control", "")
