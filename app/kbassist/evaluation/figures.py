"""The figures both evaluations report: shares, the rank of the first acceptable result, MRR (4 places)."""

from __future__ import annotations

from collections.abc import Container, Sequence


def share(values: Sequence[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def first_hit(ids: Sequence[str], good: Container[str]) -> int | None:
    """The rank (from 1) of the first acceptable result, None when there is none."""
    return next((rank for rank, item in enumerate(ids, 1) if item in good), None)


def recall_at(firsts: Sequence[int | None], depth: int) -> float:
    return share([first is not None and first <= depth for first in firsts])


def mrr(firsts: Sequence[int | None]) -> float:
    return round(sum(1.0 / first for first in firsts if first) / len(firsts), 4) if firsts else 0.0
