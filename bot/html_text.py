"""HTML → the text a reader sees, with its structure: headings, code, tables, lists, definitions.

What a page shows around its content is left out: hidden elements, navigation (`<nav>`, ARIA
navigation and search roles, the class names page generators give navigation bars, sidebars,
footers and tables of contents), and blocks that are mostly links (a chapter's list of sections,
"Prev | Up | Next"). An admonition's label ("Note", "Warning") stays a line of its own rather
than becoming a section heading or the start of its first sentence.

Reading is linear in the page's size whatever its depth: the tree is walked with a stack of its
own (no recursion), and what the decisions about navigation and layout need of an element's
contents is counted once, bottom up, rather than searched again for every element.

Usage::

    page = read_html(data)
    page.title, page.text, page.marks
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from .structure import TERM_LEVEL, Structured, StructuredText, inline

_HIDDEN = frozenset(
    "script style noscript template head nav form button input select textarea svg iframe object canvas".split()
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = frozenset(
    "p div section article main aside header footer blockquote figure figcaption address center fieldset "
    "details summary caption hr li dd dt td th tr".split()
)
_NAVIGATION_ROLES = frozenset({"navigation", "search", "banner", "contentinfo", "menu", "menubar", "toolbar"})
# Class and id names that page generators (DocBook, Sphinx, MkDocs, Javadoc, blogs…) give the
# navigation around a page's content: navheader, sphinxsidebar, breadcrumbs, toc, footer…
_NAVIGATION_NAME = re.compile(
    r"^(?:nav\w*|\w*[-_]?navbar|\w*sidebar\w*|breadcrumbs?|toc|\w*[-_]toc|toc[-_]\w*|menu|\w*[-_]menu|"
    r"footer|\w*[-_]footer|page[-_]?footer|related|skip[-_]?links?|searchbox|search[-_]?form)$",
    re.IGNORECASE,
)
_ADMONITION_NAME = re.compile(
    r"^(?:admonition|note|tip|hint|warning|caution|important|attention|danger|error|seealso|callout)$", re.IGNORECASE
)
_WORD = re.compile(r"\w+")
_LINK_SHARE = 0.75  # of a list's or table's text in links: navigation
_NAVIGATION_WORDS = 1  # a paragraph of two or more links and at most this many other words is navigation
_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)
# The elements whose presence inside another one decides how that one is read.
_PARAGRAPHS = frozenset({"p"})
_LINE_BREAKERS = frozenset({"p", "div", "pre", "table", "ul", "ol", "dl"})  # no line of links holds one
_ITEM_BLOCKS = _LINE_BREAKERS | {"blockquote", *_HEADINGS}  # a list item holding one is not one line
_CELL_BLOCKS = frozenset({"pre", "table", "ul", "ol", "dl", *_HEADINGS})  # a table holding one lays out blocks


def read_html(data: bytes) -> Structured:
    """A page's visible text and structure; its title from <title> (or its first <h1>, when that is
    the title without the site's name around it)."""
    try:
        markup: str | bytes = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        markup = data  # BeautifulSoup then honours <meta charset> or guesses
    soup = BeautifulSoup(markup, "html.parser")
    for handle in soup.find_all(_self_anchor):
        handle.extract()
    title = inline(soup.title.get_text()) if isinstance(soup.title, Tag) else ""
    first = soup.find("h1")
    heading = inline(first.get_text()) if isinstance(first, Tag) else ""
    if heading and (not title or (heading in title and len(heading) < len(title))):
        title = heading  # "Glossary — Python 3.11 documentation": the page's own name, not the site's too
    root = soup.body if isinstance(soup.body, Tag) else soup
    reader = _Reader(_Contents(root))
    reader.read(root)
    reader.flush()
    return reader.text.build(title or None)


@dataclass(slots=True)
class _Counts:
    """What an element holds: characters and words of text, in links or not, and which blocks."""

    chars: int = 0
    linked_chars: int = 0
    words: int = 0
    linked_words: int = 0
    links: int = 0
    blocks: dict[str, int] = field(default_factory=dict)  # of the names the decisions look at


