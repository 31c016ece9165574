"""Word error rate, with the normalization transcripts need."""

from __future__ import annotations

import pytest

from recorder.transcribe.wer import spell, word_error_rate, words


@pytest.mark.parametrize(
    ("reference", "hypothesis", "rate"),
    [
        ("the cat sat", "the cat sat", 0.0),
        ("The cat, sat.", "the CAT sat", 0.0),
        ("the cat sat", "the bat sat", 1 / 3),  # substitution
        ("the cat sat", "the sat", 1 / 3),  # deletion
        ("the cat sat", "the cat sat down", 1 / 3),  # insertion
        ("the cat sat", "", 1.0),
        ("a b", "c d e f", 2.0),  # can exceed 1
        ("", "", 0.0),
        ("", "hello", 1.0),
        ("We don't ship on Friday", "we dont ship on friday", 0.0),
        ("a follow-up call", "a follow up call", 0.0),
        ("fix 2 bugs by 10", "fix two bugs by ten", 0.0),
    ],
)
def test_word_error_rate(reference: str, hypothesis: str, rate: float) -> None:
    assert word_error_rate(reference, hypothesis) == pytest.approx(rate)


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (40, "forty"),
        (42, "forty two"),
        (100, "one hundred"),
        (2024, "two thousand twenty four"),
        (999_999, "nine hundred ninety nine thousand nine hundred ninety nine"),
        (1_000_000, "1000000"),
    ],
)
def test_numbers_are_spelled_out(number: int, text: str) -> None:
    assert spell(number) == text


def test_words_are_normalized() -> None:
    assert words("Hello, World! It's 3 o'clock.") == ["hello", "world", "its", "three", "oclock"]
