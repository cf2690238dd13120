"""Readers for plain-text markup: Markdown and reStructuredText, read as a person would see them.

Many projects write their manuals in Markdown or reStructuredText and ship the sources as `.md`
or `.txt` (Sphinx publishes them as `_sources/*.rst.txt`). Read as prose, their adornment lines
become titles, directives and roles show raw, and a definition's name is cut from its text. These
readers parse the markup and give what the rendered page shows, with its structure as `Mark`s:

    doc = markdown("# Install\\n\\nRun `pip install citebot`.\\n")
    doc.title                       # "Install"
    doc.text                        # "Install\\n\\nRun pip install citebot."

    if looks_restructured(text):    # cheap: no parse
        doc = restructured(text)

Both are pure and never raise: input they cannot parse is read as plain paragraphs.

reStructuredText is parsed by docutils, the reference parser, made lenient for Sphinx's and
projects' own roles and directives, which docutils does not know. Roles go through an `Inliner`
subclass handed to docutils' parser, so they need no global state. Directives can only be looked
up in docutils' registry, so this module registers, through its public `register_directive`,
its own readers for Sphinx's directives and a generic one for every other name docutils does not
know (found by a scan of each text before parsing). Those names would otherwise be errors, so
only five names docutils knows change meaning in this process: `code`, `code-block` and
`sourcecode` accept Sphinx's options, `math` too, and `class` is Sphinx's Python class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from typing import Any

from bs4 import BeautifulSoup
from docutils import frontend, nodes, utils
from docutils.parsers import rst
from docutils.parsers.rst import Directive, directives, roles, states
from docutils.parsers.rst.languages import en as _english
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from .structure import TERM_LEVEL, Structured, StructuredText, inline

__all__ = ["looks_restructured", "markdown", "restructured"]

_NESTED_BULLETS = ("•", "◦")  # a sub-item's bullet, then deeper ones'


# --- Markdown ------------------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def markdown(text: str) -> Structured:
    """A Markdown document (CommonMark with GitHub tables) as read; its title is its first level-1
    heading, else its first heading."""
    try:
        reader = _MarkdownReader()
        reader.blocks(SyntaxTreeNode(_MARKDOWN.parse(text)).children)
    except Exception:  # markdown-it is robust, but a reply from a bad file must not cost the corpus
        return _plain(text)
    if not reader.out and text.strip():
        return _plain(text)
    return reader.out.build(title=reader.title or reader.first_heading)


class _MarkdownReader:
    def __init__(self) -> None:
        self.out = StructuredText()
        self.title: str | None = None
        self.first_heading: str | None = None

    def blocks(self, children: Iterable[SyntaxTreeNode]) -> None:
        for node in children:
            self.block(node)

    def block(self, node: SyntaxTreeNode) -> None:
        kind = node.type
        if kind == "heading":
            text = inline(_md_inline(node))
            level = int(node.tag[1])
            self.out.heading(text, level)
            if text:
                self.first_heading = self.first_heading or text
                if level == 1 and self.title is None:
                    self.title = text
        elif kind == "paragraph":
            self.out.paragraph(_md_inline(node))
        elif kind in ("fence", "code_block"):
            self.out.code(node.content)
        elif kind in ("bullet_list", "ordered_list"):
            self.list(node, 0)
        elif kind == "table":
            self.table(node)
        elif kind == "html_block":
            self.out.paragraph(inline(_html_text(node.content)))
        elif kind == "hr":
            return
        else:  # blockquote, and whatever a plugin may add
            self.blocks(node.children)

    def list(self, node: SyntaxTreeNode, depth: int) -> None:
        _emit_list(
            self.out,
            node.children,
            _md_labels(node, depth),
            _md_simple,
            lambda item, label: self.item_lines(item, label, depth),
            lambda item, label: self.item_blocks(item, label, depth),
        )

    def item_lines(self, item: SyntaxTreeNode, label: str, depth: int) -> list[str]:
        first, *sublists = item.children
        lines = [_prefixed(label, inline(_md_inline(first)))]
        for sublist in sublists:
            for subitem, sublabel in zip(sublist.children, _md_labels(sublist, depth + 1)):
                lines.extend(self.item_lines(subitem, sublabel, depth + 1))
        return lines

    def item_blocks(self, item: SyntaxTreeNode, label: str, depth: int) -> None:
        children = list(item.children)
        if label and children and children[0].type == "paragraph":
            self.out.paragraph(_prefixed(label, inline(_md_inline(children.pop(0)))))
        for child in children:
            if child.type in ("bullet_list", "ordered_list"):
                self.list(child, depth + 1)
            else:
                self.block(child)

    def table(self, node: SyntaxTreeNode) -> None:
        rows = [[_md_inline(cell) for cell in row.children] for section in node.children for row in section.children]
        header = any(section.type == "thead" for section in node.children)
        self.out.table(rows, header=header)


def _md_inline(node: SyntaxTreeNode) -> str:
    """A node's text as shown: markup characters gone, code spans' text, links' text, images' alt."""
    parts: list[str] = []
    for child in node.children:
        kind = child.type
        if kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "html_inline":
            continue
        elif child.children:
            parts.append(_md_inline(child))
        else:
            parts.append(child.content)
    return "".join(parts)


def _md_simple(item: SyntaxTreeNode) -> bool:
    """An item that reads as one line: a paragraph, perhaps with sub-lists of such items."""
    children = item.children
    if not children or children[0].type != "paragraph":
        return False
    return all(
        child.type in ("bullet_list", "ordered_list") and all(_md_simple(sub) for sub in child.children)
        for child in children[1:]
    )


def _md_labels(node: SyntaxTreeNode, depth: int) -> list[str]:
    count = len(node.children)
    if node.type == "ordered_list":
        start = int(node.attrs.get("start", 1))
        return [f"{number}." for number in range(start, start + count)]
    return [_bullet(depth)] * count


def _html_text(markup: str) -> str:
    return BeautifulSoup(markup, "html.parser").get_text(" ")


# --- Lists, shared ------------------------------------------------------------------------------


def _emit_list(
    out: StructuredText,
    items: Sequence[Any],
    labels: Sequence[str],
    simple: Callable[[Any], bool],
    lines: Callable[[Any, str], list[str]],
    blocks: Callable[[Any, str], None],
) -> None:
    """Items of one paragraph each as one list, one line per item (sub-items on lines of their own,
    bulleted); an item holding more than that is read as its blocks, in order."""
    pending: list[str] = []
    for item, label in zip(items, labels):
        if simple(item):
            pending.extend(lines(item, label))
        else:
            out.items(pending)
            pending = []
            blocks(item, label)
    out.items(pending)


def _bullet(depth: int) -> str:
    return "" if depth == 0 else _NESTED_BULLETS[min(depth, len(_NESTED_BULLETS)) - 1]


def _prefixed(label: str, text: str) -> str:
    return f"{label} {text}" if label else text


# --- reStructuredText: detection -----------------------------------------------------------------

_DETECT_CHARS = 65_536  # a manual shows its markup at the top; a large prose file is not scanned whole
# Each pattern starts with a literal character, which the regex engine looks for quickly: a text
# without it costs one fast scan.
_RST_EXPLICIT = re.compile(
    r"\n[ \t]*\.\.[ \t]+(?:"
    r"[A-Za-z][\w.+-]*(?::[\w.+-]+)?[ ]?::(?:[ \t]|$)"  # a directive
    r"|_[^\n:`]+:(?:[ \t]|$)"  # a hyperlink target
    r"|\|[^|\n]+\|[ \t]+[\w-]+::"  # a substitution definition
    r")",
    re.MULTILINE,
)
_ROLE_BODY = re.compile(r":`[^`\n]+`(?!`)")
_ROLE_NAME_BEFORE = re.compile(r"[\s(\"'](?::[A-Za-z][\w.+-]*)+\Z")
_ROLE_NAME_MAX = 60
_ADORNMENT = re.compile(r"\n(([!-/:-@\[-`{-~])\2{2,})[ \t]*$", re.MULTILINE)


def looks_restructured(text: str) -> bool:
    """Whether a .txt file is written in reStructuredText: it has a directive, a role, or a title
    underlined (and perhaps overlined) with a line of one punctuation character at least as long."""
    head = "\n" + text[:_DETECT_CHARS]
    if _RST_EXPLICIT.search(head):
        return True
    for match in _ROLE_BODY.finditer(head):
        if _ROLE_NAME_BEFORE.search(head, max(0, match.start() - _ROLE_NAME_MAX), match.start()):
            return True
    return any(_adorns_title(head, match) for match in _ADORNMENT.finditer(head))


def _adorns_title(head: str, underline: re.Match[str]) -> bool:
    """Whether an adornment line underlines a title: the line above is text no longer than it,
    standing alone (after a blank line, the start, or an overline like the underline)."""
    adornment = underline.group(1)
    above_end = underline.start()
    above_start = head.rfind("\n", 0, above_end) + 1
    title = head[above_start:above_end].strip()
    if not title or len(title) > len(adornment) or _ADORNMENT.fullmatch("\n" + title):
        return False
    before = head[head.rfind("\n", 0, above_start - 1) + 1 : above_start - 1] if above_start > 1 else ""
    return not before.strip() or before.rstrip() == adornment


# --- reStructuredText: docutils made lenient -----------------------------------------------------


class _AnyOption(dict):  # type: ignore[type-arg]
    """Accepts every directive option: Sphinx's and extensions' options are not ours to check."""

    def __missing__(self, key: str) -> Callable[[str | None], str | None]:
        return directives.unchanged


_ANY_OPTION = _AnyOption(name=directives.unchanged)  # not empty: docutils reads options only then


class _description(nodes.General, nodes.Element):
    """What a Sphinx object directive describes (a function, a setting, an option): its names,
    one per signature line, then its text."""


class _labelled(nodes.General, nodes.Element):
    """A block Sphinx shows under a label: "See also", "New in version 3.2", "Availability"."""


class _Lenient(Directive):
    """A directive that takes what Sphinx's would: an argument of any words, any options, content."""

    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = _ANY_OPTION
    has_content = True


