"""Chunking and tokenizing on several cores gives exactly what one process gives."""

from pathlib import Path

import numpy as np
import pytest

from bot import pipeline
from bot.chunking import ChunkingSettings
from bot.corpus import Document, load_corpus
from bot.pipeline import Encoded, chunk_and_encode, merge
from bot.text import AliasGroup

ROOT = Path(__file__).resolve().parent.parent


def documents() -> list[Document]:
    shipped = list(load_corpus(ROOT / "corpus").documents)
    generated = [
        Document(
            f"gen-{i}.txt",
            f"Report {i}",
            f"Report {i}\n\nThe gauge {i} read {i * 7} units. Türkiye was noted.",
            Path("x"),
        )
        for i in range(300)
    ]
    return shipped + generated


def test_parallel_chunking_and_encoding_equals_one_process() -> None:
    aliases = (AliasGroup(("Turkey", "Türkiye")),)
    languages = [("en", "de", "ja")[i % 3] for i in range(len(documents()))]  # each read in its own
    alone_spans, alone = chunk_and_encode(
        documents(), ChunkingSettings(), aliases, languages, parallel_min_chars=10**12
    )
    spread_spans, spread = chunk_and_encode(
        documents(), ChunkingSettings(), aliases, languages, parallel_min_chars=0, batch_chars=5000
    )
    assert len(documents()) > 20, "enough documents for several batches of 5000 characters"
    assert spread_spans == alone_spans
    assert spread.vocabulary == alone.vocabulary
    assert np.array_equal(spread.terms, alone.terms)
    assert np.array_equal(spread.lengths, alone.lengths)


def test_merge_renumbers_later_parts_into_the_first_parts_vocabulary() -> None:
    first = Encoded(["harbour", "stone"], np.array([0, 1, 0], dtype=np.int32), np.array([3], dtype=np.int32))
    second = Encoded(["pier", "harbour"], np.array([0, 1], dtype=np.int32), np.array([2], dtype=np.int32))
    merged = merge([first, second])
    assert merged.vocabulary == ["harbour", "stone", "pier"]
    assert merged.terms.tolist() == [0, 1, 0, 2, 0]
    assert merged.lengths.tolist() == [3, 2]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_first_occurrences_are_what_np_unique_says(seed: int) -> None:
    terms = np.random.default_rng(seed).integers(0, 50, 500).astype(np.int32)
    present, first = pipeline._first_occurrences(terms, 60)
    expected_present, expected_first = np.unique(terms, return_index=True)
    np.testing.assert_array_equal(present, expected_present)
    np.testing.assert_array_equal(first, expected_first)
