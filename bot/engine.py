"""The answering service the CLI and the bot share: an up-to-date index and `ask`.

It owns the one I/O decision of the answer path: which index to use. A missing, damaged or stale
index (the corpus files or the settings changed since it was built) is rebuilt, and each such
event is reported as a notice for the caller to show.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from . import corpus, dialogue, index, pipeline
from .answer import Answer, answer
from .config import Config
from .corpus import Skipped
from .errors import CorpusError, IndexFileError
from .memory import Conversations
from .text import Analyzer

log = logging.getLogger(__name__)

Notify = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BuildReport:
    documents: int
    passages: int
    vocabulary: int
    seconds: float
    skipped: tuple[Skipped, ...]
    reused: int  # unchanged documents taken from the previous index, not read again


class Engine:
    """Answers questions from the configured corpus's index, each in the light of its chat's
    earlier questions."""

    def __init__(
        self,
        config: Config,
        notify: Notify = log.info,
        progress: bool = False,
        conversations: Conversations | None = None,
    ) -> None:
        self.config = config
        self.conversations = conversations or Conversations(config.conversation)
        self.analyzer = Analyzer(config.search.aliases)
        self._notify = notify
        self._progress = progress
        self._settings_fingerprint = index.settings_fingerprint(config.chunking, config.search)
        self._index: index.Index | None = None
        self._rebuilding = threading.Lock()

    @property
    def index(self) -> index.Index:
        """The current index: loaded on first use, and rebuilt first if missing, damaged or stale."""
        if self._index is None:
            self._index = self._current_index()
        return self._index

    def ask(self, question: str, chat: str | None = None) -> Answer:
        """Answer one question; `chat` names the conversation it belongs to (None: a question on
        its own, remembered nowhere)."""
        current = self.index
        if chat is None:
            return answer(question, current, self.analyzer, self.config.answer)
        now = time.time()
        history = self.conversations.recall(chat, now)
        reading = dialogue.read(question, history, self.analyzer, functools.partial(_rarity, current))
        reply = answer(reading.question, current, self.analyzer, self.config.answer, reading.context, reading.doc_id)
        if reading.follow_up:
            reply = replace(reply, question=" ".join(question.split()), understood=reading.shown)
        self.conversations.remember(chat, dialogue.next_turn(question, reading, reply, now))
        return reply

    def reindex(self) -> BuildReport:
        """Rebuild from the corpus folder, save, and switch to the new index.

        Questions keep being answered from the old index meanwhile (it is swapped in one
        assignment); a second reindex waits for the first.
        """
        with self._rebuilding:
            started = time.perf_counter()
            previous = self._index if self._index is not None else self._saved_index()
            new_index, reused = self._build(corpus.list_corpus_files(self.config.corpus), previous)
            self._save(new_index)
            self._index = new_index
        return BuildReport(
            documents=len(new_index.documents),
            passages=len(new_index),
            vocabulary=len(new_index.vocabulary),
            seconds=time.perf_counter() - started,
            skipped=new_index.skipped,
            reused=reused,
        )

    def _saved_index(self) -> index.Index | None:
        try:
            return index.load(self.config.index)
        except IndexFileError:
            return None

    def _current_index(self) -> index.Index:
        files = corpus.list_corpus_files(self.config.corpus)
        previous = None
        try:
            saved = index.load(self.config.index)
        except IndexFileError as error:
            self._notify(f"{error}: building the index from {self.config.corpus}")
        else:
            if saved.settings_fingerprint != self._settings_fingerprint:
                self._notify("settings changed since the index was built: rebuilding")
            elif saved.corpus_fingerprint != index.corpus_fingerprint(files):
                self._notify("the corpus changed since the index was built: updating it")
                previous = saved
            else:
                return saved
        built, _ = self._build(files, previous)
        for skipped in built.skipped:
            self._notify(f"skipped {skipped.doc_id}: {skipped.reason}")
        self._save(built)
        return built

    def _build(self, files: list[corpus.CorpusFile], previous: index.Index | None) -> tuple[index.Index, int]:
        """An index of the files; documents unchanged since `previous` are taken from it, not read."""
        unchanged = self._unchanged(files, previous)
        to_read = [file for file in files if file.doc_id not in unchanged]
        loaded = (
            corpus.load_corpus(self.config.corpus, to_read, progress=self._progress)
            if to_read or not files  # no files at all: load_corpus says so
            else corpus.Corpus((), ())
        )
        if not loaded.documents and not unchanged:
            reasons = "; ".join(f"{s.doc_id}: {s.reason}" for s in loaded.skipped[:5])
            more = f" (and {len(loaded.skipped) - 5} more)" if len(loaded.skipped) > 5 else ""
            raise CorpusError(f"no readable documents in {self.config.corpus}: {reasons}{more}")
        fresh_spans, fresh_encoded = pipeline.chunk_and_encode(
            loaded.documents, self.config.chunking, self.config.search.aliases, progress=self._progress
        )
        stamps = {file.doc_id: index.file_stamp(file) for file in files}
        fingerprints = {
            "settings_fingerprint": self._settings_fingerprint,
            "corpus_fingerprint": index.corpus_fingerprint(files),
        }
        fresh = index.assemble(
            loaded.documents,
            fresh_spans,
            fresh_encoded,
            self.config.search,
            skipped=loaded.skipped,
            file_stamps=[stamps[document.doc_id] for document in loaded.documents],
            **fingerprints,
        )
        if not unchanged:
            return fresh, 0
        assert previous is not None
        fresh_position = {document.doc_id: i for i, document in enumerate(loaded.documents)}
        sources = [
            (fresh, fresh_position[doc_id]) if doc_id in fresh_position else (previous, unchanged[doc_id])
            for doc_id in sorted([*fresh_position, *unchanged])
        ]
        return index.combine(sources, self.config.search, skipped=loaded.skipped, **fingerprints), len(unchanged)

    def _unchanged(self, files: list[corpus.CorpusFile], previous: index.Index | None) -> dict[str, int]:
        """Files whose stamp (size, times) is what `previous` recorded: doc id → position there."""
        if previous is None or previous.settings_fingerprint != self._settings_fingerprint:
            return {}
        positions = previous.document_position
        stamps = list(previous.file_stamps)
        return {
            file.doc_id: positions[file.doc_id]
            for file in files
            if file.doc_id in positions and stamps[positions[file.doc_id]] == index.file_stamp(file)
        }

    def _save(self, built: index.Index) -> None:
        try:
            index.save(built, self.config.index)
        except OSError as error:
            self._notify(f"could not save the index in {self.config.index} ({error.strerror}); using it from memory")


def _rarity(current: index.Index, term: str) -> float:
    """How rare a term is in the corpus (IDF without BM25's floor); a term it lacks is rarest."""
    return math.log((len(current) + 1) / (current.document_frequency(term) + 0.5))
