"""Every page of the demo, as each demo role sees it, reads in plain language: no Python value
(`None`, `True`, `False`), no raw code of the models' choices (`on_hold`, `human_review`), no
metric key (`hallucination_rate`) where its catalog label belongs, and no "1 data sources".

Pages come from the browser walk's list (tests/browser/test_every_page.py) plus each role's
own pilot page; the Django test client fetches them (no browser needed). Visible text is the
page's text nodes outside <script>/<style>, and the attributes people read (aria-label,
title, alt, placeholder). Text in <code>, <pre> and <textarea> is what people type or copy
(a source's configuration, a PromQL query, the key to push data under): keys and codes
may appear there, Python values may not.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client, override_settings

from accounts.models import PilotRole, User
from metrics.models import MetricDefinition
from tests.browser.test_every_page import DEMO_PASSWORD, demo_pages

pytestmark = pytest.mark.django_db

ROLES = ["olivia", "oscar", "grace", "erin", "admin"]
# A value, not a word: "None" starting a sentence ("None set yet") is English.
PYTHON_VALUES = re.compile(r"(?<![\w'\"-])(None(?! [a-z])|True|False)(?![\w'\"-])")
# "1 data sources", "1 alerts": a count of one followed by a plural noun.
ONE_PLURAL = re.compile(
    r"(?<![\d.,])\b1 (?:[a-z]+ )?(alerts|pilots|sources|metrics|reviews|days|incidents|"
    r"waivers|criteria|conditions|snapshots|rows|files|hours|minutes|events|checks|stops)\b"
)
READ_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


HIDDEN = ("script", "style", "template")
LITERAL = ("code", "pre", "textarea", "kbd", "samp")


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.open = {tag: 0 for tag in HIDDEN + LITERAL}
        self.chunks: list[tuple[str, bool]] = []  # (text, is literal)

    def handle_starttag(self, tag, attrs):
        if tag in self.open:
            self.open[tag] += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.chunks.append((value.strip(), False))

    def handle_endtag(self, tag):
        if self.open.get(tag):
            self.open[tag] -= 1

    def handle_data(self, data):
        if any(self.open[tag] for tag in HIDDEN) or not data.strip():
            return
        literal = any(self.open[tag] for tag in LITERAL)
        self.chunks.append((" ".join(data.split()), literal))


def visible_text(html: str) -> list[tuple[str, bool]]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.chunks


def raw_codes() -> tuple[set[str], set[str]]:
    """Codes of every choices field in the project: (codes with an underscore, which never
    read as words, and one-word codes whose label is different, e.g. "open" for "Open")."""
    joined, words = set(), set()
    for model in apps.get_models():
        if model._meta.app_label not in {"accounts", "portfolio", "gates", "metrics"}:
            continue
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or ():
                if not isinstance(value, str) or not value or value == label:
                    continue
                (joined if "_" in value else words).add(value)
    return joined, words


def problems_in(chunks, *, joined: set[str], words: set[str], keys: set[str]):
    found = []
    for item in chunks:
        chunk, literal = item if isinstance(item, tuple) else (item, False)
        if PYTHON_VALUES.search(chunk):
            found.append(f"Python value in {chunk!r}")
        if literal:
            continue
        tokens = set(re.findall(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", chunk))
        for token in sorted(tokens & keys):
            found.append(f"metric key {token!r} in {chunk!r}")
        for token in sorted((tokens & joined) - keys):
            found.append(f"raw code {token!r} in {chunk!r}")
        if chunk in words:
            found.append(f"raw code {chunk!r} shown alone")
        if ONE_PLURAL.search(chunk):
            found.append(f"plural after one in {chunk!r}")
    return found


def test_the_checker_flags_what_it_should_and_not_ordinary_words():
    joined, words = {"on_hold", "human_review"}, {"open", "resolved"}
    keys = {"hallucination_rate"}
    bad = [
        "Resolved by None",
        "Confidential: True",
        "status on_hold",
        "hallucination_rate is lower is better",
        "open",
        "1 data sources",
    ]
    good = [
        "Nonetheless True-ish",
        "Open",
        "2 data sources",
        "1 data source",
        "Hallucination rate: lower is better",
        "None set yet",
        ("hallucination_rate | $.series", True),  # typed config, shown as code
    ]
    assert len(problems_in(bad, joined=joined, words=words, keys=keys)) == len(bad)
    assert problems_in(good, joined=joined, words=words, keys=keys) == []
    assert problems_in([("None", True)], joined=joined, words=words, keys=keys)


@override_settings(PILOTGATE_DEMO_PASSWORD=DEMO_PASSWORD)
def test_every_page_as_every_demo_role_reads_in_plain_language():
    call_command("seed_demo")
    joined, words = raw_codes()
    keys = set(MetricDefinition.objects.values_list("key", flat=True))
    pages = demo_pages()
    problems: list[str] = []
    fetched = 0
    for username in ROLES:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        own = PilotRole.objects.filter(user=user).order_by("pilot_id").first()
        paths = {page.path for page in pages if page.user}
        if own is not None:
            paths |= {f"/pilots/{own.pilot_id}/", f"/pilots/{own.pilot_id}/memo/"}
        # A pilot in its pilot stage: its next gate judges metrics (labels and reasons).
        trial = PilotRole.objects.filter(user=user, pilot__stage="pilot").order_by("pilot_id")
        if trial.exists():
            pilot_id = trial.first().pilot_id
            paths |= {f"/pilots/{pilot_id}/", f"/gates/pilots/{pilot_id}/request/"}
        for path in sorted(paths):
            response = client.get(path)
            if response.status_code in (403, 404):
                continue  # not this role's page
            assert response.status_code == 200, (username, path, response.status_code)
            fetched += 1
            html = response.content.decode()
            for problem in problems_in(visible_text(html), joined=joined, words=words, keys=keys):
                problems.append(f"{username} {path}: {problem}")
    assert fetched > len(pages) * 3
    assert problems == [], "\n".join(sorted(set(problems)))
