"""Answer-quality benchmark: citebot's answers beside a plain bm25s baseline, per corpus, same run.

    .venv/bin/python bench/answers.py                      # every known pair that is present
    .venv/bin/python bench/answers.py faq python3.11-doc   # some of them
    .venv/bin/python bench/answers.py --corpus DIR --questions FILE [--config FILE]

A pair is a corpus folder and a question file in the format of ../shared/eval/dev.yaml. Known
pairs: `seed` (corpus/ with config.example.yaml's settings, alias groups included, asked
../shared/eval/dev.yaml and each set in tests/data: one row per file, `seed/dev`,
`seed/own_questions`, …, each of which can also be named alone), `faq` (../shared/corpora/debian-faq
with ../shared/eval/debian-faq-dev.yaml), `faq-de` (the German FAQ and its questions), and the
corpora of bench/doc_corpora.py whose folders are already there (`--fetch` fetches them: those named,
or all).

citebot is asked as `citebot eval FILE` asks (bot.evaluate.run over an Engine: dialogue turns in
their conversation, follow-ups again alone), its index kept under $TMPDIR/citebot-bench-answers,
one folder per corpus and settings file, so reruns reuse it (the engine updates it when the corpus
or the settings change). Columns:

- `n`: answerable single questions; `turns`: answerable dialogue turns; `unans`: unanswerable ones;
- `answer@1`: the share of the n single questions whose first result holds an accepted answer
  (evaluate's "single" row); an abstaining reply is a miss;
- `highlight@1`: the same, in the first result's highlight;
- `false_abst`: answerable questions and turns citebot declined; `abst_acc`: unanswerable ones it
  declined (evaluate's false-abstention rate and abstention accuracy);
- `followup@1`: answer@1 of the follow-up turns (second and later) asked in their conversation;
- `ms_p50`: median milliseconds per `ask`, every ask of the run (the index already loaded);
- `base@1`: the baseline's answer@1 over the same n single questions; `ratio`: answer@1 / base@1;
- `base_followup@1`: the baseline's on the follow-up turns, each asked alone (it has no memory).

The baseline is "bm25s + stemming, 100-word windows": each file's raw text (HTML through
BeautifulSoup's get_text with a space separator, PDF through pypdf, markdown and text as they are;
not citebot's reader, so the baseline stays put when the reader changes) cut into windows of 100
words every 50 words (the last one reaching the end), ranked by bm25s (its default, Lucene's BM25)
with PyStemmer's English stemmer and bm25s's English stopwords. It never abstains: its answer is
the top window, a hit when it holds an accepted answer, as bot.evaluate.score judges citebot's
replies; a question sharing no word with any window has no answer and misses.

Which baseline: the issue puts it at 0.39 answer-hit@1 on `faq`. Of the four readings measured
(on the set as of this script), windows every 50 words over the single questions come closest,
0.41 (14/34); the same windows over every answerable question with dialogue turns asked alone
give 0.35 (16/46), non-overlapping windows 0.32 (11/34) and 0.30 (14/46). (get_text without a
separator, which glues the words of adjacent elements, would give 0.38, 13/34.) So `base@1` is over
the single questions, and so is the `answer@1` it is compared with.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CACHE = Path(tempfile.gettempdir()) / "citebot-bench-answers"
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bot import evaluate  # noqa: E402
from bot.answer import Answer, Result  # noqa: E402
from bot.config import Config, load_config  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.errors import UserError  # noqa: E402

try:
    import doc_corpora  # bench/doc_corpora.py, beside this script
except ModuleNotFoundError as missing:
    if missing.name != "doc_corpora":
        raise
    doc_corpora = None

WINDOW_WORDS = 100
STRIDE_WORDS = 50
_BASELINE_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf"})
_INSTALL_BASELINE = "no baseline without bm25s (.venv/bin/pip install bm25s: the bench extra); citebot's figures alone"


@dataclass(frozen=True, slots=True)
class Pair:
    """A corpus folder and a question file; `config` is the settings file (None: the defaults)."""

    name: str
    corpus: Path
    questions: Path
    config: Path | None = None

    @property
    def missing(self) -> list[Path]:
        return [path for path in (self.corpus, self.questions, self.config) if path is not None and not path.exists()]


@dataclass(frozen=True, slots=True)
class Window:
    doc_id: str
    ordinal: int
    text: str


def known_pairs() -> dict[str, list[Pair]]:
    """Every pair known by name, grouped by the name that selects them, present or not."""
    seed_files = [SHARED / "eval" / "dev.yaml", ROOT / "tests" / "data" / "own_questions.yaml"]
    seed_files += sorted((ROOT / "tests" / "data").glob("unseen_questions*.yaml"))
    seed_files += [ROOT / "tests" / "data" / "own_dialogues.yaml"]
    seed = [Pair(f"seed/{f.stem}", ROOT / "corpus", f, ROOT / "config.example.yaml") for f in seed_files]
    pairs = {
        "seed": seed,
        "faq": [Pair("faq", SHARED / "corpora" / "debian-faq", SHARED / "eval" / "debian-faq-dev.yaml")],
        "faq-de": [Pair("faq-de", SHARED / "corpora" / "debian-faq-de", SHARED / "eval" / "debian-faq-de-dev.yaml")],
    }
    if doc_corpora is not None:
        cache = doc_corpora.cache_folder()
        pairs |= {
            name: [Pair(name, cache / name, corpus.questions)]
            for name, corpus in doc_corpora.CORPORA.items()
            if corpus.questions is not None  # a corpus measured blind has no questions here
        }
    return pairs


def _named(name: str, known: dict[str, list[Pair]]) -> list[Pair]:
    """The pairs a name selects: a known name, one row (`seed/dev`), or the corpora it begins
    with a dash (`python3.11-doc` for python3.11-doc-3.11.2 and its -rst twin)."""
    rows = {pair.name: pair for group in known.values() for pair in group}
    if name in known:
        return known[name]
    if name in rows:
        return [rows[name]]
    return [pair for row, pair in rows.items() if row.startswith(f"{name}-")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("pairs", nargs="*", help="pair names (default: every known pair that is present)")
    parser.add_argument("--corpus", type=Path, help="a corpus folder to measure (with --questions)")
    parser.add_argument("--questions", type=Path, help="its question file")
    parser.add_argument("--config", type=Path, help="settings for --corpus (default: citebot's defaults)")
    parser.add_argument(
        "--fetch", action="store_true", help="fetch the bench/doc_corpora.py corpora named (default: all) first"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    if (args.corpus is None) != (args.questions is None):
        parser.error("--corpus and --questions go together")
    if args.config and not args.corpus:
        parser.error("--config is for --corpus; the known pairs have their own settings")
    try:
        pairs = _selected(args, parser)
        rows = [measure(pair) for pair in pairs]
    except UserError as error:
        sys.exit(f"answers: {error}")
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows)


def _selected(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[Pair]:
    known = known_pairs()
    named = {name: _named(name, known) for name in args.pairs}
    unknown = [name for name, pairs in named.items() if not pairs]
    if unknown:
        parser.error(f"unknown pair {', '.join(unknown)} (known: {', '.join(known)}, or a seed row such as seed/dev)")
    if args.fetch:
        if doc_corpora is None:
            parser.error("--fetch needs bench/doc_corpora.py, which is not there")
        for pair in (pair for pairs in (named.values() if named else known.values()) for pair in pairs):
            if pair.name in doc_corpora.CORPORA and not pair.corpus.exists():
                print(f"fetching {pair.name}…", file=sys.stderr, flush=True)
                try:
                    doc_corpora.fetch(pair.name)
                except doc_corpora.CorpusError as error:
                    sys.exit(f"answers: {error}")
    pairs = [pair for pairs in named.values() for pair in pairs]
    if args.corpus:
        pairs.append(Pair(args.corpus.name, args.corpus, args.questions, args.config))
    if not pairs:  # the default: what is there, but a held-out set only when named
        for pair in (pair for group in known.values() for pair in group):
            if doc_corpora and pair.name in doc_corpora.CORPORA and doc_corpora.CORPORA[pair.name].held_out:
                print(f"skipping {pair.name}: held out, measured only when named", file=sys.stderr)
            elif pair.missing:
                print(f"skipping {pair.name}: missing {', '.join(map(str, pair.missing))}", file=sys.stderr)
            else:
                pairs.append(pair)
        if not pairs:
            sys.exit(f"answers: none of the known pairs is there (their corpora and questions are in {SHARED})")
    for pair in pairs:
        if pair.missing:
            fetchable = doc_corpora and pair.name in doc_corpora.CORPORA and not pair.corpus.exists()
            fetch = " (--fetch fetches the corpus)" if fetchable else ""
            sys.exit(f"answers: {pair.name} needs {', '.join(map(str, pair.missing))}{fetch}")
    return pairs


def measure(pair: Pair) -> dict:
    """One row: citebot's figures on the pair, and the baseline's on the same questions."""
    print(f"measuring {pair.name}…", file=sys.stderr, flush=True)
    questions = evaluate.load_questions(pair.questions)
    engine = Engine(_config(pair), notify=lambda message: print(f"citebot: {message}", file=sys.stderr))
    engine.index  # loaded (or built) before the clock starts
    times: list[float] = []

    def ask(question: str, chat: str | None) -> Answer:
        started = time.perf_counter()
        reply = engine.ask(question, chat=chat)
        times.append((time.perf_counter() - started) * 1000)
        return reply

    report = evaluate.run(questions, ask)
    groups = {group.name: group for group in report.groups()}
    single, follow_ups = groups.get("single"), groups.get("follow-up turns")
    row = {
        "pair": pair.name,
        "n": single.n if single else 0,
        "turns": groups["dialogue turns"].n if "dialogue turns" in groups else 0,
        "unans": report.unanswerable_count,
        "answer@1": single.answer_hit1 if single else None,
        "highlight@1": single.highlight_hit1 if single else None,
        "false_abst": report.false_abstention_rate,
        "abst_acc": report.abstention_accuracy,
        "followup@1": follow_ups.answer_hit1 if follow_ups else None,
        "ms_p50": statistics.median(times),
        "base@1": None,
        "ratio": None,
        "base_followup@1": None,
    }
    baseline = _baseline(pair.corpus)
    if baseline is not None:
        answerable = [q for q in questions if q.answerable]
        row["base@1"] = baseline.hit_rate([q for q in answerable if q.kind != "dialogue"])
        row["base_followup@1"] = baseline.hit_rate([q for q in answerable if q.kind == "dialogue" and q.turn >= 2])
        if row["base@1"] and row["answer@1"] is not None:
            row["ratio"] = row["answer@1"] / row["base@1"]
    return row


def _config(pair: Pair) -> Config:
    """The pair's settings, its index in a cache folder named after the corpus and the settings file."""
    key = hashlib.sha256(f"{pair.corpus.resolve()}\n{pair.config and pair.config.resolve()}".encode()).hexdigest()
    folder = CACHE / f"{pair.corpus.resolve().name}-{key[:12]}"
    if pair.config is None:  # not load_config(None, …): it would read a ./config.yaml
        return replace(Config(), corpus=pair.corpus, index=folder)
    return load_config(pair.config, {}, corpus=pair.corpus, index=folder)


