"""manifest.yaml is valid against Slack's schema and matches what the code uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot.settings import SlackSettings

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests/fixtures/slack-manifest-schema/manifest.schema.1.0.0.json"


def _manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    return loaded


def _errors(doc: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    return [e.message for e in validator.iter_errors(doc)]


def test_manifest_is_valid() -> None:
    assert _errors(_manifest()) == []


def test_the_schema_rejects_a_broken_manifest() -> None:
    doc = _manifest()
    doc["features"]["slash_commands"][0]["command"] = "meet"  # no leading slash
    doc["settings"]["no_such_setting"] = True
    assert len(_errors(doc)) >= 2


def test_manifest_matches_the_code() -> None:
    doc = _manifest()
    commands = {c["command"] for c in doc["features"]["slash_commands"]}
    assert commands == {"/meet"}
    assert set(doc["oauth_config"]["scopes"]["bot"]) == set(SlackSettings().scopes)
    events = set(doc["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "app_uninstalled", "tokens_revoked"} <= events
    assert doc["settings"]["interactivity"]["is_enabled"] is True
    urls = [
        doc["features"]["slash_commands"][0]["url"],
        doc["settings"]["event_subscriptions"]["request_url"],
        doc["settings"]["interactivity"]["request_url"],
    ]
    assert all(u.endswith("/slack/events") for u in urls)
    assert doc["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