class _Described(_Lenient):
    """`.. function:: name(args)`, `.. setting:: NAME` and every directive docutils does not know."""

    def run(self) -> list[nodes.Node]:
        names = self.arguments[0].split("\n") if self.arguments else []
        node = _description(names=[_unliteral(name) for name in names if name.strip()])
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class _Contents(_Lenient):
    """Directives whose content is read as it stands: `.. only::`, `.. glossary::`, `.. hlist::`."""

    def run(self) -> list[nodes.Node]:
        node = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class _Dropped(_Lenient):
    """Directives with nothing to read: `.. toctree::`, `.. index::`, `.. highlight::`, …"""

    def run(self) -> list[nodes.Node]:
        return []


class _Code(_Lenient):
    """`.. code-block:: lang`, `.. doctest::`, `.. math::`: the content's lines as they are."""

    def run(self) -> list[nodes.Node]:
        code = "\n".join(self.content)
        return [nodes.literal_block(code, code)] if code.strip() else []


class _Grammar(_Lenient):
    """`.. productionlist::`: the grammar rules, given as the argument, as code."""

    def run(self) -> list[nodes.Node]:
        lines = (self.arguments[0].split("\n") if self.arguments else []) + list(self.content)
        if lines and ":" not in lines[0]:
            lines.pop(0)  # a production group's name
        code = "\n".join(lines).replace("`", "")
        return [nodes.literal_block(code, code)] if code.strip() else []