_baselines: dict[Path, Baseline | None] = {}


def _baseline(folder: Path) -> Baseline | None:
    """The corpus's baseline, built once per run for all its question files; None (said once) when
    bm25s is not installed."""
    key = folder.resolve()
    if key not in _baselines:
        try:
            _baselines[key] = Baseline(folder)
        except ModuleNotFoundError as error:
            if error.name not in ("bm25s", "Stemmer"):
                raise
            if not any(b is None for b in _baselines.values()):
                print(_INSTALL_BASELINE, file=sys.stderr)
            _baselines[key] = None
    return _baselines[key]


class Baseline:
    """bm25s over 100-word windows of each file's raw text, stemmed, English stopwords removed."""

    def __init__(self, folder: Path, window: int = WINDOW_WORDS, stride: int = STRIDE_WORDS) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self.windows = [w for path in _files(folder) for w in _windows(path, folder, window, stride)]
        self._retriever = bm25s.BM25()
        self._retriever.index(self._tokens([w.text for w in self.windows]), show_progress=False)

    def _tokens(self, texts: list[str]) -> list[list[str]]:
        return self._bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, return_ids=False, show_progress=False)

    def top(self, question: str) -> Window | None:
        """The best window; None when none shares a word with the question (nothing to rank)."""
        tokens = self._tokens([question])[0]
        if not tokens:
            return None
        scores = self._retriever.get_scores(tokens)
        best = int(np.argmax(scores))
        return self.windows[best] if scores[best] > 0 else None

    def hit_rate(self, questions: Sequence[evaluate.Question]) -> float | None:
        """Share of the questions, each asked alone, whose top window holds an accepted answer."""
        hits = [self.hit(q) for q in questions]
        return sum(hits) / len(hits) if hits else None

    def hit(self, question: evaluate.Question) -> bool:
        """Scored as citebot's replies are (bot.evaluate.score), with the top window as the one result."""
        window = self.top(question.question)
        results = () if window is None else (Result(window.doc_id, "", window.ordinal, window.text, "", 0.0),)
        return evaluate.score(question, Answer(question.question, True, 0.0, results)).hit1


