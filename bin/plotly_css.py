#!/usr/bin/env python3
"""Serve plotly.js's stylesheet as a file, so our CSP need not allow inline styles.

When it loads, plotly.js adds its rules (hover labels, mode bar, notifier) to a <style>
element it creates, which our Content-Security-Policy (style-src 'self') blocks. It skips
that when the page already has an element with id "plotly.js-style-global" and class
"no-inline-styles" (plotly/plotly.js#7109), so the pages link the same rules as a static
file under that id. plotly.js stopped shipping that file with its esbuild builds
(plotly/plotly.js#7543), so this script makes it from the rules in the bundle.

The bundle also carries MapLibre's stylesheet (for map traces), which it adds as a <style>
unless an element with that stylesheet's id exists. Pilotgate draws no maps, so an empty
<template> with that id stands in for it; a page that draws maps would link the CSS
under that id instead.

    python bin/plotly_css.py            # (re)write plotly.css and the template below
    python bin/plotly_css.py --check    # exit 1 if either differs from the bundle

Outputs: static/vendor/plotly-<bundle>-<version>/plotly.css,
templates/includes/plotly_styles.html (the <link> and placeholders, included by
templates/base.html before plotly.js loads) and templates/includes/plotly_script.html (the
<script> tag of the pages that draw charts). Run it after upgrading plotly.js (make
vendor-plotly does both); tests/test_plotly_css.py fails until then.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor"
INCLUDE = ROOT / "templates" / "includes" / "plotly_styles.html"
SCRIPT_INCLUDE = ROOT / "templates" / "includes" / "plotly_script.html"

# The loop that adds the rules: for(k in TABLE)sel=k.replace(/^,/," ,")
#   .replace(/X/g,"<graph selector>").replace(/Y/g,"<notifier selector>"),...addStyleRule(...)
_LOOP = re.compile(
    r'for\((?P<key>\w+) in (?P<table>\w+)\)\w+=(?P=key)\.replace\(/\^,/," ,"\)'
    r'\.replace\(/X/g,"(?P<x>[^"]+)"\)\.replace\(/Y/g,"(?P<y>[^"]+)"\)'
)
# A string literal, or a key the minifier left unquoted (Y:...).
# A stylesheet the bundle adds once under a fixed id: if(!document.getElementById("ID"))
#   {var e=document.createElement("style");e.id="ID",e.textContent='...'
_INJECTED = re.compile(
    r'if\(!document\.getElementById\("(?P<id>[^"]+)"\)\)\{var (?P<var>\w+)='
    r'document\.createElement\("style"\);(?P=var)\.id="(?P=id)",(?P=var)\.textContent=["\']'
)
_STRING = re.compile(r'"([^"\\]*)"|\'([^\'\\]*)\'|([A-Za-z_$][\w$]*)(?=:)')


def _strings(literal: str) -> list[str]:
    """Keys and values of a JS object literal of strings, in order."""
    out, pos = [], 1
    while True:
        match = _STRING.match(literal, pos)
        if match is None:
            raise SystemExit(f"plotly_css: cannot read the rules near {literal[pos : pos + 60]!r}")
        out.append(next(group for group in match.groups() if group is not None))
        pos = match.end()
        separator = literal[pos]
        if separator == "}":
            return out
        if separator not in ",:":
            raise SystemExit(f"plotly_css: unexpected {separator!r} in the rules")
        pos += 1


def stylesheet(bundle: str, version: str) -> str:
    """The CSS plotly.js would insert, in the order its sheet ends up with."""
    loop = _LOOP.search(bundle)
    if loop is None:
        raise SystemExit("plotly_css: the style rules were not found in the bundle")
    start = bundle.rindex(loop["table"] + "={", 0, loop.start()) + len(loop["table"]) + 1
    end = bundle.index("}", start)
    if "\\" in bundle[start:end]:
        raise SystemExit("plotly_css: escapes in the rules; teach this script to read them")
    items = _strings(bundle[start : end + 1])
    rules = []
    for key, body in zip(items[::2], items[1::2], strict=True):
        selector = re.sub(r"^,", " ,", key).replace("X", loop["x"]).replace("Y", loop["y"])
        rules.append(f"{selector} {{{body}}}")
    # Each rule is inserted at index 0, so the sheet holds them in reverse: keep that
    # order, as the cascade between rules of equal specificity depends on it.
    header = (
        f"/* plotly.js v{version} stylesheet (MIT licence, Plotly, Inc.), made from\n"
        " * the vendored bundle by bin/plotly_css.py; do not edit. */\n"
    )
    return header + "\n".join(reversed(rules)) + "\n"


def injected_ids(bundle: str) -> list[str]:
    """Ids of the other stylesheets the bundle adds; only MapLibre's is expected."""
    ids = []
    for match in _INJECTED.finditer(bundle):
        if not bundle.startswith(".maplibregl", match.end()):
            raise SystemExit(
                f"plotly_css: the bundle adds an unknown stylesheet {match['id']}; decide "
                "whether the pages need it (link it) or not (placeholder) and teach this script"
            )
        ids.append(match["id"])
    if bundle.count('createElement("style")') != len(ids) + 1:
        raise SystemExit("plotly_css: the bundle adds a <style> this script does not know")
    return ids


