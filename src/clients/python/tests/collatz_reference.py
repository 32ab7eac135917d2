"""An independent, plain-Python Collatz reference for the tests (big integers, no shortcuts)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


def terms(n: int) -> list[int]:
    """Every term from n down to 1."""
    if n < 1:
        raise ValueError(n)
    out = [n]
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        out.append(n)
    return out


def operations(n: int) -> list[str]:
    """The rule that produced each term: start, then odd (3n+1) or even (n/2)."""
    t = terms(n)
    return ["start"] + ["even" if prev % 2 == 0 else "odd" for prev in t[:-1]]


@dataclass(frozen=True)
class Stats:
    number: int
    sequence_length: int
    steps_to_one: int
    max_value: Decimal


def stats(n: int) -> Stats:
    t = terms(n)
    return Stats(n, len(t), len(t) - 1, Decimal(max(t)))


def analyze(start: int, end: int) -> tuple[int, int, int, Decimal]:
    """(longest_sequence, its length, highest_peak, its peak) over [start, end], ties to the smaller number."""
    best_len = best_peak = None
    for n in range(start, end + 1):
        s = stats(n)
        if best_len is None or s.sequence_length > best_len.sequence_length:
            best_len = s
        if best_peak is None or s.max_value > best_peak.max_value:
            best_peak = s
    assert best_len is not None and best_peak is not None
    return best_len.number, best_len.sequence_length, best_peak.number, best_peak.max_value
