"""The answering service the CLI and the bot share: an up-to-date index and `ask`.

It owns the one I/O decision of the answer path: which index to use, with which alias groups (the
corpus folder's aliases.yaml is read whenever the index is checked or rebuilt). A missing,
damaged or stale index (the corpus files, the settings or the alias groups changed since it was
built) is rebuilt, and each such event is reported as a notice for the caller to show. An index
that cannot be saved (a full disk, a read-only folder) is still used, from memory: on the answer
path that is a notice, and a reindex reports it (`BuildReport.save_error`) for the caller to act on.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from . import aliases, boilerplate, corpus, dialogue, index, index_build, index_file, language, pipeline
from .answer import Answer, answer
from .config import Config
from .corpus import Skipped
from .errors import CorpusError, IndexFileError
from .index import SearchSettings
from .memory import Conversations
from .text import ENGLISH, AliasGroup, Analyzer

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
    boilerplate: int = 0  # blocks left out of their documents as boilerplate (bot.boilerplate)
    # Why the new index could not be saved (it answers from memory; the file on disk is the previous
    # one, which a restart would load); None when it was saved.
    save_error: str | None = None


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
        self._notify = notify
        self._progress = progress
        # The index and the Analyzers that read questions for it, swapped together by a reindex.
        self._serving: tuple[index.Index, _QuestionReaders] | None = None
        self._rebuilding = threading.Lock()

    @property
    def index(self) -> index.Index:
        """The current index: loaded on first use, and rebuilt first if missing, damaged or stale."""
        return self._current()[0]

    @property
    def analyzer(self) -> Analyzer:
        """The Analyzer questions to the current index are read with in its main language (with its
        alias groups)."""
        current, readers = self._current()
        return readers[language.majority(current.languages) if current.languages else ENGLISH]

    def analyzer_for(self, question: str) -> Analyzer:
        """The Analyzer a question is read with: its language's (see language.question_language);
        `.language` says which."""
        current, readers = self._current()
        return readers[language.question_language(question, current.languages)]

    def _current(self) -> tuple[index.Index, _QuestionReaders]:
        if self._serving is None:
            self._serving = _serving(*self._current_index())
        return self._serving

    def ask(self, question: str, chat: str | None = None) -> Answer:
        """Answer one question; `chat` names the conversation it belongs to (None: a question on
        its own, remembered nowhere)."""
        current, readers = self._current()
        analyzer = readers[language.question_language(question, current.languages)]
        if chat is None:
            return answer(question, current, analyzer, self.config.answer, language=analyzer.language)
        now = time.time()
        history = self.conversations.recall(chat, now)
        rarity = functools.partial(_rarity, current)
        reading = dialogue.read(question, history, analyzer, rarity, language=analyzer.language)
        reply = answer(
            reading.question,
            current,
            analyzer,
            self.config.answer,
            reading.context,
            reading.doc_id,
            reading.section,
            language=analyzer.language,
        )
        if reading.follow_up:
            reply = replace(reply, question=" ".join(question.split()), understood=reading.shown)
        self.conversations.remember(chat, dialogue.next_turn(question, reading, reply, now))
        return reply

    def reindex(self) -> BuildReport:
        """Rebuild from the corpus folder (and its alias file, read again), save, and switch to
        the new index.

        Questions keep being answered from the old index meanwhile (it is swapped in one
        assignment); a second reindex waits for the first. An index that cannot be saved is
        swapped in all the same, and the report says why it was not saved.
        """
        with self._rebuilding:
            started = time.perf_counter()
            previous = self._serving[0] if self._serving is not None else self._saved_index()
            files = corpus.list_corpus_files(self.config.corpus)
            groups = self._alias_groups()
            new_index, reused = self._build(files, previous, self._search(groups))
            save_error = self._save(new_index)
            self._serving = _serving(new_index, groups)
        return BuildReport(
            documents=len(new_index.documents),
            passages=len(new_index),
            vocabulary=len(new_index.vocabulary),
            seconds=time.perf_counter() - started,
            skipped=new_index.skipped,
            reused=reused,
            boilerplate=int(np.count_nonzero(new_index.blocks.removed)),
            save_error=save_error,
        )

    def _saved_index(self) -> index.Index | None:
        try:
            return index_file.load(self.config.index)
        except IndexFileError:
            return None

    def _alias_groups(self) -> aliases.AliasGroups:
        """The alias groups in effect now: the corpus's alias file is read each time the index is
        checked or rebuilt, so an edit to it is picked up like an edit to a document."""
        return aliases.load(self.config.corpus, self.config.search.aliases)

    def _search(self, groups: aliases.AliasGroups) -> SearchSettings:
        """The search settings an index is built with: the config's, with every alias group in effect."""
        return replace(self.config.search, aliases=groups.indexed)

    def _fingerprint(self, search: SearchSettings) -> str:
        return index_build.settings_fingerprint(self.config.chunking, search, self.config.reading, self.config.language)

    def _current_index(self) -> tuple[index.Index, aliases.AliasGroups]:
        files = corpus.list_corpus_files(self.config.corpus)
        groups = self._alias_groups()
        search = self._search(groups)
        previous = None
        try:
            saved = index_file.load(self.config.index)
        except IndexFileError as error:
            self._notify(f"{error}: building the index from {self.config.corpus}")
        else:
            if saved.settings_fingerprint != self._fingerprint(search):
                self._notify(f"settings changed since the index was built (config or {aliases.ALIAS_FILE}): rebuilding")
            elif saved.corpus_fingerprint != index_build.corpus_fingerprint(files):
                self._notify("the corpus changed since the index was built: updating it")
                previous = saved
            else:
                return saved, groups
        built, _ = self._build(files, previous, search)
        for skipped in built.skipped:
            self._notify(f"skipped {skipped.doc_id}: {skipped.reason}")
        problem = self._save(built)
        if problem:
            self._notify(f"{problem}; using it from memory")
        return built, groups

    def _build(
        self, files: list[corpus.CorpusFile], previous: index.Index | None, search: SearchSettings
    ) -> tuple[index.Index, int]:
        """An index of the files; documents unchanged since `previous` are taken from it, not read.

        Which blocks are boilerplate depends on every document, so the unchanged documents' blocks
        are counted from `previous`; one that would now lose other blocks than it did is read again.
        """
        fingerprint = self._fingerprint(search)
        unchanged = self._unchanged(files, previous, fingerprint)
        to_read = [file for file in files if file.doc_id not in unchanged]
        loaded = (
            corpus.load_corpus(self.config.corpus, to_read, progress=self._progress, limits=self.config.reading)
            if to_read or not files  # no files at all: load_corpus says so
            else corpus.Corpus((), ())
        )
        if not loaded.documents and not unchanged:
            reasons = "; ".join(f"{s.doc_id}: {s.reason}" for s in loaded.skipped[:5])
            more = f" (and {len(loaded.skipped) - 5} more)" if len(loaded.skipped) > 5 else ""
            raise CorpusError(f"no readable documents in {self.config.corpus}: {reasons}{more}")
        documents, skipped = list(loaded.documents), list(loaded.skipped)
        digests = [boilerplate.digests(document.text, document.marks) for document in documents]
        while True:  # each round reads more documents again, so it ends
            common, stale = _boilerplate(digests, previous, unchanged)
            if not stale:
                break
            again = corpus.load_corpus(
                self.config.corpus, [file for file in files if file.doc_id in stale], limits=self.config.reading
            )
            for doc_id in stale:
                del unchanged[doc_id]
            documents += again.documents
            skipped += again.skipped
            digests += [boilerplate.digests(document.text, document.marks) for document in again.documents]
        order = sorted(range(len(documents)), key=lambda i: documents[i].doc_id)
        documents = [documents[i] for i in order]
        read = boilerplate.with_removed(boilerplate.BlockHashes.of([digests[i] for i in order]), common)
        for i in read.stripped().tolist():
            documents[i] = boilerplate.strip(documents[i], read.removed_of(i))
        skipped.sort(key=lambda entry: entry.doc_id)
        languages = language.document_languages([document.text for document in documents], self.config.language)
        fresh_spans, fresh_encoded = pipeline.chunk_and_encode(
            documents, self.config.chunking, search.aliases, languages, progress=self._progress
        )
        stamps = {file.doc_id: index_build.file_stamp(file) for file in files}
        fingerprints = {
            "settings_fingerprint": fingerprint,
            "corpus_fingerprint": index_build.corpus_fingerprint(files),
        }
        fresh = index_build.assemble(
            documents,
            fresh_spans,
            fresh_encoded,
            search,
            skipped=skipped,
            file_stamps=[stamps[document.doc_id] for document in documents],
            blocks=read,
            languages=languages,
            **fingerprints,
        )
        if not unchanged:
            return fresh, 0
        assert previous is not None
        fresh_position = {document.doc_id: i for i, document in enumerate(documents)}
        sources = [
            (fresh, fresh_position[doc_id]) if doc_id in fresh_position else (previous, unchanged[doc_id])
            for doc_id in sorted([*fresh_position, *unchanged])
        ]
        return index_build.combine(sources, search, skipped=skipped, **fingerprints), len(unchanged)

    def _unchanged(
        self, files: list[corpus.CorpusFile], previous: index.Index | None, fingerprint: str
    ) -> dict[str, int]:
        """Files whose stamp (size, times) is what `previous` recorded: doc id → position there."""
        if previous is None or previous.settings_fingerprint != fingerprint:
            return {}
        positions = previous.document_position
        stamps = list(previous.file_stamps)
        return {
            file.doc_id: positions[file.doc_id]
            for file in files
            if file.doc_id in positions and stamps[positions[file.doc_id]] == index_build.file_stamp(file)
        }

    def _save(self, built: index.Index) -> str | None:
        """Save the index; why it could not be, or None."""
        try:
            index_file.save(built, self.config.index)
        except OSError as error:
            return f"could not save the index in {self.config.index} ({error.strerror or error})"
        return None


