"""The Slack Web API emulator driven by slack_sdk's real AsyncWebClient."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.adapters.sandbox_server import RunningSandbox, running_sandbox

BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "files:write", "users:read")
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Standup* ready"}}


def button(action_id: str, text: str = "Record") -> dict[str, object]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}}


@pytest.fixture
async def live() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox() as running:
        yield running


def web_client(live: RunningSandbox, *, scopes: tuple[str, ...] = BOT_SCOPES) -> AsyncWebClient:
    token = live.sandbox.slack.issue_bot_token(scopes=scopes)
    return AsyncWebClient(token=token, base_url=f"{live.base_url}/sandbox/slack/api/")


async def error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call  # type: ignore[misc]
    return str(caught.value.response["error"])


async def test_auth_test_and_token_errors(live: RunningSandbox) -> None:
    client = web_client(live)
    identity = await client.auth_test()
    assert identity["user_id"] == "U0MEETBOT"
    assert identity["team_id"] == "T0SANDBOX"
    assert identity["bot_id"] == "B0MEETBOT"
    base = f"{live.base_url}/sandbox/slack/api/"
    assert await error_of(AsyncWebClient(token="xoxb-nope", base_url=base).auth_test()) == (
        "invalid_auth"
    )
    assert await error_of(AsyncWebClient(base_url=base).auth_test()) == "not_authed"
    await client.auth_revoke()
    assert await error_of(client.auth_test()) == "token_revoked"


async def test_unknown_method(live: RunningSandbox) -> None:
    assert await error_of(web_client(live).api_call("chat.teleport")) == "unknown_method"


async def test_post_message_with_blocks_and_thread(live: RunningSandbox) -> None:
    client = web_client(live)
    blocks = [SECTION, {"type": "actions", "elements": [button("meet_record")]}]
    posted = await client.chat_postMessage(channel="C0GENERAL", text="ready", blocks=blocks)
    assert posted["channel"] == "C0GENERAL"
    assert posted["message"]["blocks"][1]["block_id"]
    reply = await client.chat_postMessage(channel="C0GENERAL", text="r1", thread_ts=posted["ts"])
    nested = await client.chat_postMessage(channel="C0GENERAL", text="r2", thread_ts=reply["ts"])
    assert nested["message"]["thread_ts"] == posted["ts"]
    listed = await live.messages("C0GENERAL")
    assert [m["text"] for m in listed] == ["ready", "r1", "r2"]
    assert listed[0]["reply_count"] == 2
    assert posted["ts"] < reply["ts"] < nested["ts"]


async def test_post_message_errors(live: RunningSandbox) -> None:
    client = web_client(live)
    assert await error_of(client.api_call("chat.postMessage", json={"channel": "C0GENERAL"})) == (
        "no_text"
    )
    assert await error_of(client.chat_postMessage(channel="C0NOPE", text="x")) == (
        "channel_not_found"
    )
    long_text = "x" * 40_001
    assert await error_of(client.chat_postMessage(channel="C0GENERAL", text=long_text)) == (
        "msg_too_long"
    )
    bad = {"type": "actions", "elements": [button("same"), button("same")]}
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[bad])
    assert caught.value.response["error"] == "invalid_blocks"
    assert "duplicate action_id" in caught.value.response["errors"][0]
    for blocks in (
        [{"type": "carousel"}],
        [SECTION] * 51,
        [{"type": "actions", "elements": [button("b", "x" * 76)]}],
    ):
        call = client.chat_postMessage(channel="C0GENERAL", text="x", blocks=blocks)
        assert await error_of(call) == "invalid_blocks"
    call = client.chat_postMessage(channel="C0GENERAL", text="x", thread_ts="1.000002")
    assert await error_of(call) == "thread_not_found"


async def test_not_in_channel_without_public_scope(live: RunningSandbox) -> None:
    private = web_client(live, scopes=("chat:write",))
    assert await error_of(private.chat_postMessage(channel="C0RANDOM", text="hi")) == (
        "not_in_channel"
    )
    public = web_client(live)
    assert (await public.chat_postMessage(channel="C0RANDOM", text="hi"))["ok"]
    await private.conversations_join(channel="C0RANDOM")
    assert (await private.chat_postMessage(channel="C0RANDOM", text="joined"))["ok"]
    no_scope = web_client(live, scopes=("users:read",))
    assert await error_of(no_scope.chat_postMessage(channel="C0GENERAL", text="x")) == (
        "missing_scope"
    )


async def test_update_and_delete(live: RunningSandbox) -> None:
    client = web_client(live)
    posted = await client.chat_postMessage(channel="C0GENERAL", text="v1", blocks=[SECTION])
    updated = await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="v2")
    assert updated["message"]["blocks"][0]["text"]["text"] == "*Standup* ready"
    listed = await live.messages("C0GENERAL")
    assert (listed[0]["text"], listed[0]["updated"]) == ("v2", 1)
    assert await error_of(client.chat_update(channel="C0GENERAL", ts="1.000001", text="x")) == (
        "message_not_found"
    )
    status, said = await live.call(
        "POST", "slack/messages", {"channel": "C0GENERAL", "user": "U0BOB", "text": "mine"}
    )
    assert status == 200
    assert await error_of(client.chat_update(channel="C0GENERAL", ts=said["ts"], text="x")) == (
        "cant_update_message"
    )
    await client.chat_delete(channel="C0GENERAL", ts=posted["ts"])
    assert await live.messages("C0GENERAL") == []


async def test_post_ephemeral(live: RunningSandbox) -> None:
    client = web_client(live)
    sent = await client.chat_postEphemeral(channel="C0GENERAL", user="U0BOB", text="psst")
    listed = await live.messages("C0GENERAL")
    assert listed[0]["ts"] == sent["message_ts"]
    assert listed[0]["ephemeral_to"] == "U0BOB"
    assert await live.messages("C0GENERAL", viewer="U0ALICE") == []
    call = client.chat_postEphemeral(channel="C0RANDOM", user="U0CAROL", text="x")
    assert await error_of(call) == "user_not_in_channel"
    call = client.chat_postEphemeral(channel="C0GENERAL", user="U0NOBODY", text="x")
    assert await error_of(call) == "user_not_found"
    call = client.chat_update(channel="C0GENERAL", ts=sent["message_ts"], text="x")
    assert await error_of(call) == "message_not_found"


async def test_dm_by_user_id(live: RunningSandbox) -> None:
    client = web_client(live)
    posted = await client.chat_postMessage(channel="U0CAROL", text="hello")
    assert posted["channel"] == "D0CAROL"
    assert [m["text"] for m in await live.messages("U0CAROL")] == ["hello"]
    assert (await client.conversations_open(users="U0CAROL"))["channel"]["id"] == "D0CAROL"
    assert await error_of(client.conversations_open(users="U0GHOST")) == "user_not_found"
    link = await client.chat_getPermalink(channel="D0CAROL", message_ts=posted["ts"])
    assert link["permalink"].startswith(f"{live.base_url}/sandbox/?channel=D0CAROL")


async def test_files_upload_v2(live: RunningSandbox) -> None:
    client = web_client(live)
    parent = await client.chat_postMessage(channel="C0GENERAL", text="card")
    done = await client.files_upload_v2(
        channel="C0GENERAL",
        content="speaker 1: hello",
        filename="transcript.txt",
        title="Transcript",
        initial_comment="Transcript attached",
        thread_ts=parent["ts"],
    )
    assert done["file"]["name"] == "transcript.txt"
    listed = await live.messages("C0GENERAL")
    shared = listed[1]
    assert (shared["text"], shared["thread_ts"]) == ("Transcript attached", parent["ts"])
    assert shared["files"][0]["name"] == "transcript.txt"
    url = shared["files"][0]["url"]
    async with live.client.get(url) as response:
        assert response.status == 200
        assert response.headers["Accept-Ranges"] == "bytes"
        assert await response.text() == "speaker 1: hello"
    async with live.client.get(url, headers={"Range": "bytes=8-"}) as response:
        assert response.status == 206  # players seek in uploaded videos this way
        assert response.headers["Content-Range"] == "bytes 8-15/16"
        assert await response.text() == "1: hello"
    async with live.client.get(url, headers={"Range": "bytes=99-"}) as response:
        assert response.status == 416
    assert (
        await error_of(
            client.files_completeUploadExternal(files=[{"id": "F0MISSING", "title": "x"}])
        )
        == "file_not_found"
    )


async def test_users_and_conversations(live: RunningSandbox) -> None:
    client = web_client(live)
    alice = (await client.users_info(user="U0ALICE"))["user"]
    assert (alice["is_admin"], alice["is_owner"], alice["tz"]) == (True, True, "Europe/London")
    assert alice["profile"]["real_name"] == "Alice"
    assert "email" not in alice["profile"]
    assert not (await client.users_info(user="U0BOB"))["user"]["is_admin"]
    assert await error_of(client.users_info(user="U0GHOST")) == "user_not_found"
    info = (await client.conversations_info(channel="C0RANDOM"))["channel"]
    assert (info["name"], info["is_member"]) == ("random", False)
    joined = await client.conversations_join(channel="C0RANDOM")
    assert joined["channel"]["is_member"]
    assert await error_of(client.conversations_info(channel="C0NOPE")) == "channel_not_found"


async def test_form_and_query_arguments(live: RunningSandbox) -> None:
    token = live.sandbox.slack.issue_bot_token(scopes=BOT_SCOPES)
    api = f"{live.base_url}/sandbox/slack/api"
    form = {"token": token, "channel": "C0GENERAL", "text": "form"}
    async with live.client.post(f"{api}/chat.postMessage", data=form) as response:
        assert (await response.json())["ok"]
    query = f"?token={token}&channel=C0GENERAL&text=query"
    async with live.client.post(f"{api}/chat.postMessage{query}") as response:
        assert (await response.json())["ok"]
    assert [m["text"] for m in await live.messages("C0GENERAL")] == ["form", "query"]


async def test_injected_rate_limit(live: RunningSandbox) -> None:
    client = web_client(live)
    status, _ = await live.call(
        "POST", "slack/faults", {"method": "chat.postMessage", "count": 1, "retry_after": 7}
    )
    assert status == 200
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C0GENERAL", text="x")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert caught.value.response["error"] == "ratelimited"
    assert (await client.chat_postMessage(channel="C0GENERAL", text="x"))["ok"]