class _Contents:
    """Every element's counts, made once for the whole tree, children before their parent."""

    def __init__(self, root: Tag) -> None:
        self._counts: dict[int, _Counts] = {}
        tracked = _ITEM_BLOCKS | _CELL_BLOCKS
        for tag in reversed(list(_elements(root))):
            counts = _Counts()
            for child in tag.children:
                if isinstance(child, Tag):
                    inner = self._counts[id(child)]
                    counts.chars += inner.chars
                    counts.linked_chars += inner.linked_chars
                    counts.words += inner.words
                    counts.linked_words += inner.linked_words
                    counts.links += inner.links
                    for name, number in inner.blocks.items():
                        counts.blocks[name] = counts.blocks.get(name, 0) + number
                    if child.name in tracked:
                        counts.blocks[child.name] = counts.blocks.get(child.name, 0) + 1
                elif isinstance(child, NavigableString) and not isinstance(child, _SKIPPED_STRINGS):
                    counts.chars += len("".join(child.split()))
                    counts.words += len(_WORD.findall(child))
            if tag.name == "a":
                counts.links += 1
                counts.linked_chars, counts.linked_words = counts.chars, counts.words
            self._counts[id(tag)] = counts

    def of(self, tag: Tag) -> _Counts:
        return self._counts[id(tag)]

    def holds(self, tag: Tag, names: frozenset[str]) -> int:
        """How many elements of these names the element holds, at any depth."""
        blocks = self._counts[id(tag)].blocks
        return sum(blocks.get(name, 0) for name in names)


def _elements(root: Tag) -> Iterator[Tag]:
    """The root and every element under it, parents before children (without recursion)."""
    pending = [root]
    while pending:
        tag = pending.pop()
        yield tag
        pending.extend(child for child in reversed(tag.contents) if isinstance(child, Tag))


# What a frame of the walk goes through: elements and strings of the tree, and actions to take
# between them (a list item's bullet, a definition's name).
_Step = Tag | NavigableString | Callable[[], None]


@dataclass(slots=True)
class _Frame:
    steps: Iterator[_Step]
    leaving: Callable[[], None] | None = None


