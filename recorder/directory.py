"""The conference's participants and media entries by resource id, and who owns a CSRC.

Audio CSRCs resolve to a speaker (`ConferenceDirectory.speaker_for_csrc`); video CSRCs and
media entry ids resolve to the tile a video stream is stored and shown as
(`ConferenceDirectory.video_tile`): a participant's camera under their key, a screenshare
under `recorder.video.tiles.screenshare_key` with a name like "Alice (screen)".
"""

from __future__ import annotations

from recorder.channels.media_entries import MediaEntriesUpdate, MediaEntry
from recorder.channels.participants import Participant, ParticipantsUpdate
from recorder.model import Speaker
from recorder.video.tiles import TileInfo, screenshare_key

GUEST = "Guest"
SCREEN_SUFFIX = " (screen)"


def tile_name(display_name: str, *, screenshare: bool) -> str:
    """The label under a video tile: the name, marked as a screen for a screenshare."""
    return display_name + SCREEN_SUFFIX if screenshare else display_name


def participant_key(participant: Participant) -> str:
    """Return the stable key of a participant: ``participantKey``, else ``name``, else its id.

    One participant can show up under several resource ids, so resource ids are not keys.
    """
    return (
        participant.participant_key or participant.name or f"participant-{participant.resource_id}"
    )


def _entry_key(entry: MediaEntry) -> str:
    # A media entry names its participant by participantKey; "participant" matches the
    # participant's ``name`` fallback; then the audio CSRC, so audio and video agree.
    key = entry.participant_key or entry.participant
    if key:
        return key
    if entry.audio_csrc is not None:
        return f"csrc-{entry.audio_csrc}"
    return f"entry-{entry.resource_id}"


class ConferenceDirectory:
    """Participants and media entries as the two channels deliver them, in any order.

    A media entry may name a participant not delivered yet: it gets a placeholder name
    ("Participant N") under the participant's key, resolved once the participant arrives.
    Names survive deletion so that files can still be named after someone left.
    """

    def __init__(self) -> None:
        """Start with an empty conference."""
        self._participants: dict[int, Participant] = {}
        self._names: dict[str, str] = {}  # key -> display name, in order of first appearance
        self._resolved: set[str] = set()
        self._placeholders = 0
        self._entries: dict[int, MediaEntry] = {}
        self._csrc_entries: dict[int, int] = {}  # audio csrc -> media entry resource id
        self._video_csrc_entries: dict[int, int] = {}  # video csrc -> media entry resource id

    def apply_participants(self, update: ParticipantsUpdate) -> tuple[Speaker, ...]:
        """Apply snapshots, then deletions, from the participants channel.

        Args:
            update: A parsed participants message.

        Returns:
            Speakers whose name became known or changed, each key once.
        """
        changed: dict[str, Speaker] = {}
        for participant in update.resources:
            self._participants[participant.resource_id] = participant
            key = participant_key(participant)
            name = participant.display_name or GUEST
            if key not in self._resolved or self._names.get(key) != name:
                self._resolved.add(key)
                self._names[key] = name
                changed[key] = Speaker(key=key, display_name=name)
        for resource_id in update.deleted:
            self._participants.pop(resource_id, None)
        return tuple(changed.values())

    def apply_media_entries(self, update: MediaEntriesUpdate) -> None:
        """Apply snapshots, then deletions, from the media-entries channel.

        Args:
            update: A parsed media-entries message.
        """
        for entry in update.resources:
            self._drop_entry(entry.resource_id)
            self._entries[entry.resource_id] = entry
            if entry.audio_csrc is not None:
                self._csrc_entries[entry.audio_csrc] = entry.resource_id
            for csrc in entry.video_csrcs:
                self._video_csrc_entries[csrc] = entry.resource_id
        for resource_id in update.deleted:
            self._drop_entry(resource_id)

    def _drop_entry(self, resource_id: int) -> None:
        old = self._entries.pop(resource_id, None)
        if old is None:
            return
        # A CSRC may already belong to a newer entry; only drop our own mappings.
        if old.audio_csrc is not None and self._csrc_entries.get(old.audio_csrc) == resource_id:
            del self._csrc_entries[old.audio_csrc]
        for csrc in old.video_csrcs:
            if self._video_csrc_entries.get(csrc) == resource_id:
                del self._video_csrc_entries[csrc]

    def speaker_for_csrc(self, csrc: int) -> Speaker | None:
        """Return who speaks with this audio CSRC.

        Args:
            csrc: The CSRC picked from an audio packet.

        Returns:
            The participant; a placeholder under the participant's key when the entry names
            a participant not delivered yet; None when no media entry has this CSRC.
        """
        resource_id = self._csrc_entries.get(csrc)
        if resource_id is None:
            return None
        key = _entry_key(self._entries[resource_id])
        return Speaker(key=key, display_name=self._name_for(key))

    def entry_for_video_csrc(self, csrc: int) -> int | None:
        """Return the media entry (resource id) whose video carries this CSRC, if any.

        Args:
            csrc: A CSRC of a video packet (not the magic 42).
        """
        return self._video_csrc_entries.get(csrc)

    def media_entry(self, resource_id: int) -> MediaEntry | None:
        """Return the current snapshot of a media entry, None when unknown or deleted."""
        return self._entries.get(resource_id)

    def video_tile(self, resource_id: int) -> TileInfo | None:
        """Return what a media entry's video is stored and shown as.

        Args:
            resource_id: The media entry, from a video CSRC or a video assignment canvas.

        Returns:
            The participant's camera tile, or the entry's own screenshare tile; a placeholder
            name when the participant was not delivered yet; None for an unknown entry.
        """
        entry = self._entries.get(resource_id)
        if entry is None:
            return None
        owner = _entry_key(entry)
        name = tile_name(self._name_for(owner), screenshare=entry.screenshare)
        key = screenshare_key(owner, resource_id) if entry.screenshare else owner
        return TileInfo(key=key, name=name, speaker_key=owner, screenshare=entry.screenshare)

    def _name_for(self, key: str) -> str:
        """The participant's name, or a new "Participant N" placeholder for an unknown key."""
        if key not in self._names:
            self._placeholders += 1
            self._names[key] = f"Participant {self._placeholders}"
        return self._names[key]

    def present(self) -> tuple[Speaker, ...]:
        """Return participants currently in the call, in order of first appearance."""
        live = {participant_key(p) for p in self._participants.values()}
        return tuple(
            Speaker(key=key, display_name=name) for key, name in self._names.items() if key in live
        )

    def everyone(self) -> tuple[Speaker, ...]:
        """Return everyone ever seen, placeholders included, in order of first appearance."""
        return tuple(Speaker(key=key, display_name=name) for key, name in self._names.items())

    def display_name(self, key: str) -> str | None:
        """Return the current name for a speaker key, None when the key was never seen."""
        return self._names.get(key)
