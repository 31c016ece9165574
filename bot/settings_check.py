"""What each deployment mode needs before `meetbot serve` starts, said in one line per gap."""

from __future__ import annotations

from bot.settings import GChatSettings, Settings, SettingsError, SlackSettings


def check_production(settings: Settings) -> None:
    """Fail fast on what production cannot run without, one line per missing piece.

    Raises:
        SettingsError: naming the missing variables.
    """
    if settings.sandbox:
        return
    missing: list[str] = []
    if settings.storage.token_key is None:
        missing.append("MEETBOT_STORAGE_TOKEN_KEY (generate one with `meetbot keygen`)")
    slack, gchat = settings.slack, settings.gchat
    if not slack.configured and not gchat.configured:
        missing.append(
            "MEETBOT_SLACK_SIGNING_SECRET (Slack) or MEETBOT_GCHAT_AUDIENCE (Google Chat)"
        )
    if slack.configured:
        missing += _slack_missing(slack, public_url=settings.http.public_url)
    if gchat.configured:
        missing += _gchat_missing(gchat)
    if not settings.google.configured or settings.google.client_secret is None:
        missing.append("MEETBOT_GOOGLE_CLIENT_ID and MEETBOT_GOOGLE_CLIENT_SECRET")
    if missing:
        raise SettingsError("missing configuration:\n  " + "\n  ".join(missing))


def _slack_missing(slack: SlackSettings, *, public_url: str | None) -> list[str]:
    missing: list[str] = []
    if slack.app_token is None and slack.signing_secret is None:
        missing.append(
            "Slack over HTTP needs MEETBOT_SLACK_SIGNING_SECRET "
            "(or MEETBOT_SLACK_APP_TOKEN for Socket Mode)"
        )
    if slack.app_token is not None and not slack.app_token.get_secret_value().startswith("xapp-"):
        missing.append("Socket Mode needs an app-level token (xapp-...) in MEETBOT_SLACK_APP_TOKEN")
    if slack.bot_token is None and slack.client_id is None:
        missing.append(
            "Slack needs MEETBOT_SLACK_BOT_TOKEN (one workspace) "
            "or MEETBOT_SLACK_CLIENT_ID and MEETBOT_SLACK_CLIENT_SECRET (OAuth install)"
        )
    elif slack.oauth and slack.client_secret is None:
        missing.append("Slack OAuth install needs MEETBOT_SLACK_CLIENT_SECRET")
    if slack.oauth and slack.client_id is not None and public_url is None:
        missing.append(
            "Slack OAuth install needs MEETBOT_HTTP_PUBLIC_URL (Slack redirects installers there)"
        )
    return missing


def _gchat_missing(gchat: GChatSettings) -> list[str]:
    missing: list[str] = []
    if gchat.service_account_file is None and gchat.service_account_info is None:
        missing.append(
            "Google Chat needs MEETBOT_GCHAT_SERVICE_ACCOUNT_FILE (or _SERVICE_ACCOUNT_INFO)"
        )
    audience = gchat.audience or ""
    if gchat.audience_mode == "endpoint_url" and not audience.startswith(("https://", "http://")):
        missing.append(
            "Google Chat endpoint_url mode needs MEETBOT_GCHAT_AUDIENCE = the endpoint URL "
            "(https://.../chat/events)"
        )
    if gchat.audience_mode == "project_number" and not audience.isdigit():
        missing.append(
            "Google Chat project_number mode needs MEETBOT_GCHAT_AUDIENCE = the project number"
        )
    return missing