def _files(folder: Path) -> list[Path]:
    """The documents under folder, hidden entries left out, in path order."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in _BASELINE_SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def _windows(path: Path, folder: Path, size: int, stride: int) -> list[Window]:
    words = _raw_text(path).split()
    if not words:
        return []
    starts = range(0, max(len(words) - size, 0) + 1, stride)
    if starts[-1] + size < len(words):  # the tail a stride past the last full window
        starts = [*starts, starts[-1] + stride]
    doc_id = path.relative_to(folder).as_posix()
    return [Window(doc_id, i, " ".join(words[start : start + size])) for i, start in enumerate(starts)]


def _raw_text(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        from bs4 import BeautifulSoup

        return BeautifulSoup(path.read_bytes(), "html.parser").get_text(" ")
    if suffix == ".pdf":
        from pypdf import PdfReader

        return " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return path.read_bytes().decode("utf-8", errors="replace")


def print_table(rows: list[dict]) -> None:
    columns = [
        ("pair", "{}"),
        ("n", "{}"),
        ("turns", "{}"),
        ("unans", "{}"),
        ("answer@1", "{:.2f}"),
        ("highlight@1", "{:.2f}"),
        ("false_abst", "{:.2f}"),
        ("abst_acc", "{:.2f}"),
        ("followup@1", "{:.2f}"),
        ("ms_p50", "{:.2f}"),
        ("base@1", "{:.2f}"),
        ("ratio", "{:.2f}×"),
        ("base_followup@1", "{:.2f}"),
    ]
    cells = [["-" if row[key] is None else fmt.format(row[key]) for key, fmt in columns] for row in rows]
    widths = [max(len(key), *(len(row[i]) for row in cells)) for i, (key, _) in enumerate(columns)]
    print("  ".join(key.rjust(width) for (key, _), width in zip(columns, widths)))
    for row in cells:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    main()
