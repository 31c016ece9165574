"""The conference's participants and media entries by resource id, and who owns a CSRC."""

from __future__ import annotations

from recorder.channels.media_entries import MediaEntriesUpdate, MediaEntry
from recorder.channels.participants import Participant, ParticipantsUpdate
from recorder.model import Speaker

GUEST = "Guest"


def participant_key(participant: Participant) -> str:
    """Return the stable key of a participant: ``participantKey``, else ``name``, else its id.

    One participant can show up under several resource ids, so resource ids are not keys.
    """
    return (
        participant.participant_key or participant.name or f"participant-{participant.resource_id}"
    )


def _entry_key(entry: MediaEntry, csrc: int) -> str:
    # A media entry names its participant by participantKey; "participant" matches the
    # participant's ``name`` fallback.
    return entry.participant_key or entry.participant or f"csrc-{csrc}"


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
        for resource_id in update.deleted:
            self._drop_entry(resource_id)

    def _drop_entry(self, resource_id: int) -> None:
        old = self._entries.pop(resource_id, None)
        if old is None or old.audio_csrc is None:
            return
        # The CSRC may already belong to a newer entry; only drop our own mapping.
        if self._csrc_entries.get(old.audio_csrc) == resource_id:
            del self._csrc_entries[old.audio_csrc]

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
        key = _entry_key(self._entries[resource_id], csrc)
        if key not in self._names:
            self._placeholders += 1
            self._names[key] = f"Participant {self._placeholders}"
        return Speaker(key=key, display_name=self._names[key])

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
