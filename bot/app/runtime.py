"""The objects the running application shares, and the AppKeys that reach them."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.core.accounts.connect import ConnectFlow
from bot.core.recording.artifacts import ArtifactsFlow
from bot.core.recording.flow import RecordingFlow
from bot.core.recording.retention import RetentionSweeper
from bot.core.recording.video import VideoDelivery
from bot.core.service import MeetingService
from bot.core.transcripts.live import LiveTranscripts
from bot.gchat.app import GChatSide
from bot.settings import Settings
from bot.slack.app import SlackPorts
from bot.tasks import TaskSupervisor
from bot.web.files import FileServer
from bot.web.meeting_page import MeetingPages
from recorder.service import Recorder
from recorder.transcribe.transcriber import Transcriber
from storage.repos.factory import Repos


@dataclass(frozen=True, slots=True)
class Runtime:
    """Long-lived objects, built at start-up and closed in reverse order."""

    repos: Repos
    service: MeetingService
    connect: ConnectFlow
    slack: AsyncApp | None
    supervisor: TaskSupervisor
    recorder: Recorder
    recording: RecordingFlow
    files: FileServer
    pages: MeetingPages
    live: LiveTranscripts
    artifacts: ArtifactsFlow
    sweeper: RetentionSweeper
    transcriber: Transcriber | None = None
    video: VideoDelivery | None = None
    gchat: GChatSide | None = None
    slack_ports: SlackPorts | None = None


SETTINGS = web.AppKey("settings", Settings)
BASE_URL = web.AppKey("base_url", str)
RUNTIME = web.AppKey("runtime", Runtime)
