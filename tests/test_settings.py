"""Settings: defaults load, user files override, bad values are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore.errors import LeadscoreError
from leadscore.features.settings import DEFAULT_SETTINGS, load_settings


def _user(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "my-settings.yaml"
    path.write_text(text)
    return path


def test_defaults_load() -> None:
    settings = load_settings()
    assert settings.horizon_days == 90
    assert "NO" in settings.service_area  # quoted in YAML, or it would read as false
    assert settings.intent_signals["demo_request"].event_type == "demo_request"
    assert settings.titles.seniority[0].value == "student"


def test_user_file_overrides_and_merges_sections(tmp_path: Path) -> None:
    path = _user(tmp_path, "windows_days: [14, 3]\nicp:\n  employees: [10, 500]\n")
    settings = load_settings(path)
    assert settings.windows_days == (3, 14)
    assert settings.icp_employees == (10, 500)
    assert "software" in settings.icp_industries  # the rest of the section is kept
    assert settings.source == str(path)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "intent_signals:\n  webinar: {event_type: webinar_watched}\n",
            "'intent_signals.webinar.event_type' names unknown event type 'webinar_watched'",
        ),
        ("half_lives_days: [7, -3]\n", "'half_lives_days' must be a list of positive numbers"),
        ("windows_days: [0, 7]\n", "'windows_days' must be a positive whole number of days"),
        ("windos_days: [7]\n", "unknown setting(s) windos_days"),
        ("icp:\n  employes: [1, 2]\n", "unknown setting(s) icp.employes"),
        ("page_categories: [pricing, checkout]\n", "unknown page categories ['checkout']"),
        ("bands:\n  age: [50, 30]\n", "'bands.age' must be in increasing order"),
        ("email_domains:\n  education_patterns: ['(unclosed']\n", "invalid regular expression"),
        ("horizon_days: ninety\n", "'horizon_days' must be a positive whole number"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
    ids=[
        "unknown-event-type",
        "negative-half-life",
        "zero-window",
        "typo-key",
        "typo-nested",
        "unknown-page",
        "unordered-bands",
        "bad-regex",
        "text-horizon",
        "not-a-mapping",
    ],
)
def test_bad_settings_name_the_file_and_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(LeadscoreError) as caught:
        load_settings(_user(tmp_path, text))
    assert "my-settings.yaml" in str(caught.value)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("page_categories: [pricing, pricing]\n", "'page_categories' lists 'pricing' twice"),
        ("windows_days: [30, 7, 30]\n", "'windows_days' lists 30 twice"),
        ("account_event_windows_days: [7, 7]\n", "'account_event_windows_days' lists 7 twice"),
        ("half_lives_days: [30, 30.0000001]\n", "lists 30 and 30.0000001, which count as the same"),
        ("passive_event_types: [email_sent, email_sent]\n", "'passive_event_types' lists"),
        (
            "intent_signals:\n  p: {event_type: page_view, detail: [pricing, pricing]}\n",
            "'intent_signals.p.detail' lists 'pricing' twice",
        ),
        ("service_area: [DE, AT, DE]\n", "'service_area' lists 'DE' twice"),
        ("email_domains:\n  freemail: [gmx.de, gmx.de]\n", "'email_domains.freemail' lists"),
        ("email_domains:\n  education_patterns: [x, x]\n", "'email_domains.education_pat"),
        ("bands:\n  age: [30, 30, 50]\n", "'bands.age' lists 30 twice"),
    ],
)
def test_a_value_listed_twice_is_an_error_naming_the_key(
    tmp_path: Path, text: str, fragment: str
) -> None:
    with pytest.raises(LeadscoreError) as caught:
        load_settings(_user(tmp_path, text))
    assert "my-settings.yaml: setting" in str(caught.value)
    assert fragment in str(caught.value)
    assert "give each value once" in str(caught.value)


def test_a_range_may_hold_one_value(tmp_path: Path) -> None:
    assert load_settings(_user(tmp_path, "icp:\n  employees: [50, 50]\n")).icp_employees == (
        50,
        50,
    )


def test_features_reports_a_repeated_setting_without_a_traceback(tiny: Path) -> None:
    from typer.testing import CliRunner

    from leadscore.cli import app

    settings = _user(tiny.parent, "page_categories: [pricing, pricing]\n")
    out = tiny.parent / "out" / "training.parquet"
    result = CliRunner().invoke(
        app, ["features", "--data", str(tiny), "--settings", str(settings), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, LeadscoreError), result.exception
    assert "'page_categories' lists 'pricing' twice" in str(result.exception)
    assert not out.parent.exists()


def test_intent_signals_are_replaced_as_a_whole(tmp_path: Path) -> None:
    path = _user(tmp_path, "intent_signals:\n  webinar: {event_type: webinar_attended}\n")
    assert list(load_settings(path).intent_signals) == ["webinar"]


def test_bad_title_rules_are_named(tmp_path: Path) -> None:
    (tmp_path / "titles.yaml").write_text(
        "seniority:\n  - {level: boss, patterns: [chef]}\ndepartment: []\nvocabulary: []\n"
    )
    with pytest.raises(
        LeadscoreError, match=r"titles.yaml: setting 'seniority\[0\]' needs 'level'"
    ):
        load_settings(_user(tmp_path, "titles: titles.yaml\n"))


def test_missing_settings_file(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match="settings file not found"):
        load_settings(tmp_path / "nope.yaml")


def test_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match="given twice"):
        load_settings(_user(tmp_path, "burst_days: 14\nburst_days: 7\n"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("horizon_days: 100000000000000000000000\n", "'horizon_days' must be at most 3,660 days"),
        ("half_lives_days: [7, .inf]\n", "'half_lives_days' must be a list of positive numbers"),
        ("bands:\n  age: [1, 1" + "0" * 400 + "]\n", "'bands.age' must be a list of numbers"),
        ("bands:\n  age: [1, .nan]\n", "'bands.age' must be a list of numbers"),
        ("icp: 5\n", "setting 'icp' must be a section of settings"),
        ("icp:\n", "setting 'icp' must be a section of settings such as industries"),
        (
            "intent_signals:\n  demo: {event_type: demo_request, detail: [[pricing]]}\n",
            "'intent_signals.demo.detail' must be a list of text values, not [['pricing']]",
        ),
        (
            "intent_signals:\n  demo: {event_type: demo_request, detail: 5}\n",
            "'intent_signals.demo.detail' must be a list of text values",
        ),
        (
            "intent_signals:\n  demo: {event_type: [demo_request]}\n",
            "'intent_signals.demo.event_type' names unknown event type ['demo_request']",
        ),
        ("intent_signals:\n  demo: {event: demo_request}\n", "must give event_type"),
        ("titles: [a, b]\n", "'titles' must be the name of a YAML file"),
        ("email_domains:\n  education_patterns: [5]\n", "regular expressions as text, not 5"),
        ("1: x\nwindos: 2\n", "unknown setting(s) 1, windos"),
        ("horizon_days: '" + "x" * 5000 + "'\n", "whole number of days, not 'xxxxx"),
    ],
    ids=[
        "huge-days",
        "infinite-half-life",
        "huge-band-edge",
        "nan-band-edge",
        "section-as-number",
        "null-section",
        "nested-list-detail",
        "number-detail",
        "list-event-type",
        "signal-without-event-type",
        "titles-list",
        "number-pattern",
        "number-key",
        "long-value",
    ],
)
def test_hostile_settings_are_short_clear_errors(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(LeadscoreError) as caught:
        load_settings(_user(tmp_path, text))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'my-settings.yaml'}: ")
    assert fragment in message
    assert len(message) < 500 + len(str(tmp_path))  # never the whole value


def test_a_binary_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "my-settings.yaml"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(LeadscoreError, match=r"my-settings\.yaml: the settings file is not UTF-8"):
        load_settings(path)


def test_a_copy_of_the_shipped_file_loads_as_the_readme_says(tmp_path: Path) -> None:
    # "Copy the file, change what you need and pass it": its titles.yaml is the shipped one.
    copy = tmp_path / "my-settings.yaml"
    shipped = DEFAULT_SETTINGS.read_text(encoding="utf-8")
    copy.write_text(shipped.replace("burst_days: 14", "burst_days: 21"))
    settings = load_settings(copy)
    assert settings.burst_days == 21 and settings.titles == load_settings().titles
    (tmp_path / "titles.yaml").write_text("not: [valid")  # one of their own beside it wins
    with pytest.raises(LeadscoreError, match=r"titles\.yaml"):
        load_settings(copy)