class _Reader:
    """Walks the tree once, collecting running text until a block element ends it."""

    def __init__(self, contents: _Contents) -> None:
        self.text = StructuredText()
        self._contents = contents
        self._running: list[str] = []  # the current paragraph; "\n" for a <br>
        self._prefix = ""  # put before the next paragraph: a list item's bullet
        self._admonitions = 0  # how deep inside admonitions the walk is

    def flush(self) -> None:
        paragraph = "".join(self._running)
        self._running.clear()
        if paragraph.strip():
            self.text.paragraph(self._prefix + paragraph.strip())
            self._prefix = ""

    def read(self, root: Tag) -> None:
        stack = [_Frame(iter(root.children))]
        while stack:
            step = next(stack[-1].steps, None)
            if step is None:
                leaving = stack.pop().leaving
                if leaving is not None:
                    leaving()
            elif isinstance(step, Tag):
                inside = self._enter(step)
                if inside is not None:
                    stack.append(inside)
            elif isinstance(step, NavigableString):
                if not isinstance(step, _SKIPPED_STRINGS):
                    self._running.append(str(step).replace("\n", " "))
            else:
                step()

    def _enter(self, tag: Tag) -> _Frame | None:
        """Read an element: at once, or as a frame of what to read inside it."""
        name = tag.name
        if name in _HIDDEN or _hidden(tag) or self._navigation(tag):
            return None
        if name == "br":
            self._running.append("\n")
        elif name in _HEADINGS:
            self.flush()
            if self._admonitions:  # an admonition's label: a line of its own, not a section
                self.text.paragraph(tag.get_text())
            else:
                self.text.heading(tag.get_text(), _HEADINGS[name])
        elif name == "pre":
            self.flush()
            self.text.code(tag.get_text())
        elif name == "table":
            self.flush()
            return self._table(tag)
        elif name in ("ul", "ol"):
            self.flush()
            return self._list(tag, "1." if name == "ol" else "•")
        elif name == "dl":
            self.flush()
            return _Frame(self._definitions(tag))
        elif name in _BLOCKS:
            self.flush()
            admonition = _is_admonition(tag)
            self._admonitions += admonition

            def leave() -> None:
                self.flush()
                self._admonitions -= admonition

            return _Frame(iter(tag.children), leave)
        else:
            return _Frame(iter(tag.children))
        return None

    def _table(self, table: Tag) -> _Frame | None:
        rows = _rows(table)
        if any(self._contents.holds(cell, _CELL_BLOCKS) for row in rows for cell in row):
            return _Frame(cell for row in rows for cell in row)  # a table laying out blocks: cells as blocks
        caption = next((child for child in table.children if isinstance(child, Tag) and child.name == "caption"), None)
        if caption is not None:
            self.text.paragraph(caption.get_text())
        header = bool(rows) and (
            all(cell.name == "th" for cell in rows[0]) or getattr(rows[0][0].parent.parent, "name", "") == "thead"
        )
        self.text.table([[cell.get_text(" ") for cell in row] for row in rows], header)
        return None

    def _list(self, listing: Tag, bullet: str) -> _Frame | None:
        items = [child for child in listing.children if isinstance(child, Tag) and child.name == "li"]
        if all(self._simple(item) for item in items):
            self.text.items([item.get_text(" ") for item in items], bullet)
            return None
        return _Frame(self._items(items, bullet))

    def _items(self, items: list[Tag], bullet: str) -> Iterator[_Step]:
        """A list whose items hold blocks: each item read as blocks, its first paragraph bulleted."""
        for number, item in enumerate(items, start=1):
            yield lambda marker=(f"{number}. " if bullet == "1." else f"{bullet} "): self._start_item(marker)
            yield item
            yield self._end_item

    def _start_item(self, marker: str) -> None:
        self.flush()
        self._prefix = marker

    def _end_item(self) -> None:
        self.flush()
        self._prefix = ""

    def _definitions(self, listing: Tag) -> Iterator[_Step]:
        """A definition's name is the context of its description: a term heading, then the description."""
        for child in listing.children:
            if not isinstance(child, Tag) or child.name not in ("dt", "dd"):
                continue
            if child.name == "dd":
                yield child
                continue
            term = inline(child.get_text(" "))
            if term.endswith(":"):  # "You probably can:": a lead-in to what follows, not a name
                yield lambda term=term: self.text.paragraph(term)
            else:
                yield lambda term=term: self.text.heading(term, TERM_LEVEL)

    def _simple(self, item: Tag) -> bool:
        """A list item that is one line of running text (at most one paragraph, nothing else)."""
        blocks = self._contents.holds(item, _ITEM_BLOCKS)
        return blocks == 0 or (blocks == 1 and self._contents.holds(item, _PARAGRAPHS) == 1)

    def _navigation(self, tag: Tag) -> bool:
        """Navigation by the page's own account (role, class), or by being mostly links."""
        if str(tag.get("role") or "").lower() in _NAVIGATION_ROLES:
            return True
        if any(_NAVIGATION_NAME.match(name) for name in _names(tag)):
            return True
        counts = self._contents.of(tag)
        if counts.links < 2:
            return False
        if tag.name in ("ul", "ol", "dl", "table"):  # mostly links
            return counts.chars > 0 and counts.linked_chars >= _LINK_SHARE * counts.chars
        if tag.name in ("p", "div", "td", "li", "dd"):  # a line of links and hardly a word besides
            lines_broken = self._contents.holds(tag, _LINE_BREAKERS)
            return not lines_broken and counts.words - counts.linked_words <= _NAVIGATION_WORDS
        return False


def _rows(table: Tag) -> list[list[Tag]]:
    """The table's own rows (not those of tables inside it), each as its cells."""
    rows = []
    for child in table.children:
        if not isinstance(child, Tag):
            continue
        for row in child.children if child.name in ("thead", "tbody", "tfoot") else [child]:
            if isinstance(row, Tag) and row.name == "tr":
                cells = [cell for cell in row.children if isinstance(cell, Tag) and cell.name in ("td", "th")]
                if cells:
                    rows.append(cells)
    return rows


def _names(tag: Tag) -> list[str]:
    classes = tag.get("class") or []
    names = list(classes) if isinstance(classes, list) else str(classes).split()
    identifier = tag.get("id")
    if isinstance(identifier, str):
        names.append(identifier)
    return names


def _hidden(tag: Tag) -> bool:
    style = str(tag.get("style") or "").replace(" ", "").lower()
    return tag.has_attr("hidden") or tag.get("aria-hidden") == "true" or "display:none" in style


def _self_anchor(tag: Tag) -> bool:
    """A link to its own place shown as a symbol ("¶" after a heading): a handle, not text."""
    return tag.name == "a" and str(tag.get("href") or "").startswith("#") and not _WORD.search(tag.get_text())


def _is_admonition(tag: Tag) -> bool:
    return any(_ADMONITION_NAME.match(name) for name in _names(tag))