class _Labelled(_Lenient):
    """A block under a label: an argument read as its first paragraph, then its content."""

    label = ""
    joined = False  # Sphinx's "Label: first paragraph", or the label as a paragraph of its own

    def run(self) -> list[nodes.Node]:
        node = _labelled(label=self.label, joined=self.joined)
        if self.arguments:
            node += self._paragraph(self.arguments[0])
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]

    def _paragraph(self, text: str) -> nodes.paragraph:
        children, _messages = self.state.inline_text(text, self.lineno)
        return nodes.paragraph(text, "", *children)


class _SeeAlso(_Labelled):
    label = "See also"


class _ImplementationDetail(_Labelled):
    label = "CPython implementation detail"
    joined = True


class _Availability(_Labelled):
    label = "Availability"
    joined = True


_VERSION_LABELS = {
    "versionadded": "New in version {}",
    "versionchanged": "Changed in version {}",
    "deprecated": "Deprecated since version {}",
}


class _VersionChange(_Labelled):
    """`.. versionadded:: 3.2 [explanation]` and its kin, read as Sphinx words them."""

    required_arguments = 1
    optional_arguments = 1
    joined = True

    def run(self) -> list[nodes.Node]:
        label = _VERSION_LABELS.get(self.name.lower().rsplit(":", 1)[-1], "Changed in version {}")
        node = _labelled(label=label.format(self.arguments[0]), joined=True)
        if len(self.arguments) > 1:
            node += self._paragraph(self.arguments[1])
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class _DeprecatedRemoved(_Labelled):
    required_arguments = 2
    optional_arguments = 1
    joined = True

    def run(self) -> list[nodes.Node]:
        deprecated, removed = self.arguments[:2]
        node = _labelled(
            label=f"Deprecated since version {deprecated}, will be removed in version {removed}", joined=True
        )
        if len(self.arguments) > 2:
            node += self._paragraph(self.arguments[2])
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class _AuditEvent(_Labelled):
    """CPython's `.. audit-event:: name args`: "Raises an auditing event name with arguments args." """

    required_arguments = 1
    optional_arguments = 2

    def run(self) -> list[nodes.Node]:
        if self.content:
            node = nodes.container()
            self.state.nested_parse(self.content, self.content_offset, node)
            return [node]
        name = self.arguments[0]
        args = [arg.strip() for arg in self.arguments[1].split(",")] if len(self.arguments) > 1 else []
        args = [arg for arg in args if arg]
        if not args:
            text = f"Raises an auditing event {name} with no arguments."
        else:
            noun = "argument" if len(args) == 1 else "arguments"
            text = f"Raises an auditing event {name} with {noun} {', '.join(args)}."
        return [nodes.paragraph(text, text)]


