"""Word error rate: how far a transcript is from the known text (tests and benchmarks)."""

from __future__ import annotations

import re

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_NUMBER = re.compile(r"\d+")
_PUNCTUATION = re.compile(r"[^\w\s]+")


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / words in the reference.

    Both texts are normalized first: lower case, punctuation and apostrophes dropped,
    hyphens split words, numbers below a million spelled out ("42" is "forty two").

    Returns:
        0.0 for a perfect match; may exceed 1.0. With an empty reference: 0.0 if the
        hypothesis is empty too, else 1.0.
    """
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return _distance(ref, hyp) / len(ref)


def words(text: str) -> list[str]:
    """The normalized words of ``text``."""
    text = text.lower().replace("'", "").replace("’", "").replace("-", " ")
    text = _NUMBER.sub(lambda m: f" {spell(int(m.group()))} ", text)
    return _PUNCTUATION.sub(" ", text).split()


def spell(number: int) -> str:
    """English words for ``number`` (digits again from a million on)."""
    if number >= 1_000_000:
        return str(number)
    if number >= 1000:
        thousands, rest = divmod(number, 1000)
        return f"{spell(thousands)} thousand" + (f" {spell(rest)}" if rest else "")
    if number >= 100:
        hundreds, rest = divmod(number, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {spell(rest)}" if rest else "")
    if number >= 20:
        tens, rest = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[rest]}" if rest else "")
    return _ONES[number]


def _distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance over words (one row at a time)."""
    previous = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        current = [i]
        for j, other in enumerate(hyp, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
            )
        previous = current
    return previous[-1]
