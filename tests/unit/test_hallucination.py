"""What Whisper invents on non-speech is dropped; what people say is kept."""

from __future__ import annotations

import pytest

from recorder.transcribe.engine import Piece
from recorder.transcribe.hallucination import keep_speech


def piece(text: str, *, no_speech: float = 0.1, logprob: float = -0.3) -> Piece:
    return Piece(start=0.0, end=1.0, text=text, no_speech_prob=no_speech, avg_logprob=logprob)


@pytest.mark.parametrize(
    "pieces",
    [
        [piece("You", no_speech=0.95, logprob=-0.96)],  # what tiny.en says to digital silence
        [piece("you")],
        [piece("Thanks for watching!")],
        [piece("Thank you for watching.")],
        [piece("[Music]")],
        [piece("(applause)")],
        [piece("♪ ♪")],
        [piece("Subtitles by the Amara.org community")],
        [piece("Transcription by CastingWords")],
        [piece("Oh", no_speech=0.74, logprob=-0.92)],  # a breath
        [piece("Thank you.", no_speech=0.7, logprob=-0.5)],  # said to a cough
        [piece("...")],
        [piece("")],
        [piece("Hello there, how are you?", no_speech=0.8, logprob=-1.4)],  # Whisper's own rule
        [piece("the " * 30)],  # a decoding loop
        [piece("You"), piece("Thanks for watching!")],
    ],
)
def test_inventions_are_dropped(pieces: list[Piece]) -> None:
    assert keep_speech(pieces) == []


@pytest.mark.parametrize(
    "pieces",
    [
        [piece("Thank you.", no_speech=0.35, logprob=-0.6)],  # espeak saying it, as tiny.en hears
        [piece("Okay", no_speech=0.24, logprob=-0.58)],
        [piece("Bye!", no_speech=0.23, logprob=-0.77)],
        [piece("Let us start the meeting.", no_speech=0.7, logprob=-0.4)],  # sure of the words
        [piece("Thank you for the update, see you tomorrow.")],
        [piece("You know what I mean?")],
    ],
)
def test_speech_is_kept(pieces: list[Piece]) -> None:
    assert keep_speech(pieces) == pieces


def test_only_the_invented_pieces_of_an_utterance_go() -> None:
    real = piece("We ship on Friday.")
    assert keep_speech([real, piece("[Music]"), piece("the " * 30)]) == [real]
    assert keep_speech([piece("Thank you."), real]) == [piece("Thank you."), real]
