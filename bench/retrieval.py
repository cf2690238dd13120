"""Retrieval benchmark: citebot's index beside rank-bm25's BM25Okapi, same tokens, same run.

    .venv/bin/python bench/retrieval.py                   # seed corpus and Debian
    .venv/bin/python bench/retrieval.py synth --synth-passages 1000000 --reference-queries 20

Corpora: `seed` (corpus/), `debian` (../shared/bench/debian.jsonl.gz, 63,815 documents) and
`synth` (passages written by ../shared/bench/synth.py, cached under $TMPDIR). Each corpus is
measured in a fresh child process, so "peak RSS" is that corpus's own high-water mark (documents
held in memory plus the build). Queries: ../shared/bench/queries.txt.

Columns: build seconds (languages detected + chunking + tokenizing + weights, on every core as `citebot reindex` does;
reading files is not included: documents come from memory), peak RSS, index size on disk, load
seconds, the first search after loading (past a million postings it loads the compiled search),
search p50/p95 (top 10 of the query's postings) and full `ask` p50/p95 (search,
sentence judging, highlight), then rank-bm25 on the same passage tokens: its build seconds,
`get_scores` + top-10 p50, the speed ratio, the largest score difference and how many top-10
lists agree.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
sys.path.insert(0, str(ROOT))

from bot import aliases, corpus, index, index_build, index_file, language, pipeline  # noqa: E402
from bot.answer import AnswerSettings, answer  # noqa: E402
from bot.chunking import ChunkingSettings  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.index import SearchSettings  # noqa: E402
from bot.pipeline import passage_tokens  # noqa: E402
from bot.text import Analyzer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("corpora", nargs="*", help="seed, debian and/or synth (default: seed debian)")
    parser.add_argument("--synth-passages", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000, help="queries timed for citebot")
    parser.add_argument("--reference-queries", type=int, default=200, help="queries timed for rank-bm25")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child's job: one corpus
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args)))
        return
    unknown = set(args.corpora) - {"seed", "debian", "synth"}
    if unknown:
        parser.error(f"unknown corpus: {', '.join(sorted(unknown))}")
    corpora = args.corpora or ["seed", "debian"]
    needed = [SHARED / "queries.txt"]
    if {"debian", "synth"} & set(corpora):  # synth draws its words from Debian's
        needed.append(SHARED / "debian.jsonl.gz")
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        sys.exit(f"the benchmark needs the shared bench files beside the project: missing {', '.join(missing)}")
    rows = []
    for name in corpora:
        command = [sys.executable, __file__, "--measure", name, "--synth-passages", str(args.synth_passages)]
        command += ["--queries", str(args.queries), "--reference-queries", str(args.reference_queries)]
        print(f"measuring {name}…", file=sys.stderr, flush=True)
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        if child.returncode != 0:
            sys.exit(f"{name} failed:\n{child.stderr}")
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
    print_table(rows)


def documents_of(name: str, args: argparse.Namespace) -> list[corpus.Document]:
    if name == "seed":
        return list(corpus.load_corpus(ROOT / "corpus").documents)
    if name == "debian":
        return list(_jsonl_documents(SHARED / "debian.jsonl.gz"))
    cached = Path(tempfile.gettempdir()) / f"citebot-bench-synth-{args.synth_passages}.jsonl.gz"
    if not cached.exists():
        print(f"writing {args.synth_passages} synthetic passages to {cached}…", file=sys.stderr, flush=True)
        generated = "".join(_synthetic_passages(args.synth_passages)).encode("utf-8")
        cached.write_bytes(gzip.compress(generated, compresslevel=1))
    return list(_jsonl_documents(cached))


def _synthetic_passages(count: int, seed: int = 11):
    """What ../shared/bench/synth.py writes — the same word counts, lengths, seed and draws — with
    the cumulative weights computed once instead of on every draw (random.choices with `weights`
    recomputes them each call: hours for a million passages). The shared script itself does not
    run: its docstring ends in four quotes."""
    counts, lengths = Counter(), []
    with gzip.open(SHARED / "debian.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            words = re.findall(r"\S+", json.loads(line)["text"])
            counts.update(words)
            lengths.append(len(words))
    vocabulary, weights = zip(*counts.items())
    cumulative = list(itertools.accumulate(weights))
    rng = random.Random(seed)
    for i in range(count):
        words = rng.choices(vocabulary, cum_weights=cumulative, k=rng.choice(lengths))
        yield json.dumps({"id": f"s{i}", "title": " ".join(words[:4]), "text": " ".join(words)}) + "\n"


def _jsonl_documents(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            yield corpus.Document(item["id"], item["title"], item["text"], Path(item["id"]))


def measure(name: str, args: argparse.Namespace) -> dict:
    documents = documents_of(name, args)
    groups = aliases.merge(())  # no alias file: the built-in renamed places, as reindex applies them
    search = SearchSettings(aliases=groups.indexed)
    started = time.perf_counter()
    languages = language.document_languages([document.text for document in documents])  # as reindex does
    spans, encoded = pipeline.chunk_and_encode(documents, ChunkingSettings(), search.aliases, languages)
    built = index_build.assemble(
        documents, spans, encoded, search, settings_fingerprint="bench", corpus_fingerprint="bench", languages=languages
    )
    build_seconds = time.perf_counter() - started
    analyzer = Analyzer(groups.for_questions(built.term_ids), language.majority(built.languages))  # as the engine
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del spans, encoded
    with tempfile.TemporaryDirectory() as folder:
        saved = index_file.save(built, Path(folder))
        size_mb = saved.stat().st_size / 1e6
        started = time.perf_counter()
        loaded = index_file.load(Path(folder))
        load_seconds = time.perf_counter() - started
    del built
    queries = (SHARED / "queries.txt").read_text(encoding="utf-8").splitlines()
    tokenized = [analyzer.tokens(q) for q in queries]
    started = time.perf_counter()
    loaded.search(tokenized[0], 10)  # past a million postings this loads the compiled search (bot.maxscore)
    first_ms = (time.perf_counter() - started) * 1000
    ours = _timed(lambda q: loaded.search(q, 10), tokenized[: args.queries])
    asked = _timed(lambda q: answer(q, loaded, analyzer, AnswerSettings()), queries[: min(args.queries, 300)], raw=True)
    row = {
        "corpus": name,
        "passages": len(loaded),
        "build_s": build_seconds,
        "peak_mb": peak_mb,
        "size_mb": size_mb,
        "load_s": load_seconds,
        "first_ms": first_ms,
        "search_p50_ms": ours[0],
        "search_p95_ms": ours[1],
        "ask_p50_ms": asked[0],
        "ask_p95_ms": asked[1],
    }
    row.update(_reference(loaded, analyzer, tokenized[: args.reference_queries]))
    if name == "debian":
        row.update(_incremental(documents))
    row["speedup"] = row["ref_query_p50_ms"] / max(row["search_p50_ms"], 1e-9)
    return row


def _incremental(documents: list[corpus.Document]) -> dict:
    """`citebot reindex` on the documents as files: a full build, then again after one file changed."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "corpus").mkdir()
        for document in documents:
            (root / "corpus" / f"{document.doc_id}.txt").write_text(f"{document.title}\n\n{document.text}", "utf-8")
        config = load_config(None, {}, corpus=root / "corpus", index=root / "index")
        full = Engine(config, notify=lambda message: None).reindex()
        changed = root / "corpus" / f"{documents[len(documents) // 2].doc_id}.txt"
        changed.write_text(changed.read_text("utf-8") + "\n\nOne more sentence about packages.\n", "utf-8")
        incremental = Engine(config, notify=lambda message: None).reindex()
    return {"full_reindex_s": full.seconds, "one_changed_s": incremental.seconds, "reused": incremental.reused}


