"""What a production start requires: Slack, Google Chat, or both, and their secrets."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from bot.settings import (
    GChatSettings,
    GoogleSettings,
    Settings,
    SettingsError,
    SlackSettings,
    StorageSettings,
    check_production,
)

GOOGLE = GoogleSettings(client_id="id", client_secret=SecretStr("secret"))
STORAGE = StorageSettings(token_key=SecretStr("k"))
SLACK = SlackSettings(signing_secret=SecretStr("s"), bot_token=SecretStr("xoxb-1"))
CHAT = GChatSettings(audience="1234", service_account_info=SecretStr("{}"))


def _settings(**groups: Any) -> Settings:
    return Settings(_env_file=None, google=GOOGLE, storage=STORAGE, **groups)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "groups", [{"slack": SLACK}, {"gchat": CHAT}, {"slack": SLACK, "gchat": CHAT}]
)
def test_slack_alone_chat_alone_or_both_may_start(groups: dict[str, Any]) -> None:
    check_production(_settings(**groups))


def test_neither_platform_names_both_ways_to_fix_it() -> None:
    with pytest.raises(SettingsError) as err:
        check_production(_settings())
    assert "MEETBOT_SLACK_SIGNING_SECRET" in str(err.value)
    assert "MEETBOT_GCHAT_AUDIENCE" in str(err.value)


def test_chat_needs_a_service_account_to_post() -> None:
    with pytest.raises(SettingsError, match="MEETBOT_GCHAT_SERVICE_ACCOUNT_FILE"):
        check_production(_settings(gchat=GChatSettings(audience="1234")))


def test_slack_needs_a_token_or_an_oauth_client() -> None:
    slack = SlackSettings(signing_secret=SecretStr("s"))
    with pytest.raises(SettingsError, match="MEETBOT_SLACK_BOT_TOKEN"):
        check_production(_settings(slack=slack))
