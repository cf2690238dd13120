"""Real documentation corpora from Debian packages, and the question sets written on them.

    .venv/bin/python bench/doc_corpora.py fetch            # all corpora into the cache
    .venv/bin/python bench/doc_corpora.py check            # every answer string is in its gold docs
    .venv/bin/python bench/doc_corpora.py rst-set          # rewrite the rST question set from the HTML one

citebot's own question sets are about a handful of short articles; these are manuals as a user
would point citebot at them: HTML pages with navigation, code blocks and tables, thousands of
passages. The pages are the files as Debian ships them, unchanged, so a measurement can be
repeated by anyone: each corpus pins a package version (the one Debian 12 "bookworm" offers), is
fetched with `apt-get download`, unpacked with `dpkg-deb -x`, and the chosen pages are copied into
`<cache>/<name>/` keeping their sub-folder paths (which are the doc ids in the question files).
The cache is `~/.cache/citebot/corpora`, or `$CITEBOT_CORPORA`.

The subsets:

- `python3.11-doc-3.11.2` (python3.11-doc 3.11.2-6+deb12u8): every top-level page of the HTML
  documentation (index, contents, glossary, about, bugs, copyright, license, download, search,
  the module index and the general index pages: navigation a real documentation folder has, and
  the 2.5 MB contents.html and the index pages are noise a bot must see past) plus the tutorial/,
  howto/, faq/ and using/ folders. The library and language references are left out to keep the
  index small, so questions stay on the tutorial, how-tos, FAQs and setup pages.
- `python3.11-doc-3.11.2-rst`: the same pages' reStructuredText sources as shipped under
  `_sources/` (`*.rst.txt`, read by citebot as plain text), for the pages that have one (the
  generated index, search, download and module index pages do not). Its question set is the
  HTML set with the doc ids mapped to the sources (`rst-set`), so markup is the only difference.
- `postgresql-doc-15-15.18` (postgresql-doc-15 15.18-0+deb12u1): the documentation's start page,
  the Preface, Part I (the tutorial), from Part III (server administration) its part page and
  the chapters on installation, server setup and operation, server configuration, client
  authentication, database roles, managing databases, routine maintenance, backup and restore,
  monitoring, disk usage and the write-ahead log, and from Part VI (reference) its part page and
  the reference pages of the client and server applications (app-*.html, pgbench, pg_upgrade
  ...). A chapter is its index page plus every page its table of contents links to. The SQL
  command reference, the SQL language part and the internals are left out.
- `debian-faq-fr-11.1`, `debian-faq-ja-11.1`, `debian-faq-ru-11.1`, `debian-faq-zh-cn-11.1`
  (debian-faq-fr, -ja, -ru, -zh-cn 11.1): the Debian FAQ's translations, the 17 chapter pages of
  each, the same pages as shared/corpora/debian-faq (English) and debian-faq-de. French and
  Japanese have question sets; Russian and Chinese have none, on purpose: citebot is measured on
  them blind, so nothing is tuned on them.
- `git-doc-2.39.5` (git-doc 1:2.39.5-0+deb12u3): the Git User's Manual (user-manual.html), git(1)
  (git.html; index.html is a link to it) and the pages of the command and guide lists that git(1)
  is built from (the cmds-*.txt files shipped beside them): the guides (gittutorial, gitfaq,
  giteveryday, gitglossary, gitworkflows ...), the main porcelain commands (git-add ... git-worktree,
  gitk, scalar), the ancillary manipulators and interrogators (git-config, git-reflog, git-remote,
  git-blame, git-difftool ...) and the repository, command and file interfaces (gitignore,
  gitattributes, githooks, gitrevisions, gitrepository-layout ...). Plumbing, the commands for
  other version control systems and for serving repositories, howto/ and technical/ are left out.

The question sets (tests/data/<name>.yaml) were written from the pages before citebot was run on
them; `check` verifies that every answer string occurs in one of its gold documents' text.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


class CorpusError(Exception):
    """A corpus or its question set cannot be used; the message is one line saying why."""


@dataclass(frozen=True)
class Corpus:
    """One corpus: which package version it comes from, which pages it takes, its questions.

    `select` is given the unpacked documentation folder (`root` inside the package) and returns
    the pages to copy as paths relative to it; the copy keeps those paths.
    """

    name: str
    package: str
    version: str
    root: str
    subset: str
    questions: Path | None  # None: a corpus measured blind, with no question set of ours
    select: Callable[[Path], list[str]]
    held_out: bool = False  # measured only when named, never while tuning (bench/answers.py)


_PYTHON_FOLDERS = ("tutorial", "howto", "faq", "using")


def _python_pages(root: Path) -> list[str]:
    """Top-level pages and the tutorial, howto, faq and using folders."""
    pages = [p.name for p in root.glob("*.html")]
    pages += [f"{folder}/{p.name}" for folder in _PYTHON_FOLDERS for p in (root / folder).glob("*.html")]
    return sorted(pages)


def _python_sources(root: Path) -> list[str]:
    """The rST source of each page of the HTML corpus, where Sphinx shipped one."""
    sources = (f"_sources/{page.removesuffix('.html')}.rst.txt" for page in _python_pages(root))
    return [source for source in sources if (root / source).is_file()]


_POSTGRES_PAGES = ("index.html", "admin.html", "reference.html")
_POSTGRES_CHAPTERS = (
    "preface.html",
    "tutorial.html",
    "install-binaries.html",
    "installation.html",
    "runtime.html",
    "runtime-config.html",
    "client-authentication.html",
    "user-manag.html",
    "managing-databases.html",
    "maintenance.html",
    "backup.html",
    "monitoring.html",
    "diskusage.html",
    "wal.html",
    "reference-client.html",
    "reference-server.html",
)


class _TocLinks(HTMLParser):
    """The pages linked from a DocBook page's table of contents (`<div class="toc">`)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self._depth = 0  # open <div>s since the toc's own, 0 outside it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "div" and (self._depth or "toc" in (values.get("class") or "").split()):
            self._depth += 1
        elif tag == "a" and self._depth and values.get("href"):
            page = values["href"].partition("#")[0]
            if page and page not in self.links:
                self.links.append(page)

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._depth:
            self._depth -= 1