class _Centered(_Labelled):
    def run(self) -> list[nodes.Node]:
        return [self._paragraph(self.arguments[0])] if self.arguments else []


_NOTHING_TO_READ = [
    *["toctree", "index", "highlight", "highlightlang", "currentmodule", "program", "default-domain"],
    *["sectionauthor", "moduleauthor", "codeauthor", "tabularcolumns", "autosummary"],
    *["literalinclude", "testsetup", "testcleanup", "graphviz", "graph", "digraph", "inheritance-diagram"],
    *["audit-event-table", "limited-api-list", "miscnews"],
]
_READ_AS_CODE = ["code", "code-block", "sourcecode", "math", "doctest", "testcode", "testoutput", "console", "snippet"]
_CONTENT_ONLY = ["only", "ifconfig", "glossary", "hlist", "cssclass", "rst-class", "tab", "tabs"]
_SPHINX_DIRECTIVES: dict[str, type[Directive]] = {
    **{name: _Dropped for name in _NOTHING_TO_READ},
    **{name: _Code for name in _READ_AS_CODE},
    **{name: _Contents for name in _CONTENT_ONLY},
    "productionlist": _Grammar,
    "seealso": _SeeAlso,
    "versionadded": _VersionChange,
    "versionchanged": _VersionChange,
    "deprecated": _VersionChange,
    "deprecated-removed": _DeprecatedRemoved,
    "impl-detail": _ImplementationDetail,
    "availability": _Availability,
    "audit-event": _AuditEvent,
    "centered": _Centered,
    "class": _Described,  # Sphinx's Python class, not docutils' class attribute
}
_DIRECTIVE_NAME = re.compile(r"^[ \t]*\.\.[ \t]+((?:(?!_)\w)+(?:[-._+:](?:(?!_)\w)+)*)[ ]?::(?:[ \t]|$)", re.MULTILINE)
_checked_directives: set[str] = set()


def _register_directives(text: str, document: nodes.document) -> None:
    """Give docutils a reader for every directive name in the text that it does not know."""
    for name in {name.lower() for name in _DIRECTIVE_NAME.findall(text)} - _checked_directives:
        own = _SPHINX_DIRECTIVES.get(name.rsplit(":", 1)[-1])
        if own is not None:
            directives.register_directive(name, own)
        else:
            known, _messages = directives.directive(name, _english, document)
            if known is None:
                directives.register_directive(name, _Described)
        _checked_directives.add(name)


for _name, _directive in _SPHINX_DIRECTIVES.items():
    directives.register_directive(_name, _directive)
_checked_directives.update(_SPHINX_DIRECTIVES)


_EXPLICIT_TITLE = re.compile(r"^(.+?)\s*(?<!\x00)<([^<]*?)>$", re.DOTALL)  # Sphinx's: "title <target>"
_SAMPLE_VARIABLE = re.compile(r"(?<!\x00)\{([^{}]*)(?<!\x00)\}")  # :samp:`print({x})`: x is a variable


