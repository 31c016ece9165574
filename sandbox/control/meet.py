"""What Meet users do in the Meet UI, on the emulators: calls, participants, media, artifacts."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sandbox.control.http import ControlError
from sandbox.google.state import GoogleEmulatorState, subject_for
from sandbox.meet_media import samples
from sandbox.meet_media.hub import VIDEO_CODECS, VIDEO_SIZES, parse_video_size
from sandbox.meet_media.reasons import INJECTABLE
from sandbox.meet_rest.records import ConferenceRecordState, ParticipantSpec, SpaceRecord
from sandbox.meet_rest.store import ConferenceStateError, UnknownParticipant

logger = logging.getLogger(__name__)

Json = dict[str, Any]
_SPEC_KEYS = frozenset({"name", "audio", "video", "screenshare", "speak_at", "says", "email"})
_FAULT_KEYS = frozenset(
    {
        "refuse",
        "strip_ssrc",
        "consent_delay",
        "stats_interval",
        "exhausted_window",
        "video_size",
        "video_codec",
    }
)
STOP_REASONS = frozenset({"USER_STOPPED", "SESSION_UNHEALTHY", "DROP"})


class GoogleControl:
    """Operations on the Meet emulator that real Meet users do in the Meet UI."""

    def __init__(self, *, state: GoogleEmulatorState) -> None:
        self._state = state

    def list_spaces(self) -> list[Json]:
        """Every space, as Meet REST returns it, oldest first."""
        return [space.to_json() for space in self._state.meet.spaces.values()]

    async def start_conference(
        self, *, space: str, participants: Sequence[Mapping[str, Any]]
    ) -> Json:
        """Start a call in a space (name, meeting code or URI) with signed-in participants.

        Each participant is ``{"name", "audio", "video", "screenshare", "speak_at",
        "says"}``; only ``name`` is required. The specs are kept on the participants for the
        media emulator; ``says`` (a list of lines) is what Meet's own transcript gives them.

        Raises:
            ControlError: 400 bad participant, 404 unknown space, 409 a call is active.
        """
        found = self._space(space)
        specs = [_spec(raw) for raw in participants]
        try:
            record = self._state.meet.start_conference(found, specs)
        except ConferenceStateError as exc:
            raise ControlError(str(exc), status=409) from exc
        self._state.media.conference_started(record)
        return _conference(found, record)

    async def end_conference(self, *, space: str) -> Json:
        """End the space's active call: endTime set, everyone leaves.

        Raises:
            ControlError: 404 unknown space, 409 no active call.
        """
        found = self._space(space)
        try:
            record = self._state.meet.end_conference(found)
        except ConferenceStateError as exc:
            raise ControlError(str(exc), status=409) from exc
        self._state.media.conference_ended(record)
        return _conference(found, record)

    async def change_participants(
        self, *, space: str, join: Sequence[Mapping[str, Any]], leave: Sequence[str]
    ) -> Json:
        """Participants join (specs as in `start_conference`) and leave (by name) mid-call.

        Connected Media API clients get the new snapshots and deletions.

        Raises:
            ControlError: 400 bad participant, 404 unknown space or participant, 409 no call
                or a joiner already present.
        """
        found = self._space(space)
        specs = [_spec(raw) for raw in join]
        if not specs and not leave:
            raise ControlError("nothing to do: give 'join' or 'leave'")
        meet = self._state.meet
        record: ConferenceRecordState | None = None
        try:
            if leave:
                record = meet.leave_participants(found, leave)
            if specs:
                record = meet.join_participants(found, specs)
        except UnknownParticipant as exc:
            raise ControlError(str(exc.args[0]), status=404) from exc
        except ConferenceStateError as exc:
            raise ControlError(str(exc), status=409) from exc
        finally:
            if record is not None:  # the leaves stand even if a join was refused
                self._state.media.participants_changed(record)
        assert record is not None
        return _conference(found, record)

    def set_media_faults(self, *, space: str, changes: Mapping[str, Any]) -> Json:
        """Per-space Media API switches, kept until changed (see `MediaFaults`).

        Raises:
            ControlError: 400 unknown key or bad value, 404 unknown space.
        """
        found = self._space(space)
        faults = self._state.media.set_faults(found.name, **_fault_changes(changes))
        return {"space": found.name, **dataclasses.asdict(faults)}

    def stop_media(self, *, space: str, reason: str) -> Json:
        """End the space's connected Media API session: ``USER_STOPPED``,
        ``SESSION_UNHEALTHY`` (a final status each) or ``DROP`` (no status).

        Raises:
            ControlError: 400 bad reason, 404 unknown space, 409 no connected session.
        """
        if reason not in STOP_REASONS:
            raise ControlError(f"reason must be one of {sorted(STOP_REASONS)}")
        found = self._space(space)
        session = self._state.media.live_session(found.name)
        if session is None:
            raise ControlError(f"no Media API session is connected to {found.name}", status=409)
        session.end(reason)
        return session.to_json()

    def media_sessions(self, *, space: str | None = None) -> list[Json]:
        """Every Media API session so far, oldest first (optionally of one space)."""
        name = self._space(space).name if space else None
        return self._state.media.describe(space=name)

    def set_artifacts(self, *, changes: Mapping[str, Any]) -> Json:
        """Which Meet artifacts calls get and how long their files take (see `ArtifactPolicy`).

        Raises:
            ControlError: 400 unknown key or bad value (nothing changes then).
        """
        try:
            return self._state.meet.artifacts.configure(changes).to_json()
        except ValueError as exc:
            raise ControlError(str(exc)) from exc

    def hold_artifacts(self, *, ref: str, seconds: float) -> Json:
        """Keep a call's artifact files "not yet generated" until ``seconds`` from now.

        ``ref`` is a conference record name, or a space (its latest call).

        Raises:
            ControlError: 404 unknown call or no artifacts, 409 files generated already.
        """
        record = self._record(ref)
        try:
            self._state.meet.artifacts.hold(record.name, seconds)
        except LookupError as exc:
            raise ControlError(str(exc.args[0]), status=404) from exc
        except ValueError as exc:
            raise ControlError(str(exc), status=409) from exc
        return self._state.meet.artifacts.describe(record.name)

    def artifacts(self, *, ref: str | None = None) -> Json:
        """The policy and every call's artifacts, oldest first (``ref``: one space or call)."""
        meet = self._state.meet
        if ref is None:
            records = list(meet.conferences.values())
        elif ref.startswith("conferenceRecords/"):
            records = [self._record(ref)]
        else:
            name = self._space(ref).name
            records = [r for r in meet.conferences.values() if r.space == name]
        return {
            "policy": meet.artifacts.policy.to_json(),
            "conferences": [meet.artifacts.describe(record.name) for record in records],
        }

    def _record(self, ref: str) -> ConferenceRecordState:
        meet = self._state.meet
        if ref.startswith("conferenceRecords/"):
            record = meet.conferences.get(ref)
        else:
            space = self._space(ref).name
            calls = [r for r in meet.conferences.values() if r.space == space]
            record = max(calls, key=lambda r: r.start_time, default=None)
        if record is None:
            raise ControlError(f"no such call: {ref}", status=404)
        return record

    def _space(self, ref: str) -> SpaceRecord:
        space = self._state.meet.find_space(ref)
        if space is None:
            raise ControlError(f"no such space: {ref}", status=404)
        return space