def _postgres_pages(root: Path) -> list[str]:
    """The fixed pages, and each chosen chapter's page with every page its contents link to."""
    pages = set(_POSTGRES_PAGES)
    for chapter in _POSTGRES_CHAPTERS:
        parser = _TocLinks()
        parser.feed((root / chapter).read_text(encoding="utf-8"))
        pages |= {chapter, *parser.links}
    missing = sorted(p for p in pages if not (root / p).is_file())
    if missing:
        raise CorpusError(f"postgresql-doc-15: pages in the contents are missing: {', '.join(missing)}")
    return sorted(pages)


_GIT_PAGES = ("user-manual.html", "git.html")
_GIT_LISTS = (
    "cmds-guide",
    "cmds-mainporcelain",
    "cmds-ancillarymanipulators",
    "cmds-ancillaryinterrogators",
    "cmds-userinterfaces",
)


def _faq_pages(root: Path) -> list[str]:
    """The FAQ's 17 chapter pages, as in shared/corpora/debian-faq."""
    return sorted(p.name for p in root.glob("*.html"))


def _faq_translation(language: str, questions: Path | None) -> Corpus:
    """The Debian FAQ in one of its translations (package debian-faq-<language>, as bookworm has it)."""
    return Corpus(
        f"debian-faq-{language}-11.1",
        f"debian-faq-{language}",
        "11.1",
        f"usr/share/doc/debian/FAQ/{language}",
        f"the 17 chapter pages (*.{language}.html), the same pages as shared/corpora/debian-faq",
        questions,
        _faq_pages,
    )


def _git_pages(root: Path) -> list[str]:
    """The user manual, git(1), and the pages named in the chosen command lists (`linkgit:git-add[1]::`)."""
    pages = set(_GIT_PAGES)
    for listing in _GIT_LISTS:
        text = (root / f"{listing}.txt").read_text(encoding="utf-8")
        pages |= {f"{name}.html" for name in re.findall(r"^linkgit:([\w.-]+)\[\d\]::", text, re.MULTILINE)}
    missing = sorted(p for p in pages if not (root / p).is_file())
    if missing:
        raise CorpusError(f"git-doc: pages in the command lists are missing: {', '.join(missing)}")
    return sorted(pages)


