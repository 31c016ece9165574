"""Transcribe a speaker's waiting utterances together, and split the text back between them.

Whisper costs about the same for 2 s of audio as for 25 s (its encoder always reads a 30 s
window), so when utterances queue up behind a busy engine, one call for all of them is
several times cheaper than one call each.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from recorder.transcribe.engine import Piece
from recorder.transcribe.vad import RATE, Pcm, Utterance

MAX_SECONDS = 25.0  # of audio in one batch: inside Whisper's 30 s window
GAP_SECONDS = 0.4  # silence between utterances, so the engine hears a pause


@dataclass(frozen=True, slots=True)
class Batch:
    """Utterances laid end to end with a short silence between them.

    Attributes:
        utterances: in order.
        offsets: where each utterance starts in ``audio``, seconds.
        audio: float32 mono 16 kHz.
    """

    utterances: tuple[Utterance, ...]
    offsets: tuple[float, ...]
    audio: Pcm


def take_batch(waiting: deque[Utterance], *, max_seconds: float = MAX_SECONDS) -> Batch:
    """Remove the first utterance of ``waiting`` and those after it that still fit.

    Raises:
        IndexError: Nothing is waiting.
    """
    gap = np.zeros(round(GAP_SECONDS * RATE), dtype=np.float32)
    limit = round(max_seconds * RATE)
    taken = [waiting.popleft()]
    size = len(taken[0].audio)
    while waiting and size + len(gap) + len(waiting[0].audio) <= limit:
        size += len(gap) + len(waiting[0].audio)
        taken.append(waiting.popleft())
    parts: list[Pcm] = []
    offsets = []
    at = 0
    for utterance in taken:
        if parts:
            parts.append(gap)
            at += len(gap)
        offsets.append(at / RATE)
        parts.append(utterance.audio)
        at += len(utterance.audio)
    audio = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return Batch(utterances=tuple(taken), offsets=tuple(offsets), audio=audio)


def split_pieces(batch: Batch, pieces: list[Piece]) -> list[list[Piece]]:
    """Each utterance's share of the batch's pieces, with times relative to that utterance.

    Words go to the utterance their middle falls in (or the nearest one); a piece without
    word times goes whole to the utterance its start falls in.
    """
    shares: list[list[Piece]] = [[] for _ in batch.utterances]
    for piece in pieces:
        if len(batch.utterances) == 1:
            shares[0].append(piece)
        elif piece.words:
            for index, part in _by_utterance(batch, piece).items():
                shares[index].append(part)
        else:
            index = _utterance_at(batch, piece.start)
            shares[index].append(_shift(piece, batch.offsets[index]))
    return shares


def _by_utterance(batch: Batch, piece: Piece) -> dict[int, Piece]:
    groups: dict[int, list[int]] = {}
    for n, word in enumerate(piece.words):
        groups.setdefault(_utterance_at(batch, (word.start + word.end) / 2), []).append(n)
    parts = {}
    for index, members in groups.items():
        words = [piece.words[n] for n in members]
        offset = batch.offsets[index]
        parts[index] = Piece(
            start=max(0.0, words[0].start - offset),
            end=max(0.0, words[-1].end - offset),
            text="".join(w.text for w in words).strip(),
            no_speech_prob=piece.no_speech_prob,
            avg_logprob=piece.avg_logprob,
        )
    return parts


def _utterance_at(batch: Batch, seconds: float) -> int:
    """The utterance holding that moment of the batch, or the closest one."""
    best, distance = 0, float("inf")
    for index, (offset, utterance) in enumerate(zip(batch.offsets, batch.utterances, strict=True)):
        end = offset + len(utterance.audio) / RATE
        away = max(offset - seconds, seconds - end, 0.0)
        if away < distance:
            best, distance = index, away
    return best


def _shift(piece: Piece, offset: float) -> Piece:
    return Piece(
        start=max(0.0, piece.start - offset),
        end=max(0.0, piece.end - offset),
        text=piece.text,
        no_speech_prob=piece.no_speech_prob,
        avg_logprob=piece.avg_logprob,
    )