def _reference_text(text: str) -> str:
    """A cross-reference as Sphinx shows it: the explicit title, or the target without `!`, and
    after `~` only the last dotted part."""
    match = _EXPLICIT_TITLE.match(text)
    if match:
        return utils.unescape(match.group(1))
    text = utils.unescape(text).lstrip("!")
    if text.startswith("~"):
        text = text[1:].rsplit(".", 1)[-1]
    return text.lstrip(".") or text  # `.stat` is "stat" found from the current module


def _numbered(prefix: str) -> Callable[[str], str]:
    def text(target: str) -> str:
        match = _EXPLICIT_TITLE.match(target)
        if match:
            return utils.unescape(match.group(1))
        return f"{prefix}{utils.unescape(target).split('#', 1)[0].strip()}"

    return text


def _samp(text: str) -> str:
    return utils.unescape(_SAMPLE_VARIABLE.sub(r"\1", text))


def _gui(text: str) -> str:
    return re.sub(r"&(&?)", r"\1", utils.unescape(text)).replace("-->", "‣")


_ROLE_TEXT: dict[str, Callable[[str], str]] = {
    "pep": _numbered("PEP "),
    "rfc": _numbered("RFC "),
    "issue": _numbered("bpo-"),
    "gh": _numbered("gh-"),
    "samp": _samp,
    "file": _samp,
    "guilabel": _gui,
    "menuselection": _gui,
    "kbd": utils.unescape,
    "abbr": utils.unescape,
    "dfn": utils.unescape,
}


class _Inliner(states.Inliner):
    """docutils' inline parser, reading every role it does not know as a Sphinx cross-reference."""

    def interpreted(self, rawsource: str, text: str, role: str, lineno: int) -> Any:
        shown = _ROLE_TEXT.get(role.lower().rsplit(":", 1)[-1])
        if shown is None:
            if not role or roles.role(role, self.language, lineno, self.reporter)[0] is not None:
                return super().interpreted(rawsource, text, role, lineno)  # docutils' own, or the default
            shown = _reference_text
        return [nodes.inline(rawsource, shown(text))], []


# docutils builds the inline patterns from `vars(type(self))`, the class's own namespace, so a
# subclass must carry the pattern pieces the base class defines.
for _name, _value in vars(states.Inliner).items():
    if isinstance(_value, str) and not _name.startswith("__"):
        setattr(_Inliner, _name, _value)


_settings: Any = None


def _new_document() -> nodes.document:
    """A document to parse into, with settings that never halt, print or read files."""
    global _settings
    if _settings is None:
        settings = frontend.get_default_settings(rst.Parser)
        settings.report_level = 5  # never print
        settings.halt_level = 5  # never raise
        settings.file_insertion_enabled = False  # `.. include::` reads no file: this is a pure function
        settings.raw_enabled = False
        settings.syntax_highlight = "none"
        settings.line_length_limit = 10_000_000  # unwrapped prose has long lines
        settings.pep_references = settings.rfc_references = False
        _settings = settings
    return utils.new_document("<markup>", copy(_settings))


# --- reStructuredText: reading the tree ---------------------------------------------------------


def restructured(text: str) -> Structured:
    """A reStructuredText document (Sphinx's and Django's manuals included) as its page shows it;
    its title is its first section title."""
    try:
        document = _new_document()
        _register_directives(text, document)
        rst.Parser(inliner=_Inliner()).parse(text, document)
        reader = _RstReader(document)
        reader.body(document.children, depth=0, sectioned=True)
    except Exception:  # docutils raises on some malformed input; such a file is still prose
        return _plain(text)
    if not reader.out and text.strip():
        return _plain(text)
    return reader.out.build(title=reader.title)


_ADMONITION_LABELS = {
    "attention": "Attention",
    "caution": "Caution",
    "danger": "Danger",
    "error": "Error",
    "hint": "Hint",
    "important": "Important",
    "note": "Note",
    "tip": "Tip",
    "warning": "Warning",
}
_HIDDEN = (
    nodes.Invisible,
    nodes.system_message,
    nodes.image,
    nodes.raw,
    nodes.transition,
    nodes.decoration,
    nodes.label,
)
_MAX_SUBSTITUTION_DEPTH = 8


