"""Other forms of a question's word, where the stemmer parts them from the documents' form.

Snowball stems "representation" to "represent" but "represented" to "repres", "legitimacy" to
"legitimaci" but "legitimate" to "legitim", "occupy" to "occupi" but "occupation" to "occup": a
question worded with one form would find nothing in documents that use the other, and would
count that word as one the documents never use. So a question term that the index lacks is
searched as the index's term that begins it (in five letters or more) or that it begins (in
six or more: "stand" begins "standard"), with at most three letters more or less — the longest
in common, the one in most passages on a tie. Stems that only share a beginning stay apart:
"current" and "currenc(y)", "founder" and "foundat(ion)". The index's terms are sorted once per
index, on the first question that needs them.
"""

from __future__ import annotations

import bisect
import weakref

from .index import Index

_MIN_SHARED = 5  # letters in common, at least
_MIN_EXTENDED = 6  # a shorter stem begins unrelated ones: "stand" of "standard", "organ" of "organiz(e)"
_MAX_ENDING = 3  # letters either term may have past the shared beginning


_sorted_terms: weakref.WeakKeyDictionary[Index, list[str]] = weakref.WeakKeyDictionary()


def in_index(terms: list[str], index: Index) -> list[str]:
    """The terms, each one the index lacks replaced by its form in the index, if it has one."""
    return [term if term in index.term_ids else _indexed_form(term, index) or term for term in terms]


def prepare(index: Index) -> None:
    """Sort the index's terms now (a second on a large corpus) rather than on the first question."""
    _terms_of(index)


def _indexed_form(term: str, index: Index) -> str | None:
    if not term.isalpha() or len(term) < _MIN_SHARED:
        return None
    if len(term) >= _MIN_EXTENDED:  # the index's terms that it begins: "represent" for "repres"
        terms = _terms_of(index)
        first = bisect.bisect_left(terms, term)
        last = bisect.bisect_left(terms, term + "\U0010ffff", first)
        longer = [form for form in terms[first:last] if len(form) - len(term) <= _MAX_ENDING]
        if longer:
            return max(longer, key=lambda form: (index.document_frequency(form), form))
    # the longest of the index's terms that begin it: "occup" for "occupi"
    for length in range(len(term) - 1, max(_MIN_SHARED, len(term) - _MAX_ENDING) - 1, -1):
        if term[:length] in index.term_ids:
            return term[:length]
    return None


def _terms_of(index: Index) -> list[str]:
    terms = _sorted_terms.get(index)
    if terms is None:
        terms = _sorted_terms[index] = sorted(index.vocabulary)
    return terms
