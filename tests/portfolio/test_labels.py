"""The label filters pages use instead of printing codes and raw dictionaries."""

from portfolio.templatetags.labels import result_label, stage_label, status_label


def test_codes_read_as_words():
    assert stage_label("readiness") == "Readiness"
    assert status_label("on_hold") == "On hold"
    assert result_label("missing") == "No data"
    assert stage_label("") == ""
