"""Drop what Whisper invents on non-speech (breaths, clicks, noise) before anyone sees it."""

from __future__ import annotations

import re
import zlib

from recorder.transcribe.engine import Piece

NO_SPEECH = 0.6  # Whisper's own rule: likely no speech ...
LOW_LOGPROB = -1.0  # ... and a poor guess at the words
DOUBTFUL = 0.5  # no-speech belief above which a common short phrase alone is not trusted
MAX_COMPRESSION = 2.4  # Whisper's repetition-loop limit (gzip ratio of the text)

# Said alone, these are Whisper's well-known inventions on silence and noise, never speech
# worth a transcript line (subtitle credits from its training data, tags, fillers).
_INVENTED = frozenset(
    {
        "you",
        "thanks for watching",
        "thank you for watching",
        "thank you so much for watching",
        "thanks for watching and see you next time",
        "please subscribe",
        "like and subscribe",
        "please like and subscribe",
        "see you next time",
        "see you in the next video",
        "music",
        "applause",
        "laughter",
        "silence",
        "blank audio",
        "no speech",
        "inaudible",
        "uh",
        "um",
        "hmm",
        "mm",
        "mhm",
        "ah",
        "oh",
        "ugh",
        "huh",
    }
)
# Real people say these too: dropped when alone only if the engine doubts there was speech.
_COMMON = frozenset({"thank you", "thanks", "thank you very much", "bye", "bye bye", "okay", "so"})
_CREDITS = re.compile(
    r"\b(subtitles?|captions?|transcript(ion)?s?|translat(ed|ion)s?)\s+(by|from)\b"
    r"|\bamara\.org\b|\bcastingwords\b",
    re.IGNORECASE,
)
_TAG = re.compile(r"^\s*[\[(♪*][^\])]*[\])♪*]?\s*$")  # [Music], (applause), ♪ ... ♪
_WORDS = re.compile(r"[^\w\s']+")


def keep_speech(pieces: list[Piece]) -> list[Piece]:
    """The pieces of one utterance that are speech, without the engine's inventions.

    Args:
        pieces: everything the engine recognized in one utterance, in order.

    Returns:
        The pieces worth a transcript line (possibly none).
    """
    real = [p for p in pieces if not _invented_piece(p)]
    if real and _invented_utterance(real):
        return []
    return real


def _invented_piece(piece: Piece) -> bool:
    if not normalize(piece.text):
        return True  # punctuation only
    if piece.no_speech_prob > NO_SPEECH and piece.avg_logprob < LOW_LOGPROB:
        return True
    return (
        _TAG.match(piece.text) is not None
        or _CREDITS.search(piece.text) is not None
        or _repetitive(piece.text)
    )


def _invented_utterance(pieces: list[Piece]) -> bool:
    """Whether all the utterance holds is phrases Whisper makes up on noise."""
    whole = normalize(" ".join(p.text for p in pieces))
    if _known(whole, max(p.no_speech_prob for p in pieces)):
        return True
    return all(_known(normalize(p.text), p.no_speech_prob) for p in pieces)


def _known(text: str, doubt: float) -> bool:
    return text in _INVENTED or (text in _COMMON and doubt > DOUBTFUL)


def _repetitive(text: str) -> bool:
    """A decoding loop ("the the the the ..."): text that compresses far too well."""
    data = text.encode()
    if len(data) < 40:
        return False
    return len(data) / len(zlib.compress(data)) > MAX_COMPRESSION


def normalize(text: str) -> str:
    """Lower case, punctuation removed, single spaces: how phrases are compared."""
    return " ".join(_WORDS.sub(" ", text.lower()).split())
