"""Plotly.js's stylesheet is served as a static file (bin/plotly_css.py), so the CSP can
forbid inline styles without the charts losing plotly's rules."""

import importlib.util
import re
from pathlib import Path

import pytest

from tests.services import require_binary, unavailable

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("plotly_css", ROOT / "bin" / "plotly_css.py")
plotly_css = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plotly_css)


def test_the_stylesheet_and_its_include_match_the_vendored_bundle(capsys):
    assert plotly_css.main(["--check"]) == 0, capsys.readouterr().err


MAPLIBRE = (
    'if(!document.getElementById("abc123")){var e=document.createElement("style");'
    "e.id=\"abc123\",e.textContent='.maplibregl-map{font:12px}',document.head.appendChild(e)}"
)
GLOBAL = 'n||(n=document.createElement("style"),n.setAttribute("id",i))'


def test_maplibres_stylesheet_gets_a_placeholder_with_its_id():
    ids = plotly_css.injected_ids(GLOBAL + MAPLIBRE)
    assert ids == ["abc123"]
    html = plotly_css.include("9.9.9", ids)
    assert "vendor/plotly-9.9.9/plotly.css" in html
    assert '<template id="abc123"></template>' in html


@pytest.mark.parametrize(
    "bundle",
    [
        GLOBAL + MAPLIBRE.replace(".maplibregl-map", ".some-widget"),  # not MapLibre's
        GLOBAL + MAPLIBRE + 'var s=document.createElement("style");',  # without an id
    ],
)
def test_a_stylesheet_the_script_does_not_know_fails_loudly(bundle):
    with pytest.raises(SystemExit, match="does not know|unknown stylesheet"):
        plotly_css.injected_ids(bundle)


def test_the_stylesheet_keeps_plotlys_rules_in_its_sheet_order():
    bundle = (
        'var a=1,T={"X,X div":"margin:0;","X .modebar":"position:absolute;",'
        "Y:'top:50px;',\"Y p\":'margin:0;'};"
        'for(k in T)s=k.replace(/^,/," ,").replace(/X/g,".js-plotly-plot .plotly")'
        '.replace(/Y/g,".plotly-notifier"),l.addStyleRule(s,T[k]);'
    )
    css = plotly_css.stylesheet(bundle, "9.9.9")
    assert css.splitlines()[2:] == [
        ".plotly-notifier p {margin:0;}",
        ".plotly-notifier {top:50px;}",
        ".js-plotly-plot .plotly .modebar {position:absolute;}",
        ".js-plotly-plot .plotly,.js-plotly-plot .plotly div {margin:0;}",
    ]


def test_a_bundle_without_the_rules_fails_loudly():
    with pytest.raises(SystemExit, match="not found"):
        plotly_css.stylesheet("var nothing=1;", "9.9.9")


@pytest.mark.django_db
def test_chart_pages_link_the_stylesheet_of_the_plotly_they_load(client_for, executive):
    html = client_for(executive).get("/portfolio/").content.decode()
    # Hashed names (plotly-custom.min.<hash>.js) when the static files are built.
    scripts = re.findall(r'src="[^"]*vendor/(plotly-[a-z-]*[\d.]+)/(plotly[^"/]*\.js)"', html)
    link = re.search(
        r'<link rel="stylesheet" href="[^"]*vendor/(plotly-[a-z-]*[\d.]+)/plotly[^"/]*\.css"\s+'
        r'id="plotly\.js-style-global" class="no-inline-styles">',
        html,
    )
    assert link is not None and {folder for folder, _ in scripts} == {link.group(1)}
    assert (ROOT / "static" / "vendor" / link.group(1) / "plotly.css").is_file()
    # ...and it comes before plotly.js, which looks for it as it loads.
    assert html.index(link.group(0)) < html.index(scripts[0][1])


def test_the_vendored_plotly_is_the_version_the_python_package_targets():
    """Figures are built against plotly.py's schema; the browser must run the same plotly.js."""
    from plotly.offline import get_plotlyjs_version

    folder, *others = sorted((ROOT / "static" / "vendor").glob("plotly-*"))
    assert not others
    (bundle,) = folder.glob("*.min.js")
    assert plotly_css.bundle_version(bundle.read_text(encoding="utf-8")) == get_plotlyjs_version()
    assert "MIT License" in (folder / "LICENSE").read_text(encoding="utf-8")


def test_the_vendored_bundle_is_a_custom_one_with_only_the_trace_types_we_draw():
    """bin/build_plotly.js bundles plotly.js's core (with scatter) and the trace modules the
    charts use: about 1.2 MB, where the cartesian partial bundle was 1.5 and the full 4.8."""
    from dashboard import charts

    (bundle,) = (ROOT / "static" / "vendor").glob("plotly-custom-*/plotly-custom.min.js")
    assert bundle.stat().st_size < 1_300_000
    header = bundle.read_text(encoding="utf-8")[:400]
    assert "(custom - minified)" in header
    # V8's compile hint (bin/build_plotly.js) only counts on the file's first line.
    assert header.startswith("//# allFunctionsCalledOnLoad\n")
    built = set(re.search(r"Traces: ([\w, ]+)\.", header).group(1).split(", "))
    drawn = set(re.findall(r'_trace\(\s*"(\w+)"', Path(charts.__file__).read_text()))
    # Every type the charts draw is in the bundle, and the bundle holds nothing else.
    assert drawn and drawn == built, (drawn, built)
    script = (ROOT / "bin" / "build_plotly.js").read_text(encoding="utf-8")
    listed = re.search(r"const TRACES = \[([^\]]*)\]", script).group(1)
    assert set(re.findall(r'"(\w+)"', listed)) | {"scatter"} == built


def test_the_vendored_bundle_is_what_build_plotly_js_builds(tmp_path):
    """The committed bundle is the script's output, byte for byte, from the pinned npm
    packages (CI installs them with npm ci): nobody edited or hand-built it."""
    import subprocess

    node = require_binary("node")
    if not (ROOT / "node_modules" / "plotly.js" / "package.json").is_file():
        unavailable("npm packages (npm ci)")
    subprocess.run(  # noqa: S603
        [node, str(ROOT / "bin" / "build_plotly.js"), str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (folder,) = (ROOT / "static" / "vendor").glob("plotly-custom-*")
    for name in ("plotly-custom.min.js", "LICENSE"):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_the_npm_plotly_the_bundle_is_built_from_is_pinned_to_the_vendored_version():
    import json

    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    (folder,) = (ROOT / "static" / "vendor").glob("plotly-*")
    assert folder.name == f"plotly-custom-{package['devDependencies']['plotly.js']}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["devDependencies"]["esbuild"])