def _timed(run, inputs, raw: bool = False) -> tuple[float, float]:
    times = []
    for item in inputs:
        started = time.perf_counter()
        run(item)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), float(np.percentile(times, 95))


def _reference(built: index.Index, analyzer: Analyzer, queries: list[list[str]]) -> dict:
    from rank_bm25 import BM25Okapi

    tokens = [passage_tokens(analyzer, passage) for passage in built.passages]
    started = time.perf_counter()
    reference = BM25Okapi(tokens)
    build_seconds = time.perf_counter() - started
    del tokens
    times, worst, agree = [], 0.0, 0
    for query in queries:
        started = time.perf_counter()
        scores = reference.get_scores(query)
        top = np.argsort(-scores, kind="stable")[:10]
        times.append((time.perf_counter() - started) * 1000)
        ours = built.scores(query)
        worst = max(worst, float(np.max(np.abs(ours - scores))) if len(scores) else 0.0)
        our_top = [hit.passage for hit in built.search(query, 10)]
        agree += _same_ranking(our_top, top.tolist(), scores)
    return {
        "ref_build_s": build_seconds,
        "ref_query_p50_ms": statistics.median(times),
        "max_score_diff": worst,
        "top10_agree": f"{agree}/{len(queries)}",
    }


def _same_ranking(ours: list[int], theirs: list[int], scores: np.ndarray) -> bool:
    """Equal top-10 lists, allowing ties (equal scores) to come in either order; theirs may
    list zero-score passages that match nothing, which a search does not return."""
    theirs = [p for p in theirs if scores[p] != 0 or p in ours][: len(ours)]
    return np.allclose(scores[ours], scores[theirs], atol=1e-5)


def print_table(rows: list[dict]) -> None:
    notes: list[str] = []
    columns = [
        ("corpus", "{}"),
        ("passages", "{:,}"),
        ("build_s", "{:.2f}"),
        ("peak_mb", "{:,.0f}"),
        ("size_mb", "{:.1f}"),
        ("load_s", "{:.3f}"),
        ("first_ms", "{:.1f}"),
        ("search_p50_ms", "{:.3f}"),
        ("search_p95_ms", "{:.3f}"),
        ("ask_p50_ms", "{:.2f}"),
        ("ask_p95_ms", "{:.2f}"),
        ("ref_build_s", "{:.2f}"),
        ("ref_query_p50_ms", "{:.2f}"),
        ("speedup", "{:,.0f}×"),
        ("max_score_diff", "{:.1e}"),
        ("top10_agree", "{}"),
    ]
    cells = [[fmt.format(row[key]) for key, fmt in columns] for row in rows]
    for row in rows:
        if "full_reindex_s" in row:
            ratio = row["one_changed_s"] / row["full_reindex_s"]
            notes.append(
                f"{row['corpus']}: citebot reindex (files) {row['full_reindex_s']:.2f} s; after changing one file "
                f"{row['one_changed_s']:.2f} s ({ratio:.0%} of full, {row['reused']:,} documents reused)"
            )
    widths = [max(len(key), *(len(row[i]) for row in cells)) for i, (key, _) in enumerate(columns)]
    print("  ".join(key.rjust(width) for (key, _), width in zip(columns, widths)))
    for row in cells:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
    for note in notes:
        print(note)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
