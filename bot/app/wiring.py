"""The composition root: settings → database → HTTP session → ports → services → routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app.lifecycle import GOOGLE_HTTP, RESOURCES, Resources
from bot.app.runtime import BASE_URL, RUNTIME, SETTINGS, Runtime
from bot.app.transcription import SpeechModels, build_transcriber
from bot.app.video import build_video
from bot.core.artifacts import ArtifactsFlow
from bot.core.connect import ConnectFlow
from bot.core.google_access import GoogleAccess
from bot.core.live_transcript import LiveTranscripts
from bot.core.ports_delivery import ChatThreads
from bot.core.recording import RecordingFlow, Transcription
from bot.core.retention import RetentionSweeper
from bot.core.service import MeetingService
from bot.core.transcripts import TranscriptDelivery
from bot.gchat import app as gchat_app
from bot.gchat import routes as gchat_routes
from bot.google.artifacts import MeetArtifactsClient
from bot.google.meet import MeetRestClient
from bot.google.oauth import HttpGoogleOAuth
from bot.settings import Settings
from bot.slack import app as slack_app
from bot.slack import routes as slack_routes
from bot.tasks import TaskSupervisor
from bot.web import files, meeting_page, pages
from bot.web.publisher import BlobPublisher
from recorder.service import Recorder
from recorder.session import SessionOptions
from storage.blobs import LocalBlobStore
from storage.crypto import TokenCipher
from storage.db import create_engine, run_migrations
from storage.files import private_dir
from storage.links import LinkSigner, derive_link_key
from storage.repos.factory import build_repos
from storage.slack_orgs import installs_for_team
from storage.slack_stores import build_slack_stores

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
    private_dir(settings.storage.data_dir)  # 0700 before anything is written in it
    async with contextlib.AsyncExitStack() as stack:
        resources = app[RESOURCES] = Resources(stack)
        engine = create_engine(settings.storage.resolved_database_url())
        resources.close_with("database engine", engine.dispose)
        await run_migrations(engine, cipher=token_cipher(settings))
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
        app[RUNTIME] = runtime
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
        await _recover(runtime, work_root=settings.storage.recordings_dir())
        sweeper = asyncio.create_task(runtime.sweeper.run(), name="retention-sweep")
        resources.cancel_at_close("retention sweep", sweeper)
        logger.info("meetbot ready at %s", base_url)
        yield


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


def _slack_ports(
    settings: Settings,
    *,
    engine: AsyncEngine,
    session: aiohttp.ClientSession,
    cipher: TokenCipher,
) -> slack_app.SlackPorts | None:
    """The Slack side's clients and ports, when Slack is configured."""
    if not settings.slack.configured:
        return None
    client_id = settings.slack.client_id or "single-workspace"
    installations, states = build_slack_stores(engine=engine, client_id=client_id, cipher=cipher)
    return slack_app.ports(
        settings.slack,
        session=session,
        stores=slack_app.SlackStores(installations=installations, states=states),
        find_installs=partial(installs_for_team, engine, client_id=client_id),
    )


