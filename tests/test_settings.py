"""Settings: every one is documented in the README, and read from its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from policy_search import settings

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_in_the_readme(setting):
    text = README.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("|") and f"`{setting.env}`" in line]
    assert rows, f"README.md does not document {setting.name} ({setting.env}) in the configuration table"
    assert rows[0].split("|")[1].strip() == setting.name


def test_names_and_variables_are_unique():
    assert len({s.name for s in settings.SETTINGS}) == len(settings.SETTINGS)
    assert len({s.env for s in settings.SETTINGS}) == len(settings.SETTINGS)
    assert all(s.env.startswith("POLICY_SEARCH_") and s.help for s in settings.SETTINGS)


def test_values_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_MAX_BODY_BYTES", "1234")
    assert settings.get_int("max_body_bytes") == 1234
    monkeypatch.setenv("POLICY_SEARCH_RELOAD_SECONDS", "0.5")
    assert settings.get_float("reload_seconds") == 0.5
    monkeypatch.setenv("POLICY_SEARCH_RELOAD_SECONDS", "soon")
    with pytest.raises(ValueError, match="POLICY_SEARCH_RELOAD_SECONDS"):
        settings.get_float("reload_seconds")
    monkeypatch.delenv("POLICY_SEARCH_API_KEY", raising=False)
    assert settings.get("api_key") == ""