def _spec(raw: Mapping[str, Any]) -> ParticipantSpec:
    unknown = set(raw) - _SPEC_KEYS
    name, audio = raw.get("name"), raw.get("audio")
    video, speak_at = raw.get("video", False), raw.get("speak_at", 0.0)
    screenshare, says = raw.get("screenshare", False), raw.get("says", [])
    if unknown:
        raise ControlError(f"unknown participant fields: {sorted(unknown)}", status=400)
    if not isinstance(name, str) or not name.strip():
        raise ControlError("participant name must be a non-empty string", status=400)
    if audio is not None and not isinstance(audio, str):
        raise ControlError("participant audio must be a path or null", status=400)
    if not isinstance(video, bool) or not isinstance(screenshare, bool):
        raise ControlError("participant video and screenshare must be booleans", status=400)
    if isinstance(speak_at, bool) or not isinstance(speak_at, int | float) or speak_at < 0:
        raise ControlError("participant speak_at must be seconds >= 0", status=400)
    if not isinstance(says, list) or not all(isinstance(s, str) and s.strip() for s in says):
        raise ControlError("participant says must be a list of non-empty lines", status=400)
    email = raw.get("email")
    if email is not None and not (isinstance(email, str) and "@" in email):
        raise ControlError("participant email must be an address or null", status=400)
    if not says and audio is not None:
        says = _sample_lines(audio)
    return ParticipantSpec(
        name=name,
        audio=audio,
        video=video,
        screenshare=screenshare,
        speak_at=float(speak_at),
        says=tuple(says),
        account_id=subject_for(email) if email is not None else None,
    )


def _sample_lines(audio: str) -> list[str]:
    """What a recorded sample voice says, for Meet's own transcript of it."""
    if not samples.is_sample(audio):
        return []
    voice = audio.removeprefix(samples.PREFIX).strip().lower()
    if voice not in samples.RECORDED:
        return []
    return [str(line["text"]) for line in samples.script() if line["speaker"] == voice]


def _fault_changes(raw: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(raw) - _FAULT_KEYS
    if unknown:
        raise ControlError(f"unknown fault fields: {sorted(unknown)}")
    changes = dict(raw)
    refuse = changes.get("refuse")
    if refuse is not None and refuse not in INJECTABLE:
        raise ControlError(f"refuse must be null or one of {sorted(INJECTABLE)}")
    if not isinstance(changes.get("strip_ssrc", False), bool):
        raise ControlError("strip_ssrc must be a boolean")
    for key in ("consent_delay", "exhausted_window", "stats_interval"):
        value = changes.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ControlError(f"{key} must be a number >= 0")
    if not isinstance(changes.get("stats_interval", 0), int):
        raise ControlError("stats_interval must be whole seconds")
    size = changes.get("video_size")
    if size is not None and (not isinstance(size, str) or parse_video_size(size) is None):
        raise ControlError(f"video_size must be null or WIDTHxHEIGHT, {VIDEO_SIZES}")
    codec = changes.get("video_codec")
    if codec is not None and codec not in VIDEO_CODECS:
        raise ControlError(f"video_codec must be null or one of {sorted(VIDEO_CODECS)}")
    return changes


def _conference(space: SpaceRecord, record: ConferenceRecordState) -> Json:
    return {
        "space": space.to_json(),
        "conferenceRecord": record.to_json(),
        "participants": [participant.to_json() for participant in record.participants],
    }