_PYTHON_SUBSET = "top-level pages + tutorial/, howto/, faq/, using/"
CORPORA: dict[str, Corpus] = {
    corpus.name: corpus
    for corpus in (
        Corpus(
            "python3.11-doc-3.11.2",
            "python3.11-doc",
            "3.11.2-6+deb12u8",
            "usr/share/doc/python3.11/html",
            _PYTHON_SUBSET,
            DATA / "python3.11-doc-3.11.2.yaml",
            _python_pages,
        ),
        Corpus(
            "python3.11-doc-3.11.2-rst",
            "python3.11-doc",
            "3.11.2-6+deb12u8",
            "usr/share/doc/python3.11/html",
            f"_sources/*.rst.txt of: {_PYTHON_SUBSET}",
            DATA / "python3.11-doc-3.11.2-rst.yaml",
            _python_sources,
        ),
        Corpus(
            "postgresql-doc-15-15.18",
            "postgresql-doc-15",
            "15.18-0+deb12u1",
            "usr/share/doc/postgresql-doc-15/html",
            "start page, preface, tutorial, server administration (installation, setup, configuration, "
            "client authentication, roles, databases, maintenance, backup, monitoring, disk usage, WAL), "
            "client and server application reference",
            DATA / "postgresql-doc-15-15.18.yaml",
            _postgres_pages,
        ),
        Corpus(
            "git-doc-2.39.5",
            "git-doc",
            "1:2.39.5-0+deb12u3",
            "usr/share/doc/git-doc",
            "user manual, git(1), and the pages of its lists of guides, main porcelain commands, ancillary "
            "commands and interfaces (gitignore, gitattributes, githooks, gitrevisions ...)",
            DATA / "git-doc-2.39.5.yaml",
            _git_pages,
            held_out=True,
        ),
        _faq_translation("fr", DATA / "debian-faq-fr-11.1.yaml"),
        _faq_translation("ja", DATA / "debian-faq-ja-11.1.yaml"),
        _faq_translation("ru", None),  # measured blind: no set of ours
        _faq_translation("zh-cn", None),
    )
}


def cache_folder() -> Path:
    """Where corpora and the downloaded packages are kept: outside the repository, as they are large
    and can be fetched again; $CITEBOT_CORPORA moves it (to a shared disk, or a test's temporary)."""
    return Path(os.environ.get("CITEBOT_CORPORA") or Path.home() / ".cache" / "citebot" / "corpora")


def fetch(name: str) -> Path:
    """The corpus folder, fetched first if it is not in the cache yet.

    The pages are copied into a temporary folder that is renamed into place when complete, so an
    existing folder is always a whole corpus (an interrupted fetch leaves only a hidden temporary).
    """
    corpus = CORPORA[name]
    cache = cache_folder()
    target = cache / name
    if target.is_dir():
        return target
    for tool in ("apt-get", "apt-cache", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise CorpusError(f"{name}: {tool} is not available; fetching needs Debian's apt-get and dpkg-deb")
    deb = _download(corpus, cache / "debs")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}.", dir=cache) as work:
        unpacked, staged = Path(work, "deb"), Path(work, "pages")
        _run(["dpkg-deb", "-x", str(deb), str(unpacked)], name)
        root = unpacked / corpus.root
        for page in corpus.select(root):
            (staged / page).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / page, staged / page)
        staged.rename(target)
    return target


