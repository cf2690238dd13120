"""The answering service the CLI and the bot share: an up-to-date index and `ask`.

It owns the one I/O decision of the answer path: which index to use. A missing, damaged or stale
index (the corpus files or the settings changed since it was built) is rebuilt, and each such
event is reported as a notice for the caller to show.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import corpus, index, pipeline
from .answer import Answer, answer
from .config import Config
from .corpus import Skipped
from .errors import CorpusError, IndexFileError
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


class Engine:
    """Answers questions from the configured corpus's index."""

    def __init__(self, config: Config, notify: Notify = log.info, progress: bool = False) -> None:
        self.config = config
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
        """Answer one question; `chat` names the conversation it belongs to."""
        return answer(question, self.index, self.analyzer, self.config.answer)

    def reindex(self) -> BuildReport:
        """Rebuild from the corpus folder, save, and switch to the new index.

        Questions keep being answered from the old index meanwhile (it is swapped in one
        assignment); a second reindex waits for the first.
        """
        with self._rebuilding:
            started = time.perf_counter()
            new_index = self._build(corpus.list_corpus_files(self.config.corpus))
            self._save(new_index)
            self._index = new_index
        return BuildReport(
            documents=len(new_index.documents),
            passages=len(new_index),
            vocabulary=len(new_index.vocabulary),
            seconds=time.perf_counter() - started,
            skipped=new_index.skipped,
        )

    def _current_index(self) -> index.Index:
        files = corpus.list_corpus_files(self.config.corpus)
        try:
            saved = index.load(self.config.index)
        except IndexFileError as error:
            self._notify(f"{error}: building the index from {self.config.corpus}")
        else:
            if saved.settings_fingerprint != self._settings_fingerprint:
                self._notify("settings changed since the index was built: rebuilding")
            elif saved.corpus_fingerprint != index.corpus_fingerprint(files):
                self._notify("the corpus changed since the index was built: rebuilding")
            else:
                return saved
        built = self._build(files)
        for skipped in built.skipped:
            self._notify(f"skipped {skipped.doc_id}: {skipped.reason}")
        self._save(built)
        return built

    def _build(self, files: list[corpus.CorpusFile]) -> index.Index:
        loaded = corpus.load_corpus(self.config.corpus, files, progress=self._progress)
        if not loaded.documents:
            reasons = "; ".join(f"{s.doc_id}: {s.reason}" for s in loaded.skipped[:5])
            more = f" (and {len(loaded.skipped) - 5} more)" if len(loaded.skipped) > 5 else ""
            raise CorpusError(f"no readable documents in {self.config.corpus}: {reasons}{more}")
        chunks, encoded = pipeline.chunk_and_encode(
            loaded.documents, self.config.chunking, self.config.search.aliases, progress=self._progress
        )
        return index.assemble(
            loaded.documents,
            chunks,
            encoded,
            self.config.search,
            settings_fingerprint=self._settings_fingerprint,
            corpus_fingerprint=index.corpus_fingerprint(files),
            skipped=loaded.skipped,
        )

    def _save(self, built: index.Index) -> None:
        try:
            index.save(built, self.config.index)
        except OSError as error:
            self._notify(f"could not save the index in {self.config.index} ({error.strerror}); using it from memory")
