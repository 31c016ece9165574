"""The composition root: settings → database → HTTP session → ports → services → routes."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app.chats import Chats, build_bolt, build_chats, build_gchat
from bot.app.database import open_database, token_cipher
from bot.app.delivery import Outputs, build_outputs, build_sweeper
from bot.app.google import GoogleSide, build_connect, build_google
from bot.app.lifecycle import GOOGLE_HTTP, RESOURCES, Resources
from bot.app.recording import RecordingSide, build_deliveries, build_recording_flow
from bot.app.runtime import BASE_URL, RUNTIME, SETTINGS, Runtime
from bot.app.transcription import SpeechModels, build_transcriber
from bot.core.ports.chat import ChatThreads
from bot.core.service import MeetingService
from bot.gchat import app as gchat_app
from bot.gchat import routes as gchat_routes
from bot.settings import Settings
from bot.slack import app as slack_app
from bot.slack import routes as slack_routes
from bot.tasks import TaskSupervisor
from bot.web import files, meeting_page, pages
from recorder.service import Recorder
from recorder.session import SessionOptions
from storage.blobs import LocalBlobStore
from storage.links import LinkSigner, derive_link_key
from storage.repos.factory import Repos, build_repos

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    base_url: str,
    extend: Callable[[web.Application], None] | None = None,
) -> web.Application:
    """The one aiohttp application; ``extend`` mounts more routes (the sandbox's)."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[SETTINGS] = settings
    app[BASE_URL] = base_url
    app.cleanup_ctx.append(_runtime)
    if settings.slack.configured:
        slack_routes.add_routes(
            app,
            serve_events=settings.slack.signing_secret is not None,
            serve_install=settings.slack.oauth,
        )
    if settings.gchat.configured:
        gchat_routes.add_routes(app)
    pages.add_routes(app)
    if settings.slack.app_token is not None:  # commands arrive only once the socket is open
        app[pages.READINESS].hold(pages.SOCKET_MODE)
    files.add_routes(app)
    meeting_page.add_routes(app)
    if extend is not None:
        extend(app)
    return app


async def _runtime(app: web.Application) -> AsyncIterator[None]:
    settings, base_url = app[SETTINGS], app[BASE_URL]
    async with contextlib.AsyncExitStack() as stack:
        resources = app[RESOURCES] = Resources(stack)
        engine = (await open_database(settings)).engine
        resources.close_with("database engine", engine.dispose)
        google_http = app[GOOGLE_HTTP] = aiohttp.ClientSession()
        resources.close_with("Google HTTP session", google_http.close)
        slack_http = slack_app.http_session()
        resources.close_with("Slack HTTP session", slack_http.close)
        runtime = _wire(
            settings,
            base_url=base_url,
            engine=engine,
            google_http=google_http,
            slack_http=slack_http,
        )
        _close_at_shutdown(resources, runtime)
        _serve(app, runtime, settings)
        await _recover(runtime, work_root=settings.storage.recordings_dir())
        runtime.supervisor.run_until_close(runtime.sweeper.run(), name="retention-sweep")
        logger.info("meetbot ready at %s", base_url)
        yield


def _serve(app: web.Application, runtime: Runtime, settings: Settings) -> None:
    """Hand the routes what they serve, in one step (no request runs in between)."""
    app[RUNTIME] = runtime
    app[pages.CONNECT] = runtime.connect
    app[files.FILE_SERVER] = runtime.files
    app[meeting_page.MEETING_PAGES] = runtime.pages
    if runtime.slack is not None:
        app[slack_routes.SLACK_APP] = runtime.slack
        secret = settings.slack.signing_secret
        app[slack_routes.SLACK_VERIFIER] = (
            SignatureVerifier(secret.get_secret_value()) if secret else None
        )
    if runtime.gchat is not None:
        app[gchat_app.GCHAT] = runtime.gchat
    app[pages.READINESS].release(pages.RUNTIME_STEP)


def _close_at_shutdown(resources: Resources, runtime: Runtime) -> None:
    """Register the runtime's closes; they run in the reverse order: recorder first."""
    resources.close_with("task supervisor", runtime.supervisor.aclose)
    if runtime.video is not None:
        resources.close_with("video composer", runtime.video.aclose)
    resources.close_with("Meet artifacts", runtime.artifacts.aclose)
    resources.close_with("live transcripts", runtime.live.aclose)
    if runtime.transcriber is not None:
        resources.close_with("transcriber", runtime.transcriber.aclose)
    resources.close_with("recorder", runtime.recorder.aclose)


@dataclass(frozen=True, slots=True)
class _Sides:
    """What each side built: storage, the chats, Google, the outputs, the recording."""

    repos: Repos
    chats: Chats
    google: GoogleSide
    outputs: Outputs
    recording: RecordingSide


def _wire(
    settings: Settings,
    *,
    base_url: str,
    engine: AsyncEngine,
    google_http: aiohttp.ClientSession,
    slack_http: aiohttp.ClientSession,
) -> Runtime:
    """Every long-lived object: the sides' ports first, then the services over them."""
    cipher = token_cipher(settings)
    repos = build_repos(engine=engine, cipher=cipher)
    chats = build_chats(
        settings,
        base_url=base_url,
        engine=engine,
        cipher=cipher,
        slack_http=slack_http,
        google_http=google_http,
    )
    google = build_google(settings, repos=repos, base_url=base_url, session=google_http)
    outputs = build_outputs(_file_server(settings), repos=repos, base_url=base_url)
    recording = _recording(
        settings,
        repos=repos,
        google=google,
        outputs=outputs,
        threads=chats.threads(),
        google_http=google_http,
    )
    sides = _Sides(repos=repos, chats=chats, google=google, outputs=outputs, recording=recording)
    return _services(settings, sides, base_url=base_url, google_http=google_http)


def _recording(
    settings: Settings,
    *,
    repos: Repos,
    google: GoogleSide,
    outputs: Outputs,
    threads: dict[str, ChatThreads],
    google_http: aiohttp.ClientSession,
) -> RecordingSide:
    """The recorder (with the transcriber it feeds) and what it hands its results to."""
    transcriber = build_transcriber(settings.transcription, models=SpeechModels())
    recorder = Recorder(
        options=session_options(settings),
        http=google_http,
        max_concurrent=settings.recorder.max_concurrent,
        transcriber=transcriber,
    )
    deliveries = build_deliveries(
        settings,
        repos=repos,
        google=google,
        outputs=outputs,
        threads=threads,
        session=google_http,
    )
    flow = build_recording_flow(
        settings,
        repos=repos,
        recorder=recorder,
        transcribing=transcriber is not None,
        google=google,
        outputs=outputs,
        threads=threads,
        deliveries=deliveries,
    )
    return RecordingSide(
        recorder=recorder, transcriber=transcriber, deliveries=deliveries, flow=flow
    )


def _services(
    settings: Settings, sides: _Sides, *, base_url: str, google_http: aiohttp.ClientSession
) -> Runtime:
    """The meeting service and the chat apps that call it, and the runtime that holds all."""
    repos, chats, recording = sides.repos, sides.chats, sides.recording
    connect = build_connect(settings, repos=repos, google=sides.google, notifiers=chats.notifiers())
    service = MeetingService(
        meetings=repos.meetings,
        meet=sides.google.meet,
        google=sides.google.access,
        connect=connect,
        recording=recording.flow,
        transcripts=recording.deliveries.transcripts,
    )
    supervisor = TaskSupervisor(concurrency=4)
    return Runtime(
        repos=repos,
        service=service,
        connect=connect,
        slack=build_bolt(
            chats, base_url=base_url, service=service, repos=repos, supervisor=supervisor
        ),
        slack_ports=chats.slack,
        supervisor=supervisor,
        recorder=recording.recorder,
        recording=recording.flow,
        files=sides.outputs.files,
        pages=sides.outputs.pages,
        live=recording.deliveries.live,
        artifacts=recording.deliveries.artifacts,
        sweeper=build_sweeper(settings, repos=repos, delivery=recording.deliveries.transcripts),
        transcriber=recording.transcriber,
        video=recording.deliveries.video,
        gchat=build_gchat(
            settings, chats, session=google_http, service=service, supervisor=supervisor
        ),
    )


def session_options(settings: Settings) -> SessionOptions:
    """The recorder's timers and endpoints from settings (Meet REST root = Media API root)."""
    rec = settings.recorder
    return SessionOptions(
        media_base_url=settings.google.meet_base_url,
        ice_servers=rec.ice_servers,
        call_timeout=rec.call_timeout,
        poll_interval=rec.poll_interval,
        admit_timeout=rec.admit_timeout,
        reconnect_window=rec.reconnect_window,
        reconnect_attempts=rec.reconnect_attempts,
    )


def _file_server(settings: Settings) -> files.FileServer:
    storage = settings.storage
    if storage.link_key is not None:
        key = storage.link_key.get_secret_value().encode()
    elif storage.token_key is not None:
        key = derive_link_key(storage.token_key.get_secret_value())
    else:
        raise RuntimeError("MEETBOT_STORAGE_TOKEN_KEY or MEETBOT_STORAGE_LINK_KEY is required")
    return files.FileServer(
        store=LocalBlobStore(root=storage.resolved_blob_dir()),
        signer=LinkSigner(key=key, ttl=storage.link_ttl),
    )


async def _recover(runtime: Runtime, *, work_root: Path) -> None:
    """Finish what a previous run left behind: videos it was composing, then recordings it
    was making (killed mid-call), as partial. Videos first: recovered recordings start their
    own."""
    try:
        if runtime.video is not None:
            await runtime.video.resume(work_root)
        await runtime.recording.recover()
    except Exception:  # start-up must not fail on it; each recording is retried next start
        logger.exception("recovering unfinished recordings failed")
