"""axe-core (npm, vendored in node_modules by `npm ci`) injected into a Playwright page."""

from pathlib import Path

from tests.services import unavailable

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def serious_violations(page) -> list[dict]:
    """Run WCAG 2 A and AA rules on the page; return the serious and critical violations."""
    return [v for v in violations(page) if v["impact"] in SERIOUS]


def violations(page) -> list[dict]:
    """Run WCAG 2 A and AA rules on the page; return every violation, whatever its impact."""
    if not AXE.exists():
        unavailable(f"axe-core at {AXE} (run `npm ci`)")
    # Evaluated through the DevTools protocol rather than added as a <script> tag: our
    # Content-Security-Policy (rightly) refuses inline scripts, and the pages are checked
    # under the policy they really run with.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    result = page.evaluate(
        "async () => await axe.run(document, "
        "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
    ]
