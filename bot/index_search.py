"""Search over BM25 postings: the scores of every passage, and the exact top k without reading
every posting (MaxScore), with numpy or, past a million postings, compiled (bot.maxscore).

It knows term ids and passage numbers only: `Index` turns a question's terms into ids and the
passages found into hits.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from collections.abc import Callable, Iterable

import numpy as np

log = logging.getLogger(__name__)

COMPILED_SEARCH_MIN_POSTINGS = 1_000_000  # from here on, searching runs compiled (bot.maxscore)


class Postings:
    """Each term's postings: the passages it occurs in, in order (`passages[offsets[t]:offsets[t + 1]]`
    for term id t), and its BM25 weight in each."""

    def __init__(self, offsets: np.ndarray, passages: np.ndarray, weights: np.ndarray, passage_count: int) -> None:
        self.offsets = offsets
        self.passages = passages
        self.weights = weights
        self.passage_count = passage_count
        self._buffers = threading.local()  # each thread's score buffer for top_k()

    def scores(self, term_ids: Iterable[int]) -> np.ndarray:
        """The score of every passage: the sum of the terms' weights in it (a term as often as given)."""
        scores = np.zeros(self.passage_count, dtype=np.float64)
        for term_id in term_ids:
            start, end = self.offsets[term_id], self.offsets[term_id + 1]
            scores[self.passages[start:end]] += self.weights[start:end]
        return scores

    def passages_with_all(self, term_ids: Iterable[int]) -> np.ndarray:
        """Positions of the passages that contain every one of the (distinct) terms, in order."""
        found: np.ndarray | None = None
        for term_id in term_ids:
            postings = self.passages[self.offsets[term_id] : self.offsets[term_id + 1]]
            found = postings if found is None else np.intersect1d(found, postings, assume_unique=True)
        return np.empty(0, dtype=np.int64) if found is None else found

    def top_k(self, counts: dict[int, float], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best passages holding at least one of the terms (each term id with how much it
        counts; at least one, and k > 0), and their scores, best first (ties by passage order).

        Terms are added rarest-weight first; once the k-th best partial score beats what all the
        remaining terms could add at most, no passage outside the candidates so far can reach the
        top k, and the remaining terms are only looked up for the candidates that still can. Past
        a million postings the same search runs compiled, a passage at a time (bot.maxscore).
        """
        bounds, lowest = self._weight_bounds
        # Pruning needs weights that only add: with BM25Okapi's IDF floor below zero (a tiny corpus
        # where most terms are everywhere) a weight can be negative, and every posting is read.
        prune = all(lowest[t] >= 0 for t in counts)
        if len(self.passages) >= COMPILED_SEARCH_MIN_POSTINGS and (top_k := _compiled_top_k()) is not None:
            return self._compiled_search(top_k, counts, bounds, prune, k)
        order = sorted(counts, key=lambda t: -bounds[t] * counts[t])
        left = np.cumsum([bounds[t] * counts[t] for t in order][::-1])[::-1].tolist() + [0.0]  # still to add
        scores = self._score_buffer()
        touched: list[np.ndarray] = []
        try:
            processed, threshold = 0, -math.inf
            for term_id in order:
                start, end = self.offsets[term_id], self.offsets[term_id + 1]
                postings = self.passages[start:end]
                scores[postings] += self.weights[start:end] * counts[term_id]
                touched.append(postings)
                processed += 1
                if prune and processed < len(order):
                    threshold = _kth_best(scores, touched, k)
                    if threshold > left[processed]:
                        break
            matched = np.concatenate(touched) if len(touched) > 1 else touched[0]
            values = scores[matched]
            if processed < len(order):  # only passages that the remaining terms could lift to the top k
                matched = matched[values + left[processed] >= threshold]
            elif len(matched) > k * len(touched):  # the k × terms best postings hold the k best passages
                cut = len(matched) - k * len(touched)
                matched = matched[values >= np.partition(values, cut)[cut]]  # ties at the cut stay
            candidates = _distinct(matched)
            candidate_scores = scores[candidates]
            for term_id in order[processed:]:
                candidate_scores += self._weights_of(term_id, candidates) * counts[term_id]
        finally:
            for postings in touched:
                scores[postings] = 0.0
        if len(candidates) > k:
            kth_best = np.partition(candidate_scores, len(candidates) - k)[len(candidates) - k]
            within = candidate_scores >= kth_best  # ties at the cut stay, to go by passage order
            candidates, candidate_scores = candidates[within], candidate_scores[within]
        ranked = np.lexsort((candidates, -candidate_scores))[:k]
        return candidates[ranked], candidate_scores[ranked]

    def _compiled_search(
        self,
        top_k: Callable[..., tuple[np.ndarray, np.ndarray]],
        counts: dict[int, float],
        bounds: list[float],
        prune: bool,
        k: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        order = sorted(counts, key=lambda t: (bounds[t] * counts[t], t))
        passages, scores = top_k(
            self.offsets,
            self.passages,
            self.weights,
            np.array(order, dtype=np.int64),
            np.array([counts[t] for t in order], dtype=np.float64),
            np.array([bounds[t] * counts[t] for t in order], dtype=np.float64),
            k,
            prune,
        )
        ranked = np.lexsort((passages, -scores))
        return passages[ranked], scores[ranked]

    def _weights_of(self, term_id: int, passages: np.ndarray) -> np.ndarray:
        """A term's weight in each of the (sorted) passages; 0 where it does not occur."""
        start, end = self.offsets[term_id], self.offsets[term_id + 1]
        postings = self.passages[start:end]
        at = np.minimum(np.searchsorted(postings, passages), len(postings) - 1)
        found = postings[at] == passages
        return np.where(found, self.weights[start:end][at], 0.0)

    @functools.cached_property
    def _weight_bounds(self) -> tuple[list[float], list[float]]:
        """Each term's largest and smallest weight in any passage (the most it can add to a score)."""
        terms = len(self.offsets) - 1
        if not len(self.weights):
            return [0.0] * terms, [0.0] * terms
        starts = self.offsets[:-1].clip(max=len(self.weights) - 1)
        largest = np.maximum.reduceat(self.weights, starts).astype(np.float64)
        smallest = np.minimum.reduceat(self.weights, starts).astype(np.float64)
        return largest.tolist(), smallest.tolist()

    def _score_buffer(self) -> np.ndarray:
        buffer = getattr(self._buffers, "scores", None)
        if buffer is None:
            buffer = self._buffers.scores = np.zeros(self.passage_count, dtype=np.float64)
        return buffer


def _kth_best(scores: np.ndarray, touched: list[np.ndarray], k: int) -> float:
    """A lower bound of the k-th best score among the passages touched so far (-inf if fewer).

    A passage is in each term's postings at most once, so the k × terms best postings span at
    least k passages: the smallest of them bounds the k-th best passage from below, found
    without sorting out repeats.
    """
    values = scores[np.concatenate(touched)] if len(touched) > 1 else scores[touched[0]]
    keep = k * len(touched)
    if len(values) < keep:
        return -math.inf
    return float(np.partition(values, len(values) - keep)[len(values) - keep])


@functools.cache
def _compiled_top_k() -> Callable[..., tuple[np.ndarray, np.ndarray]] | None:
    """bot.maxscore's search, loaded (with numba) only for an index large enough to gain from it;
    None where numba cannot be loaded: the search is then numpy's, slower but the same."""
    try:
        from .maxscore import top_k
    except ImportError as error:
        log.warning("compiled search unavailable (%s): searching with numpy", error)
        return None
    return top_k


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: np.unique, by a sort (numpy's hash-table unique is many times
    slower on these arrays of passage numbers)."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered
