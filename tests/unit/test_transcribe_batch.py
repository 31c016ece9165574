"""Utterances transcribed together, and the text split back between them."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from recorder.transcribe.batch import GAP_SECONDS, split_pieces, take_batch
from recorder.transcribe.engine import Piece, Word
from recorder.transcribe.vad import RATE, Utterance


def utterance(start: float, seconds: float) -> Utterance:
    return Utterance(start=int(start * RATE), audio=np.full(int(seconds * RATE), 0.1, np.float32))


def test_waiting_utterances_are_joined_with_a_pause_up_to_the_limit() -> None:
    waiting = deque([utterance(0, 3.0), utterance(5, 2.0), utterance(9, 10.0), utterance(30, 1.0)])
    batch = take_batch(waiting, max_seconds=16.0)
    assert len(batch.utterances) == 3
    assert batch.offsets == pytest.approx((0.0, 3.0 + GAP_SECONDS, 5.0 + 2 * GAP_SECONDS))
    assert len(batch.audio) == int((15.0 + 2 * GAP_SECONDS) * RATE)
    gap = batch.audio[3 * RATE : int((3.0 + GAP_SECONDS) * RATE)]
    assert not gap.any()
    assert [u.start for u in waiting] == [30 * RATE]
    last = waiting[0]
    alone = take_batch(waiting)
    assert alone.utterances == (last,)
    assert alone.offsets == (0.0,)
    assert alone.audio is last.audio  # not copied
    assert not waiting


def test_a_batch_always_takes_at_least_one() -> None:
    batch = take_batch(deque([utterance(0, 20.0), utterance(30, 1.0)]), max_seconds=5.0)
    assert len(batch.utterances) == 1


def piece(start: float, end: float, text: str, words: tuple[Word, ...] = ()) -> Piece:
    return Piece(start, end, text, no_speech_prob=0.1, avg_logprob=-0.2, words=words)


def test_words_are_split_between_the_utterances_they_were_said_in() -> None:
    waiting = deque([utterance(10, 2.0), utterance(20, 1.5)])
    batch = take_batch(waiting)
    second = batch.offsets[1]
    words = (
        Word(0.1, 0.5, " Good"),
        Word(0.5, 1.8, " morning."),
        Word(second + 0.2, second + 0.6, " Hello"),
        Word(second + 0.6, second + 1.3, " there."),
    )
    first_part, second_part = split_pieces(batch, [piece(0.0, second + 1.4, "...", words)])
    assert [p.text for p in first_part] == ["Good morning."]
    assert [p.text for p in second_part] == ["Hello there."]
    assert (first_part[0].start, first_part[0].end) == pytest.approx((0.1, 1.8))
    assert (second_part[0].start, second_part[0].end) == pytest.approx((0.2, 1.3))


def test_pieces_without_words_go_where_they_start() -> None:
    batch = take_batch(deque([utterance(0, 2.0), utterance(5, 2.0)]))
    second = batch.offsets[1]
    shares = split_pieces(batch, [piece(0.0, 1.9, "one"), piece(second + 0.1, second + 1.5, "two")])
    assert [[p.text for p in share] for share in shares] == [["one"], ["two"]]
    assert shares[1][0].start == pytest.approx(0.1)


def test_a_single_utterance_keeps_its_pieces() -> None:
    batch = take_batch(deque([utterance(3, 2.0)]))
    pieces = [piece(0.0, 1.0, "one"), piece(1.0, 2.0, "two")]
    assert split_pieces(batch, pieces) == [pieces]
