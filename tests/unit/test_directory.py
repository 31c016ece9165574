"""The conference directory: participants, media entries and CSRC ownership."""

from __future__ import annotations

from recorder.channels.media_entries import MediaEntriesUpdate, MediaEntry
from recorder.channels.participants import Participant, ParticipantKind, ParticipantsUpdate
from recorder.directory import ConferenceDirectory
from recorder.model import Speaker


def person(
    resource_id: int,
    key: str | None,
    display_name: str,
    kind: ParticipantKind = ParticipantKind.SIGNED_IN,
    name: str | None = None,
) -> Participant:
    return Participant(
        resource_id=resource_id,
        participant_key=key,
        name=name,
        display_name=display_name,
        kind=kind,
        user="users/1" if kind is ParticipantKind.SIGNED_IN else None,
        participant_id=None,
    )


def entry(resource_id: int, key: str | None, csrc: int | None) -> MediaEntry:
    return MediaEntry(
        resource_id=resource_id,
        participant_key=key,
        participant=None,
        session_name=None,
        audio_csrc=csrc,
        video_csrcs=(),
        presenter=False,
        screenshare=False,
        audio_muted=False,
        video_muted=False,
    )


def people(*resources: Participant, deleted: tuple[int, ...] = ()) -> ParticipantsUpdate:
    return ParticipantsUpdate(resources=resources, deleted=deleted)


def entries(*resources: MediaEntry, deleted: tuple[int, ...] = ()) -> MediaEntriesUpdate:
    return MediaEntriesUpdate(resources=resources, deleted=deleted)


def test_csrc_resolves_through_entry_to_participant() -> None:
    directory = ConferenceDirectory()
    changed = directory.apply_participants(people(person(3, "participants/a", "Alice")))
    directory.apply_media_entries(entries(entry(12, "participants/a", 1111)))
    assert changed == (Speaker("participants/a", "Alice"),)
    assert directory.speaker_for_csrc(1111) == Speaker("participants/a", "Alice")
    assert directory.speaker_for_csrc(9999) is None


def test_entry_before_participant_gets_placeholder_then_name_with_same_key() -> None:
    directory = ConferenceDirectory()
    directory.apply_media_entries(entries(entry(12, "participants/a", 1111)))
    directory.apply_media_entries(entries(entry(13, "participants/b", 2222)))
    assert directory.speaker_for_csrc(1111) == Speaker("participants/a", "Participant 1")
    assert directory.speaker_for_csrc(2222) == Speaker("participants/b", "Participant 2")
    assert directory.speaker_for_csrc(1111) == Speaker("participants/a", "Participant 1")
    assert directory.present() == ()
    changed = directory.apply_participants(people(person(3, "participants/a", "Alice")))
    assert changed == (Speaker("participants/a", "Alice"),)
    assert directory.speaker_for_csrc(1111) == Speaker("participants/a", "Alice")
    assert directory.display_name("participants/b") == "Participant 2"
    assert directory.everyone() == (
        Speaker("participants/a", "Alice"),
        Speaker("participants/b", "Participant 2"),
    )


def test_entry_without_participant_key() -> None:
    directory = ConferenceDirectory()
    directory.apply_media_entries(entries(entry(12, None, 1111)))
    assert directory.speaker_for_csrc(1111) == Speaker("csrc-1111", "Participant 1")


def test_kinds_and_guest_name() -> None:
    directory = ConferenceDirectory()
    changed = directory.apply_participants(
        people(
            person(1, "participants/a", "Alice"),
            person(2, "participants/b", "Bob", ParticipantKind.ANONYMOUS),
            person(3, "participants/c", "+1 555", ParticipantKind.PHONE),
            person(4, "participants/d", "", ParticipantKind.ANONYMOUS),
        )
    )
    assert [s.display_name for s in changed] == ["Alice", "Bob", "+1 555", "Guest"]


