"""The seam through which apps above gates add criteria to a pilot's gate evaluation.

Gates imports no app above it. An app that has more to ask of a pilot at a gate (the
regulation app: the EU AI Act profile and the obligations it brings) registers a provider
here from its AppConfig.ready(). `gates.selectors.pilot_criteria` appends what each provider
returns to the gate's own criteria, so live evaluations, review requests and waivers all see
the same list, and the engine checks them like any other criterion.
"""

from __future__ import annotations

from collections.abc import Callable

from gates import engine

# (pilot, gate) -> extra criteria for that pilot at that gate. A provider checks nothing about
# the viewer: the caller has already made sure the pilot is visible.
CRITERIA_PROVIDERS: list[Callable[..., list[engine.Criterion]]] = []


def extra_criteria(*, pilot, gate) -> list[engine.Criterion]:
    return [c for provide in CRITERIA_PROVIDERS for c in provide(pilot=pilot, gate=gate)]
