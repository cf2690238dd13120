"""Exact BM25 top k over a large index, compiled: the search of bot.index_search past a million postings.

Document at a time over the query terms' postings (each sorted by passage), with MaxScore: terms
are ordered by the most each can add; once the k-th best score so far exceeds what the weakest
terms could add together, those terms only lift passages found through the others, and are looked
up for them by galloping forward, never walked. numba compiles it once per machine (cached beside
this file); importing numba and loading the compiled code take a few tenths of a second, which a
small index's searches would never win back, so `index_search` imports this module only for a large one.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def top_k(
    offsets: np.ndarray,
    passages: np.ndarray,
    weights: np.ndarray,
    term_ids: np.ndarray,
    factors: np.ndarray,
    bounds: np.ndarray,
    k: int,
    prune: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The k best passages holding any of the terms, and their scores (unordered).

    A passage's score is the sum over the terms of its weight times the term's factor, added in
    the terms' order, so that equal passages score exactly equal. Ties go to the earlier passage.
    `term_ids` come ordered by `bounds` (the most each can add) ascending; `prune` only where no
    weight is negative (BM25Okapi's IDF floor can make one so in a tiny corpus).
    """
    count = len(term_ids)
    at = np.empty(count, dtype=np.int64)
    end = np.empty(count, dtype=np.int64)
    weakest = np.empty(count, dtype=np.float64)  # weakest[j]: the most terms 0..j add together
    total = 0.0
    for j in range(count):
        at[j] = offsets[term_ids[j]]
        end[j] = offsets[term_ids[j] + 1]
        total += bounds[j]
        weakest[j] = total
    added = np.zeros(count, dtype=np.float64)
    best_scores = np.empty(k, dtype=np.float64)  # a heap, the k-th best at its root
    best_passages = np.empty(k, dtype=np.int64)
    held = 0
    threshold = -np.inf
    essential = 0  # terms before this one cannot reach the threshold together
    none = np.iinfo(np.int64).max
    while essential < count:
        passage = none
        for j in range(essential, count):
            if at[j] < end[j] and passages[at[j]] < passage:
                passage = passages[at[j]]
        if passage == none:
            break
        reachable = 0.0
        for j in range(essential, count):
            added[j] = 0.0
            if at[j] < end[j] and passages[at[j]] == passage:
                added[j] = weights[at[j]] * factors[j]
                reachable += added[j]
                at[j] += 1
        viable = True
        for j in range(essential - 1, -1, -1):
            if reachable + weakest[j] < threshold:
                viable = False
                break
            at[j] = _first_at_or_after(passages, at[j], end[j], passage)
            added[j] = 0.0
            if at[j] < end[j] and passages[at[j]] == passage:
                added[j] = weights[at[j]] * factors[j]
                reachable += added[j]
        if not viable:
            continue
        score = 0.0
        for j in range(count):
            score += added[j]
        if held < k:
            _push(best_scores, best_passages, held, score, passage)
            held += 1
        elif _ranks_before(score, passage, best_scores[0], best_passages[0]):
            _replace_root(best_scores, best_passages, k, score, passage)
        else:
            continue
        if prune and held == k:
            threshold = best_scores[0] - 1e-9 * abs(best_scores[0]) - 1e-12  # slack for the order of adding
            while essential < count and weakest[essential] < threshold:
                essential += 1
    return best_passages[:held], best_scores[:held]


@njit(cache=True, nogil=True)
def _first_at_or_after(passages: np.ndarray, low: int, high: int, passage: int) -> int:
    """The first position in low…high-1 whose passage is at or after `passage`: gallop, then bisect."""
    step = 1
    while low + step < high and passages[low + step] < passage:
        low += step
        step <<= 1
    high = min(low + step + 1, high)
    while low < high:
        middle = (low + high) >> 1
        if passages[middle] < passage:
            low = middle + 1
        else:
            high = middle
    return low


@njit(cache=True, nogil=True)
def _ranks_before(score: float, passage: int, other_score: float, other_passage: int) -> bool:
    return score > other_score or (score == other_score and passage < other_passage)


@njit(cache=True, nogil=True)
def _push(scores: np.ndarray, passages: np.ndarray, held: int, score: float, passage: int) -> None:
    child = held
    while child > 0:
        parent = (child - 1) >> 1
        if not _ranks_before(scores[parent], passages[parent], score, passage):
            break
        scores[child], passages[child] = scores[parent], passages[parent]
        child = parent
    scores[child], passages[child] = score, passage


@njit(cache=True, nogil=True)
def _replace_root(scores: np.ndarray, passages: np.ndarray, size: int, score: float, passage: int) -> None:
    parent = 0
    while True:
        child = 2 * parent + 1
        if child >= size:
            break
        if child + 1 < size and _ranks_before(scores[child], passages[child], scores[child + 1], passages[child + 1]):
            child += 1
        if _ranks_before(scores[child], passages[child], score, passage):
            break
        scores[parent], passages[parent] = scores[child], passages[child]
        parent = child
    scores[parent], passages[parent] = score, passage