class _RstReader:
    def __init__(self, document: nodes.document) -> None:
        self.document = document
        self.out = StructuredText()
        self.title: str | None = None
        self._substituting = 0

    # Blocks

    def body(self, children: Sequence[nodes.Node], depth: int, sectioned: bool = False) -> None:
        """Read block elements in order; `sectioned` when they are a section's, where a directive
        with no content just before the next section only names that section (Django's
        `.. setting:: NAME` over the ``NAME`` section) and is not read."""
        for index, node in enumerate(children):
            if (
                sectioned
                and isinstance(node, _description)
                and not node.children
                and _before_section(children[index + 1 :])
            ):
                continue
            if isinstance(node, nodes.field_list) and depth == 0 and self.title is None and not self.out:
                continue  # Sphinx's file-wide metadata (`:orphan:`, `:tocdepth:`), not shown
            self.block(node, depth)

    def block(self, node: nodes.Node, depth: int) -> None:
        if isinstance(node, _HIDDEN) or not isinstance(node, nodes.Element):
            return
        if isinstance(node, nodes.section):
            self.section(node, depth)
        elif isinstance(node, nodes.paragraph):
            self.out.paragraph(inline(self.inline(node)))
        elif isinstance(node, (nodes.literal_block, nodes.doctest_block, nodes.math_block)):
            self.out.code(node.astext())
        elif isinstance(node, (nodes.bullet_list, nodes.enumerated_list)):
            self.list(node, depth, nesting=0)
        elif isinstance(node, nodes.definition_list):
            self.definitions(node, depth)
        elif isinstance(node, nodes.field_list):
            self.fields(node, depth)
        elif isinstance(node, nodes.option_list):
            for item in node.children:
                group, *description = item.children
                self.out.heading(group.astext(), TERM_LEVEL)
                for part in description:
                    self.body(part.children, depth)
        elif isinstance(node, nodes.table):
            self.table(node)
        elif isinstance(node, nodes.line_block):
            self.out.paragraph("\n".join(self.lines(node)))
        elif isinstance(node, nodes.attribution):
            self.out.paragraph("— " + inline(self.inline(node)))
        elif isinstance(node, nodes.Admonition):
            self.admonition(node, depth)
        elif isinstance(node, _description):
            for name in node["names"]:
                self.out.heading(name, TERM_LEVEL)
            self.body(node.children, depth)
        elif isinstance(node, _labelled):
            self.labelled(node, depth)
        elif isinstance(node, (nodes.topic, nodes.sidebar)):
            if "contents" not in node["classes"]:
                self.body(node.children, depth)
        elif isinstance(node, nodes.rubric):
            self.out.heading(self.inline(node), min(depth + 1, 6))
        elif isinstance(node, nodes.TextElement):  # title, subtitle, caption, and the unforeseen
            self.out.paragraph(inline(self.inline(node)))
        else:  # block quotes, containers, compounds, figures, footnotes, and the unforeseen
            self.body(node.children, depth)

    def section(self, node: nodes.section, depth: int) -> None:
        children = node.children
        if children and isinstance(children[0], nodes.title):
            title = inline(self.inline(children[0]))
            self.out.heading(title, min(depth + 1, 6))
            if self.title is None and title:
                self.title = title
            children = children[1:]
        self.body(children, depth + 1, sectioned=True)

    def admonition(self, node: nodes.Element, depth: int) -> None:
        children = node.children
        if children and isinstance(children[0], nodes.title):  # `.. admonition:: Title`
            label = inline(self.inline(children[0]))
            children = children[1:]
        else:
            label = _ADMONITION_LABELS.get(node.tagname, node.tagname.capitalize())
        self.out.paragraph(label)
        self.body(children, depth)

    def labelled(self, node: _labelled, depth: int) -> None:
        label, children = node["label"], node.children
        if not node["joined"]:
            self.out.paragraph(label)
        elif children and isinstance(children[0], nodes.paragraph):
            self.out.paragraph(f"{label}: {inline(self.inline(children[0]))}")
            children = children[1:]
        else:
            self.out.paragraph(f"{label}:" if children else f"{label}.")
        self.body(children, depth)

    def list(self, node: nodes.Element, depth: int, nesting: int) -> None:
        _emit_list(
            self.out,
            node.children,
            _rst_labels(node, nesting),
            _rst_simple,
            lambda item, label: self.item_lines(item, label, nesting),
            lambda item, label: self.item_blocks(item, label, depth, nesting),
        )

    def item_lines(self, item: nodes.Element, label: str, nesting: int) -> list[str]:
        first, *sublists = [child for child in item.children if not isinstance(child, _HIDDEN)]
        lines = [_prefixed(label, inline(self.inline(first)))]
        for sublist in sublists:
            for subitem, sublabel in zip(sublist.children, _rst_labels(sublist, nesting + 1)):
                lines.extend(self.item_lines(subitem, sublabel, nesting + 1))
        return lines

    def item_blocks(self, item: nodes.Element, label: str, depth: int, nesting: int) -> None:
        children = [child for child in item.children if not isinstance(child, _HIDDEN)]
        if label and children and isinstance(children[0], nodes.paragraph):
            self.out.paragraph(_prefixed(label, inline(self.inline(children.pop(0)))))
        for child in children:
            if isinstance(child, (nodes.bullet_list, nodes.enumerated_list)):
                self.list(child, depth, nesting + 1)
            else:
                self.block(child, depth)

    def definitions(self, node: nodes.Element, depth: int) -> None:
        for item in node.children:
            terms = [self.inline(child) for child in item.children if isinstance(child, nodes.term)]
            classifiers = [self.inline(child) for child in item.children if isinstance(child, nodes.classifier)]
            term = " ".join(terms) + (f" ({', '.join(classifiers)})" if classifiers else "")
            self.out.heading(term, TERM_LEVEL)
            for child in item.children:
                if isinstance(child, nodes.definition):
                    self.body(child.children, depth)

    def fields(self, node: nodes.Element, depth: int) -> None:
        """`name: value` lines; a field holding more than a paragraph is read as its blocks."""
        pending: list[str] = []
        for field in node.children:
            name = inline(self.inline(field[0]))
            body = [child for child in field[1].children if not isinstance(child, _HIDDEN)] if len(field) > 1 else []
            if len(body) <= 1 and all(isinstance(child, nodes.paragraph) for child in body):
                pending.append(f"{name}: {self.inline(body[0])}" if body else name)
                continue
            self.out.items(pending)
            pending = []
            if body and isinstance(body[0], nodes.paragraph):
                self.out.paragraph(f"{name}: {inline(self.inline(body.pop(0)))}")
            else:
                self.out.paragraph(f"{name}:")
            self.body(body, depth)
        self.out.items(pending)

    def table(self, node: nodes.Element) -> None:
        for child in node.children:
            if isinstance(child, nodes.title):
                self.out.paragraph(inline(self.inline(child)))
        rows: list[list[str]] = []
        header = False
        for group in node.findall(nodes.tgroup):
            spanned: dict[int, int] = {}  # column → rows it is still covered by a cell from above
            for part in group.children:
                if not isinstance(part, (nodes.thead, nodes.tbody)):
                    continue
                header = header or isinstance(part, nodes.thead)
                for row in part.children:
                    rows.append(self.row(row, spanned))
        self.out.table(rows, header=header)

    def row(self, row: nodes.Element, spanned: dict[int, int]) -> list[str]:
        """A row's cells, with empty ones where a cell spans from the left or from above, so the
        columns stay in line."""
        cells: list[str] = []
        column = 0
        for entry in row.children:
            while spanned.get(column):
                spanned[column] -= 1
                cells.append("")
                column += 1
            width = 1 + entry.get("morecols", 0)
            cells.append(self.cell(entry))
            cells.extend([""] * (width - 1))
            for spanned_column in range(column, column + width):
                if entry.get("morerows"):
                    spanned[spanned_column] = entry["morerows"]
            column += width
        while spanned.get(column):
            spanned[column] -= 1
            cells.append("")
            column += 1
        return cells

    def cell(self, node: nodes.Element) -> str:
        parts = []
        for child in node.children:
            if isinstance(child, _HIDDEN):
                continue
            if isinstance(child, nodes.TextElement):
                parts.append(self.inline(child))
            elif isinstance(child, nodes.Element):
                parts.append(self.cell(child))
        return inline(" ".join(parts))

    def lines(self, node: nodes.Element) -> list[str]:
        lines = []
        for child in node.children:
            if isinstance(child, nodes.line_block):
                lines.extend(self.lines(child))
            elif isinstance(child, nodes.line):
                lines.append(inline(self.inline(child)))
        return lines

    # Inline

    def inline(self, node: nodes.Element) -> str:
        """An element's text as shown: markup gone, references by their text, footnote marks dropped."""
        parts: list[str] = []
        self._inline(node, parts)
        return "".join(parts)

    def _inline(self, node: nodes.Element, parts: list[str]) -> None:
        for child in node.children:
            if isinstance(child, nodes.Text):
                text = str(child)
                parts.append(text if isinstance(node, nodes.literal) else _DASHES.sub(_dash, text))
            elif isinstance(child, (nodes.footnote_reference, nodes.citation_reference)):
                if parts:
                    parts[-1] = parts[-1].rstrip()
            elif isinstance(child, nodes.substitution_reference):
                parts.append(self.substitution(child))
            elif isinstance(child, nodes.image):
                parts.append(child.get("alt", ""))
            elif isinstance(child, nodes.target):  # an inline target, `_`text``, shows its text
                self._inline(child, parts)
            elif isinstance(child, _HIDDEN):
                continue
            elif isinstance(child, nodes.Element):
                self._inline(child, parts)

    def substitution(self, node: nodes.substitution_reference) -> str:
        """A substitution's replacement when the document defines it, else its name."""
        name = node.get("refname", "")
        definition = self.document.substitution_defs.get(name)
        if definition is None:
            normalized = self.document.substitution_names.get(nodes.fully_normalize_name(name))
            definition = self.document.substitution_defs.get(normalized) if normalized else None
        if definition is None or self._substituting >= _MAX_SUBSTITUTION_DEPTH:
            return node.astext()
        self._substituting += 1
        try:
            return self.inline(definition)
        finally:
            self._substituting -= 1


