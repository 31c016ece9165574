"""What a production start requires: Slack, Google Chat, or both, and their secrets."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from bot.settings import (
    GChatSettings,
    GoogleSettings,
    HttpSettings,
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


TOKEN = SecretStr("xoxb-1")
SECRET = SecretStr("s")
APP = SecretStr("xapp-1-A-1-x")


@pytest.mark.parametrize(
    ("slack", "gchat", "public_url", "line"),
    [
        (SlackSettings(bot_token=TOKEN), None, None, "Slack over HTTP needs MEETBOT_SLACK_SIGNING"),
        (
            SlackSettings(app_token=SecretStr("xoxb-not-an-app-token"), bot_token=TOKEN),
            None,
            None,
            "Socket Mode needs an app-level token (xapp-...) in MEETBOT_SLACK_APP_TOKEN",
        ),
        (SlackSettings(app_token=APP), None, None, "Slack needs MEETBOT_SLACK_BOT_TOKEN"),
        (
            SlackSettings(signing_secret=SECRET, client_id="1.2"),
            None,
            "https://bot.example",
            "Slack OAuth install needs MEETBOT_SLACK_CLIENT_SECRET",
        ),
        (
            SlackSettings(signing_secret=SECRET, client_id="1.2", client_secret=SECRET),
            None,
            None,
            "Slack OAuth install needs MEETBOT_HTTP_PUBLIC_URL",
        ),
        (
            None,
            GChatSettings(
                audience_mode="endpoint_url", audience="1234", service_account_info=SECRET
            ),
            None,
            "Google Chat endpoint_url mode needs MEETBOT_GCHAT_AUDIENCE = the endpoint URL",
        ),
        (
            None,
            GChatSettings(audience="https://bot.example/chat/events", service_account_info=SECRET),
            None,
            "Google Chat project_number mode needs MEETBOT_GCHAT_AUDIENCE = the project number",
        ),
    ],
    ids=[
        "http-without-secret",
        "socket-with-a-bot-token",
        "socket-without-workspace-token",
        "oauth-without-client-secret",
        "oauth-without-public-url",
        "chat-endpoint-mode-with-a-number",
        "chat-project-mode-with-a-url",
    ],
)
def test_each_mode_names_what_it_misses_in_one_line(
    slack: SlackSettings | None, gchat: GChatSettings | None, public_url: str | None, line: str
) -> None:
    groups: dict[str, Any] = {"http": HttpSettings(public_url=public_url)}
    groups |= {"slack": slack} if slack else {}
    groups |= {"gchat": gchat} if gchat else {}
    with pytest.raises(SettingsError) as err:
        check_production(_settings(**groups))
    [reported] = [x for x in str(err.value).splitlines()[1:] if line in x]
    assert reported.strip().startswith(line)


@pytest.mark.parametrize(
    "slack",
    [
        SlackSettings(signing_secret=SECRET, bot_token=TOKEN),
        SlackSettings(app_token=APP, bot_token=TOKEN),
        SlackSettings(app_token=APP, client_id="1.2", client_secret=SECRET),
        SlackSettings(signing_secret=SECRET, client_id="1.2", client_secret=SECRET),
    ],
    ids=["http-bot-token", "socket-bot-token", "socket-oauth", "http-oauth"],
)
def test_every_complete_slack_mode_may_start(slack: SlackSettings) -> None:
    check_production(_settings(slack=slack, http=HttpSettings(public_url="https://bot.example")))
