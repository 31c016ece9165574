"""Web API identity methods: auth, oauth.v2.access, users.info, conversations."""

from __future__ import annotations

import base64
import binascii
import logging

from sandbox.slack.calls import ApiCall, JsonDict, MethodFn, SlackApiError
from sandbox.slack.state import (
    BOT_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    SlackChannel,
    SlackWorkspace,
)

logger = logging.getLogger(__name__)


def auth_test(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    grant = call.bot()
    user = workspace.users.get(grant.user_id)
    body: JsonDict = {
        "ok": True,
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": TEAM_NAME,
        "user": user.name if user else grant.user_id,
        "team_id": TEAM_ID,
        "user_id": grant.user_id,
        "is_enterprise_install": workspace.enterprise is not None,
    }
    if workspace.enterprise is not None:
        body["enterprise_id"] = workspace.enterprise.id
    if grant.is_bot:
        body["bot_id"] = BOT_ID
        body["app_id"] = workspace.app.app_id
    return body


def auth_revoke(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    grant = call.bot()
    if not call.bool_arg("test"):
        grant.revoked = True
        logger.info("sandbox slack: token of %s revoked", grant.user_id)
    return {"ok": True, "revoked": not call.bool_arg("test")}


def _client_credentials(call: ApiCall) -> tuple[str | None, str | None]:
    """``client_id`` and ``client_secret`` from HTTP Basic auth (the SDK's way) or arguments."""
    header = call.authorization or ""
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise SlackApiError("invalid_client_id") from exc
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return call.str_arg("client_id"), call.str_arg("client_secret")


def oauth_v2_access(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    client_id, client_secret = _client_credentials(call)
    if client_id != workspace.app.client_id:
        raise SlackApiError("invalid_client_id")
    if client_secret != workspace.app.client_secret:
        raise SlackApiError("bad_client_secret")
    code = workspace.codes.pop(call.str_arg("code") or "", None)
    if code is None or code.client_id != client_id:
        raise SlackApiError("invalid_code")
    redirect_uri = call.str_arg("redirect_uri")
    if code.redirect_uri is not None and redirect_uri not in (None, code.redirect_uri):
        raise SlackApiError("bad_redirect_uri")
    authed_user: JsonDict = {"id": code.installer}
    if code.user_scopes:
        authed_user.update(
            access_token=workspace.issue_user_token(
                user_id=code.installer, scopes=code.user_scopes
            ),
            scope=",".join(code.user_scopes),
            token_type="user",
        )
    logger.info("sandbox slack: app installed by %s", code.installer)
    org = workspace.enterprise
    return {
        "ok": True,
        "app_id": workspace.app.app_id,
        "authed_user": authed_user,
        "scope": ",".join(code.scopes),
        "token_type": "bot",
        "access_token": workspace.issue_bot_token(scopes=code.scopes),
        "bot_user_id": workspace.app.bot_user_id,
        # an org-wide install names the org and no team, as Slack answers for Grid
        "team": None if org else {"id": TEAM_ID, "name": TEAM_NAME},
        "enterprise": org.to_api() if org else None,
        "is_enterprise_install": org is not None,
    }


def auth_teams_list(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    """The workspaces the token can reach: the sandbox has one, in or out of an org."""
    call.bot()
    return {
        "ok": True,
        "teams": [{"id": TEAM_ID, "name": TEAM_NAME}],
        "response_metadata": {"next_cursor": ""},
    }


def users_info(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    call.need_scope("users:read")
    user = workspace.users.get(call.str_arg("user") or "")
    if user is None:
        raise SlackApiError("user_not_found")
    with_email = "users:read.email" in call.bot().scopes
    return {"ok": True, "user": user.to_api(with_email=with_email)}


def _channel(workspace: SlackWorkspace, call: ApiCall) -> SlackChannel:
    channel = workspace.resolve_channel(call.str_arg("channel") or "")
    if channel is None:
        raise SlackApiError("channel_not_found")
    return channel


def conversations_info(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    channel = _channel(workspace, call)
    viewer = call.bot().user_id
    if channel.is_im and viewer not in channel.members:
        raise SlackApiError("channel_not_found")
    return {"ok": True, "channel": channel.to_api(viewer=viewer)}


def conversations_join(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    channel = _channel(workspace, call)
    if channel.is_im:
        raise SlackApiError("method_not_supported_for_channel_type")
    viewer = call.bot().user_id
    already = viewer in channel.members
    channel.members.add(viewer)
    body: JsonDict = {"ok": True, "channel": channel.to_api(viewer=viewer)}
    if already:
        body["warning"] = "already_in_channel"
        body["response_metadata"] = {"warnings": ["already_in_channel"]}
    return body


def conversations_members(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    """Member ids, one page (``limit``, ``cursor`` as an offset); needs the read scope."""
    channel = _channel(workspace, call)
    call.need_scope("im:read" if channel.is_im else "channels:read")
    members = sorted(channel.members)
    cursor, limit = call.str_arg("cursor") or "0", call.str_arg("limit") or "100"
    if not (cursor.isdigit() and limit.isdigit()):
        raise SlackApiError("invalid_cursor" if not cursor.isdigit() else "invalid_limit")
    start = int(cursor)
    end = start + max(1, int(limit))
    cursor = str(end) if end < len(members) else ""
    return {
        "ok": True,
        "members": members[start:end],
        "response_metadata": {"next_cursor": cursor},
    }


def conversations_open(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    """Opens the DM between the bot and one user (group DMs are not emulated)."""
    if call.str_arg("channel"):
        return {"ok": True, "channel": {"id": _channel(workspace, call).id}}
    users = [u for u in (call.str_arg("users") or "").split(",") if u]
    channel = workspace.resolve_channel(users[0]) if len(users) == 1 else None
    if channel is None or not channel.is_im:
        raise SlackApiError("user_not_found" if users else "users_list_not_supplied")
    return {"ok": True, "channel": {"id": channel.id}}


METHODS: dict[str, MethodFn] = {
    "auth.test": auth_test,
    "auth.revoke": auth_revoke,
    "auth.teams.list": auth_teams_list,
    "oauth.v2.access": oauth_v2_access,
    "users.info": users_info,
    "conversations.info": conversations_info,
    "conversations.join": conversations_join,
    "conversations.members": conversations_members,
    "conversations.open": conversations_open,
}

PUBLIC_METHODS = frozenset({"oauth.v2.access"})