_DASHES = re.compile(r"(?<=\s)---?(?=\s)")  # Sphinx shows a spaced "---" as an em dash, "--" as an en dash


def _dash(match: re.Match[str]) -> str:
    return "—" if len(match.group()) == 3 else "–"


def _before_section(following: Sequence[nodes.Node]) -> bool:
    """Whether nothing but hidden elements and other bare directives stand before the next section
    (or the end of this one)."""
    for node in following:
        if isinstance(node, _HIDDEN) or (isinstance(node, _description) and not node.children):
            continue
        return isinstance(node, nodes.section)
    return True


def _rst_simple(item: nodes.Element) -> bool:
    children = [child for child in item.children if not isinstance(child, _HIDDEN)]
    if not children or not isinstance(children[0], nodes.paragraph):
        return False
    return all(
        isinstance(child, (nodes.bullet_list, nodes.enumerated_list))
        and all(_rst_simple(sub) for sub in child.children)
        for child in children[1:]
    )


def _rst_labels(node: nodes.Element, nesting: int) -> list[str]:
    count = len(node.children)
    if not isinstance(node, nodes.enumerated_list):
        return [_bullet(nesting)] * count
    start = node.get("start", 1)
    kind = node.get("enumtype", "arabic")
    prefix, suffix = node.get("prefix", ""), node.get("suffix", ".")
    return [f"{prefix}{_enumerator(number, kind)}{suffix}" for number in range(start, start + count)]


def _enumerator(number: int, kind: str) -> str:
    if kind in ("loweralpha", "upperalpha") and 1 <= number <= 26:
        letter = chr(ord("a") + number - 1)
        return letter if kind == "loweralpha" else letter.upper()
    if kind in ("lowerroman", "upperroman") and 1 <= number < 4000:
        roman = _roman(number)
        return roman.lower() if kind == "lowerroman" else roman
    return str(number)


def _roman(number: int) -> str:
    numerals = []
    for value, numeral in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        count, number = divmod(number, value)
        numerals.append(numeral * count)
    return "".join(numerals)


def _unliteral(text: str) -> str:
    """A directive's argument as shown: ``double backquotes`` gone, the rest as written, since a
    signature's `*args` is not emphasis."""
    return re.sub(r"``(.+?)``", r"\1", text.strip())


# --- Fallback -----------------------------------------------------------------------------------


def _plain(text: str) -> Structured:
    """Text no parser could read: one paragraph per run of lines, its line breaks as spaces."""
    out = StructuredText()
    for block in re.split(r"\n[ \t]*\n", text):
        out.paragraph(inline(block))
    return out.build()