def _download(corpus: Corpus, folder: Path) -> Path:
    """The pinned .deb, downloaded unless already there; fails if apt no longer offers that version."""
    pattern = f"{corpus.package}_{corpus.version.replace(':', '%3a')}_*.deb"
    found = sorted(folder.glob(pattern))
    if found:
        return found[0]
    available = _available_versions(corpus)
    if corpus.version not in available:
        offered = ", ".join(available) or "no version"
        raise CorpusError(
            f"{corpus.name}: pinned {corpus.package} {corpus.version}, but apt offers {offered}; "
            "the question set was written on the pinned version (try `apt-get update`)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    _run(["apt-get", "download", f"{corpus.package}={corpus.version}"], corpus.name, cwd=folder)
    found = sorted(folder.glob(pattern))
    if not found:
        raise CorpusError(f"{corpus.name}: apt-get download left no {pattern} in {folder}")
    return found[0]


def _available_versions(corpus: Corpus) -> list[str]:
    """The versions in `apt-cache policy`'s version table (a leading *** marks the installed one)."""
    output = _run(["apt-cache", "policy", corpus.package], corpus.name)
    table = output.partition("Version table:")[2]
    return [m.group(1) for m in re.finditer(r"^\s+(?:\*\*\*\s+)?(\S+)\s+-?\d+\s*$", table, re.MULTILINE)]


def _run(command: list[str], name: str, cwd: Path | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        error = " ".join((done.stderr or done.stdout).split())[-300:]
        raise CorpusError(f"{name}: `{' '.join(command)}` failed: {error}")
    return done.stdout


# Checking the question sets. PyYAML and Beautiful Soup are citebot's own dependencies, so they are
# in .venv; they are imported where needed so that `fetch` runs on any Python 3.11.

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})


def fold(text: str) -> str:
    """Case, diacritics, apostrophes and spacing folded, as citebot's eval compares answers."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


_BLOCKS = (
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "title",
    "tr",
    "ul",
)


def page_texts(path: Path) -> tuple[str, ...]:
    """The text a reader sees, in every form an answer must be found in.

    An HTML page gives two: Beautiful Soup's text without scripts and styles, and the same with a
    line break around every block element. DocBook pages put no whitespace between table cells,
    between a heading and the first term under it or between a definition term and its text, so
    the first form glues "-N x" and "max_connections = x" into one word; requiring the answer in
    both keeps it inside one block, where any reader of the page finds it. A .rst.txt source is
    read as the plain text it is, markup and all.
    """
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() not in (".html", ".htm"):
        return (raw,)
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for hidden in soup(["script", "style"]):
        hidden.decompose()
    glued = soup.get_text()
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    return glued, soup.get_text()


def _load(path: Path) -> list[dict[str, Any]]:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _asked(entries: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(id, kind, question) for every single question and every dialogue turn (id#turn)."""
    asked = []
    for entry in entries:
        if entry["kind"] == "dialogue":
            asked += [(f"{entry['id']}#{n}", "dialogue", t) for n, t in enumerate(entry["turns"], 1)]
        else:
            asked.append((entry["id"], entry["kind"], entry))
    return asked


KINDS = ("fact", "paraphrase", "spelling", "table", "unanswerable", "dialogue")


