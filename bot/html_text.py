"""HTML → the text a reader sees, with its structure: headings, code, tables, lists, definitions.

What a page shows around its content is left out: hidden elements, navigation (`<nav>`, ARIA
navigation and search roles, the class names page generators give navigation bars, sidebars,
footers and tables of contents), and blocks that are mostly links (a chapter's list of sections,
"Prev | Up | Next"). An admonition's label ("Note", "Warning") stays a line of its own rather
than becoming a section heading or the start of its first sentence.

Usage::

    page = read_html(data)
    page.title, page.text, page.marks
"""

from __future__ import annotations

import codecs
import re

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from .structure import TERM_LEVEL, Structured, StructuredText, inline

_HIDDEN = frozenset(
    "script style noscript template head nav form button input select textarea svg iframe object canvas".split()
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = frozenset(
    "p div section article main aside header footer blockquote figure figcaption address center fieldset "
    "details summary caption hr".split()
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


def read_html(data: bytes) -> Structured:
    """A page's visible text and structure; its title from <title> (or its first <h1>, when that is
    the title without the site's name around it)."""
    try:
        markup: str | bytes = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        markup = data  # BeautifulSoup then honours <meta charset> or guesses
    soup = BeautifulSoup(markup, "html.parser")
    for handle in soup.find_all(_self_anchor):
        handle.decompose()
    title = inline(soup.title.get_text()) if isinstance(soup.title, Tag) else ""
    first = soup.find("h1")
    heading = inline(first.get_text()) if isinstance(first, Tag) else ""
    if heading and (not title or (heading in title and len(heading) < len(title))):
        title = heading  # "Glossary — Python 3.11 documentation": the page's own name, not the site's too
    reader = _Reader()
    reader.walk(soup.body if isinstance(soup.body, Tag) else soup)
    reader.flush()
    return reader.text.build(title or None)


class _Reader:
    """Walks the tree once, collecting running text until a block element ends it."""

    def __init__(self) -> None:
        self.text = StructuredText()
        self._running: list[str] = []  # the current paragraph; "\n" for a <br>
        self._prefix = ""  # put before the next paragraph: a list item's bullet
        self._admonitions = 0  # how deep inside admonitions the walk is

    def flush(self) -> None:
        paragraph = "".join(self._running)
        self._running.clear()
        if paragraph.strip():
            self.text.paragraph(self._prefix + paragraph.strip())
            self._prefix = ""

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Tag):
                self._element(child)
            elif isinstance(child, NavigableString) and not isinstance(
                child, (Comment, Declaration, Doctype, ProcessingInstruction)
            ):
                self._running.append(str(child).replace("\n", " "))

    def _element(self, tag: Tag) -> None:
        name = tag.name
        if name in _HIDDEN or _hidden(tag) or _navigation(tag):
            return
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
            self._table(tag)
        elif name in ("ul", "ol"):
            self.flush()
            self._list(tag, "1." if name == "ol" else "•")
        elif name == "dl":
            self.flush()
            self._definitions(tag)
        elif name in _BLOCKS or name in ("li", "dd", "dt", "td", "th", "tr"):
            self.flush()
            admonition = _is_admonition(tag)
            self._admonitions += admonition
            self.walk(tag)
            self.flush()
            self._admonitions -= admonition
        else:
            self.walk(tag)

    def _table(self, table: Tag) -> None:
        rows = _rows(table)
        if any(cell.find(["pre", "table", "ul", "ol", "dl", *_HEADINGS]) for row in rows for cell in row):
            for row in rows:  # a table laying out blocks: its cells are read as blocks
                for cell in row:
                    self._element_as_block(cell)
            return
        caption = table.find("caption")
        if isinstance(caption, Tag):
            self.text.paragraph(caption.get_text())
        header = bool(rows) and (
            all(cell.name == "th" for cell in rows[0]) or rows[0][0].find_parent("thead") is not None
        )
        self.text.table([[cell.get_text(" ") for cell in row] for row in rows], header)

    def _list(self, listing: Tag, bullet: str) -> None:
        items = [item for item in listing.find_all("li", recursive=False)]
        if all(_simple(item) for item in items):
            self.text.items([item.get_text(" ") for item in items], bullet)
            return
        for number, item in enumerate(items, start=1):
            self._prefix = f"{number}. " if bullet == "1." else f"{bullet} "
            self._element_as_block(item)
            self._prefix = ""

    def _definitions(self, listing: Tag) -> None:
        """A definition's name is the context of its description: a term heading, then the description."""
        for child in listing.find_all(["dt", "dd"], recursive=False):
            term = inline(child.get_text(" "))
            if child.name == "dd":
                self._element_as_block(child)
            elif term.endswith(":"):  # "You probably can:": a lead-in to what follows, not a name
                self.text.paragraph(term)
            else:
                self.text.heading(term, TERM_LEVEL)

    def _element_as_block(self, tag: Tag) -> None:
        self.flush()
        self.walk(tag)
        self.flush()


def _rows(table: Tag) -> list[list[Tag]]:
    """The table's own rows (not those of tables inside it), each as its cells."""
    rows = []
    for row in table.find_all("tr"):
        if row.find_parent("table") is table:
            cells = [cell for cell in row.find_all(["td", "th"], recursive=False)]
            if cells:
                rows.append(cells)
    return rows


def _simple(item: Tag) -> bool:
    """A list item that is one line of running text (at most one paragraph, nothing else)."""
    blocks = item.find_all(["p", "div", "pre", "table", "ul", "ol", "dl", "blockquote", *_HEADINGS])
    return not blocks or (len(blocks) == 1 and blocks[0].name == "p")


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


def _navigation(tag: Tag) -> bool:
    """Navigation by the page's own account (role, class), or by being mostly links."""
    if str(tag.get("role") or "").lower() in _NAVIGATION_ROLES:
        return True
    if any(_NAVIGATION_NAME.match(name) for name in _names(tag)):
        return True
    if tag.name in ("ul", "ol", "dl", "table"):
        return _mostly_links(tag)
    if tag.name in ("p", "div", "td", "li", "dd"):
        return _a_line_of_links(tag)
    return False


def _mostly_links(tag: Tag) -> bool:
    links = tag.find_all("a")
    if len(links) < 2:
        return False
    text = len("".join(tag.get_text().split()))
    linked = sum(len("".join(link.get_text().split())) for link in links)
    return text > 0 and linked >= _LINK_SHARE * text


def _a_line_of_links(tag: Tag) -> bool:
    """Two or more links and hardly a word besides ("Prev | Up | Next"), with no blocks inside."""
    links = tag.find_all("a")
    if len(links) < 2 or tag.find(["p", "div", "pre", "table", "ul", "ol", "dl"]):
        return False
    words = len(_WORD.findall(tag.get_text(" "))) - sum(len(_WORD.findall(link.get_text(" "))) for link in links)
    return words <= _NAVIGATION_WORDS


def _self_anchor(tag: Tag) -> bool:
    """A link to its own place shown as a symbol ("¶" after a heading): a handle, not text."""
    return tag.name == "a" and str(tag.get("href") or "").startswith("#") and not _WORD.search(tag.get_text())


def _is_admonition(tag: Tag) -> bool:
    return any(_ADMONITION_NAME.match(name) for name in _names(tag))