_INCLUDE_HEAD = """\
{% load static %}{# Made by bin/plotly_css.py from plotly.js vVERSION; do not edit. #}
{# Before plotly.js loads: its rules as a file, so it adds no inline <style>. #}
<link rel="stylesheet" href="{% static 'vendor/FOLDER/plotly.css' %}"
      id="plotly.js-style-global" class="no-inline-styles">
"""


def include(version: str, ids: list[str], folder: str | None = None) -> str:
    text = _INCLUDE_HEAD.replace("VERSION", version).replace(
        "FOLDER", folder or f"plotly-{version}"
    )
    if ids:
        text += "{# MapLibre's stylesheet is for map traces, which we do not draw. #}\n"
    return text + "".join(f'<template id="{id_}"></template>\n' for id_ in ids)


def outputs() -> dict[Path, str]:
    folders = sorted(VENDOR.glob("plotly-*"))
    if len(folders) != 1:
        raise SystemExit(f"plotly_css: expected one static/vendor/plotly-*, found {len(folders)}")
    folder = folders[0]
    bundles = sorted(folder.glob("*.min.js"))
    if len(bundles) != 1:
        raise SystemExit(f"plotly_css: expected one .min.js in {folder}, found {len(bundles)}")
    bundle = bundles[0].read_text(encoding="utf-8")
    version = bundle_version(bundle)
    if not folder.name.endswith(f"-{version}"):
        raise SystemExit(f"plotly_css: {folder.name} holds plotly.js v{version}; rename it")
    return {
        folder / "plotly.css": stylesheet(bundle, version),
        INCLUDE: include(version, injected_ids(bundle), folder.name),
        SCRIPT_INCLUDE: script_include(version, f"vendor/{folder.name}/{bundles[0].name}"),
    }


def script_include(version: str, path: str) -> str:
    """The one <script> tag that loads plotly.js, for the pages that draw charts."""
    return (
        f"{{% load static %}}{{# Made by bin/plotly_css.py from plotly.js v{version}; "
        "do not edit. #}\n"
        f"<script src=\"{{% static '{path}' %}}\" defer></script>\n"
    )


def bundle_version(bundle: str) -> str:
    """The version in the bundle's licence header: "plotly.js (custom - minified) v4.1.1",
    after the compile hint our build puts on the first line (bin/build_plotly.js)."""
    match = re.match(
        r"(?://# allFunctionsCalledOnLoad\n)?"
        r"/\*\*\s*\*\s*plotly\.js\b[^\n]*? v(\d+\.\d+\.\d+)",
        bundle,
    )
    if match is None:
        raise SystemExit("plotly_css: no plotly.js version in the bundle's header")
    return match.group(1)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    status = 0
    for target, text in outputs().items():
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if check:
            print(f"{target} is out of date: run python bin/plotly_css.py", file=sys.stderr)
            status = 1
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