def _wire(
    settings: Settings,
    *,
    base_url: str,
    engine: AsyncEngine,
    google_http: aiohttp.ClientSession,
    slack_http: aiohttp.ClientSession,
) -> Runtime:
    cipher = token_cipher(settings)
    repos = build_repos(engine=engine, cipher=cipher)
    slack = _slack_ports(settings, engine=engine, session=slack_http, cipher=cipher)
    oauth = HttpGoogleOAuth(
        settings=settings.google,
        redirect_uri=base_url + pages.GOOGLE_CALLBACK_PATH,
        session=google_http,
    )
    chat = (
        gchat_app.ports(settings.gchat, base_url=base_url, session=google_http)
        if settings.gchat.configured
        else None
    )
    chat_notifier = {"gchat": chat.notifier} if chat else {}
    chat_threads = {"gchat": chat.threads} if chat else {}
    slack_notifier = {"slack": slack.notifier} if slack else {}
    slack_threads: dict[str, ChatThreads] = {"slack": slack.threads} if slack else {}
    connect = ConnectFlow(
        states=repos.connect_states,
        accounts=repos.accounts,
        oauth=oauth,
        notifiers={**slack_notifier, **chat_notifier},
        ttl_seconds=settings.google.connect_ttl,
    )
    meet = MeetRestClient(settings=settings.google, session=google_http)
    google = GoogleAccess(accounts=repos.accounts, oauth=oauth)
    file_server = _file_server(settings)
    transcriber = build_transcriber(settings.transcription, models=SpeechModels())
    recorder = Recorder(
        options=session_options(settings),
        http=google_http,
        max_concurrent=settings.recorder.max_concurrent,
        transcriber=transcriber,
    )
    publisher = BlobPublisher(store=file_server.store, signer=file_server.signer, base_url=base_url)
    threads: dict[str, ChatThreads] = {**slack_threads, **chat_threads}
    page_data = meeting_page.MeetingPages(
        recordings=repos.recordings,
        transcripts=repos.transcripts,
        meetings=repos.meetings,
        signer=file_server.signer,
        base_url=base_url,
    )
    delivery = TranscriptDelivery(
        transcripts=repos.transcripts,
        recordings=repos.recordings,
        publisher=publisher,
        threads=threads,
        pages=page_data.links(),
    )
    live = LiveTranscripts(threads=threads, interval=settings.transcription.live_interval)
    artifacts = ArtifactsFlow(
        google=google,
        client=MeetArtifactsClient(settings=settings.google, session=google_http),
        delays=settings.artifacts.delays,
        excerpt_lines=settings.artifacts.excerpt_lines,
    )
    video = build_video(
        settings.video,
        publisher=publisher,
        recordings=repos.recordings,
        threads=threads,
        pages=page_data.links(),
    )
    recording = RecordingFlow(
        recordings=repos.recordings,
        meetings=repos.meetings,
        recorder=recorder,
        publisher=publisher,
        threads=threads,
        google=google,
        meet=meet,
        work_root=settings.storage.recordings_dir(),
        transcription=None
        if transcriber is None
        else Transcription(
            repo=repos.transcripts,
            delivery=delivery,
            live=live,
            live_by_default=settings.transcription.live_message,
        ),
        artifacts=artifacts if settings.artifacts.enabled else None,
        video=video,
    )
    service = MeetingService(
        meetings=repos.meetings,
        meet=meet,
        google=google,
        connect=connect,
        recording=recording,
        transcripts=delivery,
    )
    sweeper = RetentionSweeper(
        recordings=repos.recordings,
        delivery=delivery,
        retention_days=settings.storage.retention_days,
        interval=settings.storage.sweep_interval,
        clock=lambda: datetime.now(UTC),
    )
    supervisor = TaskSupervisor(concurrency=4)
    bolt = None
    if slack is not None:
        bolt = slack_app.build_app(
            ports=slack,
            base_url=base_url,
            service=service,
            dedupe=repos.dedupe,
            supervisor=supervisor,
        )
    return Runtime(
        repos=repos,
        service=service,
        connect=connect,
        slack=bolt,
        slack_ports=slack,
        supervisor=supervisor,
        recorder=recorder,
        recording=recording,
        files=file_server,
        pages=page_data,
        live=live,
        artifacts=artifacts,
        sweeper=sweeper,
        transcriber=transcriber,
        video=video,
        gchat=None
        if chat is None
        else gchat_app.build(
            settings=settings.gchat,
            chat=chat,
            session=google_http,
            service=service,
            supervisor=supervisor,
        ),
    )


def token_cipher(settings: Settings) -> TokenCipher:
    """The cipher of every token stored (Google's and Slack's), from the token key."""
    key = settings.storage.token_key
    if key is None:
        raise RuntimeError("MEETBOT_STORAGE_TOKEN_KEY is required")
    return TokenCipher(key=key.get_secret_value())


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
