"""Files upload v2: ``files.getUploadURLExternal``, the raw upload, completion, and downloads."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from sandbox.slack.calls import ApiCall, JsonDict, MethodFn, SlackApiError
from sandbox.slack.messages import StoredFile
from sandbox.slack.state import SlackChannel, SlackWorkspace

logger = logging.getLogger(__name__)


def get_upload_url(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    call.need_scope("files:write")
    filename = call.required("filename")
    try:
        length = int(call.required("length"))
    except ValueError as exc:
        raise SlackApiError("invalid_arguments") from exc
    if length < 0:
        raise SlackApiError("invalid_arguments")
    stored = StoredFile(
        id=workspace.new_id("F"),
        name=filename.replace("/", "_"),
        length=length,
        user=call.bot().user_id,
        created=int(workspace.clock()),
    )
    workspace.files[stored.id] = stored
    return {
        "ok": True,
        "upload_url": f"{call.base_url}/sandbox/slack/upload/{stored.id}",
        "file_id": stored.id,
    }


def _share_target(workspace: SlackWorkspace, call: ApiCall) -> SlackChannel | None:
    channel_id = call.str_arg("channel_id") or (call.str_arg("channels") or "").split(",")[0]
    if not channel_id:
        return None
    channel = workspace.resolve_channel(channel_id)
    if channel is None:
        raise SlackApiError("channel_not_found")
    if call.bot().user_id not in channel.members:
        raise SlackApiError("not_in_channel")
    return channel


def _uploaded(workspace: SlackWorkspace, entries: Any) -> list[StoredFile]:
    if not isinstance(entries, list) or not entries:
        raise SlackApiError("invalid_arguments")
    found: list[StoredFile] = []
    for entry in entries:
        stored = workspace.files.get(entry.get("id", "")) if isinstance(entry, dict) else None
        if stored is None or stored.data is None:
            raise SlackApiError("file_not_found")
        stored.title = str(entry.get("title") or stored.title or stored.name)
        found.append(stored)
    return found


def complete_upload(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    call.need_scope("files:write")
    files = _uploaded(workspace, call.json_arg("files", "invalid_arguments"))
    channel = _share_target(workspace, call)
    if channel is not None:
        message = workspace.bot_message(
            channel=channel.id, text=call.str_arg("initial_comment") or "", blocks=[]
        )
        message.files = files
        thread_ts = call.str_arg("thread_ts")
        if thread_ts is not None:
            parent = workspace.find_message(channel.id, thread_ts)
            message.thread_ts = (parent.thread_ts or parent.ts) if parent else thread_ts
        workspace.add_message(message)
        for stored in files:
            stored.shares.append((channel.id, message.ts))
        logger.debug("sandbox slack: %d file(s) shared in %s", len(files), channel.id)
    return {"ok": True, "files": [f.to_api(base_url=call.base_url) for f in files]}


METHODS: dict[str, MethodFn] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}


class FileRoutes:
    """The upload URL handed out by ``files.getUploadURLExternal`` and the download URLs."""

    def __init__(self, *, workspace: SlackWorkspace) -> None:
        self._workspace = workspace

    def register(self, app: web.Application) -> None:
        app.router.add_post("/sandbox/slack/upload/{file_id}", self.upload)
        app.router.add_get("/sandbox/slack/files/{file_id}/{name}", self.download)

    async def upload(self, request: web.Request) -> web.Response:
        stored = self._workspace.files.get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404, text="file_not_found")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            part = form.get("file") or form.get("filename")
            data = part.file.read() if isinstance(part, web.FileField) else str(part).encode()
        else:
            data = await request.read()
        stored.data = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def download(self, request: web.Request) -> web.Response:
        stored = self._workspace.files.get(request.match_info["file_id"])
        if stored is None or stored.data is None:
            return web.Response(status=404, text="file_not_found")
        headers = {
            "Content-Disposition": f'inline; filename="{stored.name}"',
            "Accept-Ranges": "bytes",
        }
        data = stored.data
        try:  # one byte range, as Slack's file servers take, so players can seek
            wanted = request.http_range
        except ValueError:
            return web.Response(status=416, text="bad range")
        if wanted.start is None and wanted.stop is None:
            return web.Response(body=data, content_type=stored.mimetype, headers=headers)
        start, stop, _ = wanted.indices(len(data))
        if start >= stop:
            headers["Content-Range"] = f"bytes */{len(data)}"
            return web.Response(status=416, headers=headers)
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(data)}"
        return web.Response(
            status=206, body=data[start:stop], content_type=stored.mimetype, headers=headers
        )