def _boilerplate(
    digests: list[bytes], previous: index.Index | None, unchanged: dict[str, int]
) -> tuple[np.ndarray, set[str]]:
    """The boilerplate of a corpus of the documents read (their block `digests`) and those taken
    unchanged from `previous`, and the unchanged ones that it would strip otherwise than it did."""
    read = boilerplate.BlockHashes.of(digests)
    if previous is None or not unchanged:
        return boilerplate.common([read]), set()
    positions = sorted(unchanged.values())
    reused = previous.blocks.select(np.array(positions, dtype=np.int64))
    common = boilerplate.common([read, reused])
    stale = boilerplate.changed(reused, boilerplate.with_removed(reused, common))
    return common, {previous.documents.doc_ids[positions[i]] for i in stale.tolist()}


class _QuestionReaders(dict[str, Analyzer]):
    """The Analyzers that read questions to one index, one per language (made when first asked
    for), with the alias groups in effect, less the built-in ones whose names it does not hold
    (see `aliases`)."""

    def __init__(self, groups: tuple[AliasGroup, ...]) -> None:
        super().__init__()
        self._groups = groups
        self._making = threading.Lock()

    def __missing__(self, language: str) -> Analyzer:
        with self._making:  # questions are answered on several threads
            return self.get(language) or self.setdefault(language, Analyzer(self._groups, language))


def _serving(current: index.Index, groups: aliases.AliasGroups) -> tuple[index.Index, _QuestionReaders]:
    """An index with the Analyzers for its questions."""
    return current, _QuestionReaders(groups.for_questions(current.term_ids))


def _rarity(current: index.Index, term: str) -> float:
    """How rare a term is in the corpus (IDF without BM25's floor); a term it lacks is rarest."""
    return math.log((len(current) + 1) / (current.document_frequency(term) + 0.5))