def check(corpus: Corpus) -> list[str]:
    """Problems with the corpus's question file: each answer string must occur in the folded text of
    at least one of its gold docs, and the entries must be well formed. Empty when all is well."""
    folder = fetch(corpus.name)
    entries = _load(corpus.questions)
    problems = []
    ids = [str(e.get("id")) for e in entries]
    problems += [f"id {i} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += [f"{e.get('id')}: unknown kind {e.get('kind')!r}" for e in entries if e.get("kind") not in KINDS]
    texts: dict[str, tuple[str, ...] | None] = {}
    for qid, kind, question in _asked(entries):
        answers, docs = question.get("answers"), question.get("docs")
        if not question.get("question"):
            problems.append(f"{qid}: no question")
        if kind == "unanswerable":
            if answers or docs:
                problems.append(f"{qid}: an unanswerable question lists answers or docs")
            continue
        if not answers or not docs:
            problems.append(f"{qid}: no answers or no docs")
            continue
        for doc in docs:
            if doc not in texts:
                path = folder / doc
                texts[doc] = tuple(map(fold, page_texts(path))) if path.is_file() else None
            if texts[doc] is None:
                problems.append(f"{qid}: gold doc {doc} is not in {folder}")
        for answer in answers:
            found = [[fold(answer) in text for text in texts[d] or ()] for d in docs]
            if any(hits and all(hits) for hits in found):
                continue
            glued = any(map(any, found))  # found only where the glued text runs two blocks together
            where = "only across block boundaries (table cells, term and text) in" if glued else "in none of"
            problems.append(f"{qid}: {answer!r} is {where} {', '.join(docs)}")
    return problems


def _counts(corpus: Corpus) -> str:
    entries = _load(corpus.questions)
    kinds: dict[str, int] = {}
    for entry in entries:
        kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    turns = sum(len(e["turns"]) for e in entries if e["kind"] == "dialogue")
    answers = sum(len(q.get("answers") or []) for _, _, q in _asked(entries))
    by_kind = ", ".join(f"{kind} {kinds[kind]}" for kind in KINDS if kind in kinds)
    return f"{len(entries)} entries ({by_kind}; {turns} dialogue turns), {answers} answer strings"


# The rST question set: the HTML set's questions with each doc mapped to its source. Where an
# answer string reads differently in rST (markup inside the phrase), the question's answers are
# replaced by the strings listed here, keyed by question id (id#turn for a dialogue turn).
RST_ANSWERS: dict[str, tuple[str, ...]] = {
    "py05": ("end-of-file character", "quit()"),  # :kbd:`Control-D` on Unix, :kbd:`Control-Z` on Windows
    "py43": ("| 1.6 | 1.5.2 | 2000 | CNRI | no |",),  # grid table row
    "py44": ("| InstallAllUsers | Perform a system-wide installation. | 0 |",),  # grid table row
    "pyd2#3": ("only events of this level and above will be tracked",),  # The default level is ``WARNING``
}

_RST_HEADER = """\
# citebot question set on the reStructuredText sources of the Python 3.11 documentation
# (package python3.11-doc 3.11.2-6+deb12u8, /usr/share/doc/python3.11/html/_sources/, read as .txt):
# the questions of python3.11-doc-3.11.2.yaml, docs mapped to the pages' _sources/*.rst.txt files,
# answers replaced where the rST markup splits the HTML set's string (bench/doc_corpora.py RST_ANSWERS).
# Generated by `bench/doc_corpora.py rst-set`; edit the HTML set and regenerate, never this file.
# Written before citebot was run on them; kept as written. Format: see python3.11-doc-3.11.2.yaml.
"""


def rst_set() -> Path:
    """Write the rST question set from the HTML one and return its path."""
    import yaml

    html, rst = CORPORA["python3.11-doc-3.11.2"], CORPORA["python3.11-doc-3.11.2-rst"]
    entries = _load(html.questions)
    stale = sorted(set(RST_ANSWERS) - {qid for qid, _, _ in _asked(entries)})
    if stale:
        raise CorpusError(f"RST_ANSWERS names questions the HTML set does not have: {', '.join(stale)}")
    for qid, _, question in _asked(entries):
        question["docs"] = [f"_sources/{doc.removesuffix('.html')}.rst.txt" for doc in question.get("docs") or []]
        if qid in RST_ANSWERS:
            question["answers"] = list(RST_ANSWERS[qid])
    text = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=110)
    rst.questions.write_text(_RST_HEADER + text, encoding="utf-8")
    return rst.questions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("command", choices=("fetch", "check", "rst-set"))
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"corpora (default all): {', '.join(CORPORA)}")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in CORPORA]
    if unknown:
        parser.error(f"unknown corpus {', '.join(unknown)}; known: {', '.join(CORPORA)}")
    corpora = [CORPORA[n] for n in args.names or CORPORA]
    try:
        if args.command == "rst-set":
            print(f"wrote {rst_set().relative_to(ROOT)}")
            return 0
        failed = False
        for corpus in corpora:
            folder = fetch(corpus.name)
            pages = sum(1 for p in folder.rglob("*") if p.is_file())
            print(f"{corpus.name}: {folder} ({pages} pages; {corpus.package} {corpus.version}; {corpus.subset})")
            if args.command == "check" and corpus.questions is not None:
                problems = check(corpus)
                failed |= bool(problems)
                verdict = "FAILED" if problems else "ok"
                print(f"  {corpus.questions.relative_to(ROOT)}: {_counts(corpus)}: {verdict}")
                print("".join(f"  - {problem}\n" for problem in problems), end="")
        return 1 if failed else 0
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