def test_key_falls_back_to_name_then_resource_id() -> None:
    directory = ConferenceDirectory()
    changed = directory.apply_participants(
        people(
            person(1, None, "A", name="conferenceRecords/r/participants/p"),
            person(2, None, "B"),
        )
    )
    assert [s.key for s in changed] == ["conferenceRecords/r/participants/p", "participant-2"]


def test_rename_reported_once_and_unchanged_snapshot_not_reported() -> None:
    directory = ConferenceDirectory()
    directory.apply_participants(people(person(1, "participants/a", "Alice")))
    assert directory.apply_participants(people(person(1, "participants/a", "Alice"))) == ()
    renamed = directory.apply_participants(people(person(1, "participants/a", "Alice S.")))
    assert renamed == (Speaker("participants/a", "Alice S."),)
    assert directory.display_name("participants/a") == "Alice S."
    assert directory.display_name("participants/zzz") is None


def test_deletion_keeps_name_for_everyone() -> None:
    directory = ConferenceDirectory()
    directory.apply_participants(
        people(person(1, "participants/a", "Alice"), person(2, "participants/b", "Bob"))
    )
    directory.apply_participants(people(deleted=(1,)))
    assert directory.present() == (Speaker("participants/b", "Bob"),)
    assert directory.everyone() == (
        Speaker("participants/a", "Alice"),
        Speaker("participants/b", "Bob"),
    )
    assert directory.display_name("participants/a") == "Alice"


def test_two_resource_ids_for_one_key() -> None:
    directory = ConferenceDirectory()
    directory.apply_participants(people(person(1, "participants/a", "Alice")))
    changed = directory.apply_participants(people(person(7, "participants/a", "Alice")))
    assert changed == ()
    directory.apply_participants(people(deleted=(1,)))
    assert directory.present() == (Speaker("participants/a", "Alice"),)
    directory.apply_participants(people(deleted=(7,)))
    assert directory.present() == ()
    directory.apply_participants(people(person(9, "participants/a", "Alice")))
    assert directory.present() == (Speaker("participants/a", "Alice"),)


def test_media_entry_deletion_drops_csrc() -> None:
    directory = ConferenceDirectory()
    directory.apply_participants(people(person(1, "participants/a", "Alice")))
    directory.apply_media_entries(entries(entry(12, "participants/a", 1111)))
    directory.apply_media_entries(entries(deleted=(12,)))
    assert directory.speaker_for_csrc(1111) is None
    directory.apply_media_entries(entries(deleted=(99,)))


def test_csrc_reuse_after_deletion() -> None:
    directory = ConferenceDirectory()
    directory.apply_participants(
        people(person(1, "participants/a", "Alice"), person(2, "participants/b", "Bob"))
    )
    directory.apply_media_entries(entries(entry(12, "participants/a", 1111)))
    directory.apply_media_entries(entries(entry(15, "participants/b", 1111), deleted=(12,)))
    assert directory.speaker_for_csrc(1111) == Speaker("participants/b", "Bob")


def test_csrc_taken_over_before_old_entry_is_deleted() -> None:
    directory = ConferenceDirectory()
    directory.apply_participants(
        people(person(1, "participants/a", "Alice"), person(2, "participants/b", "Bob"))
    )
    directory.apply_media_entries(entries(entry(12, "participants/a", 1111)))
    directory.apply_media_entries(entries(entry(15, "participants/b", 1111)))
    directory.apply_media_entries(entries(deleted=(12,)))
    assert directory.speaker_for_csrc(1111) == Speaker("participants/b", "Bob")


def test_snapshot_replaces_csrc_of_same_entry() -> None:
    directory = ConferenceDirectory()
    directory.apply_participants(people(person(1, "participants/a", "Alice")))
    directory.apply_media_entries(entries(entry(12, "participants/a", 1111)))
    directory.apply_media_entries(entries(entry(12, "participants/a", 3333)))
    assert directory.speaker_for_csrc(1111) is None
    assert directory.speaker_for_csrc(3333) == Speaker("participants/a", "Alice")
    directory.apply_media_entries(entries(entry(12, "participants/a", None)))
    assert directory.speaker_for_csrc(3333) is None
