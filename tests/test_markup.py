"""Tests for bot.markup: Markdown and reStructuredText read as a person sees them, with their structure."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.markup import looks_restructured, markdown, restructured
from bot.structure import CODE, HEADING, LIST, TABLE, TERM_LEVEL, Structured

SHIPPED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def marked(doc: Structured, kind: int) -> list[tuple[str, int]]:
    """The text and level of every mark of a kind, in order."""
    return [(doc.text[mark.start : mark.end], mark.level) for mark in doc.marks if mark.kind == kind]


def blocks(doc: Structured) -> list[str]:
    return doc.text.split("\n\n")


# --- reStructuredText ----------------------------------------------------------------------------

DJANGO_PAGE = """\
:orphan:

==================================
Password management in Django
==================================

Django provides a flexible password storage system and uses PBKDF2 by
default. See :meth:`~django.contrib.auth.hashers.PBKDF2PasswordHasher.encode`,
``make_password()`` and :ref:`the upgrade notes <password-upgrade>`, or use
Argon2_ or `bcrypt <https://pypi.org/project/bcrypt/>`_ [#]_.

.. _Argon2: https://en.wikipedia.org/wiki/Argon2

Using Argon2 with Django
========================

.. setting:: PASSWORD_HASHERS

``PASSWORD_HASHERS``
--------------------

Default::

    [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]

.. django-admin:: changepassword [<username>]

Allows changing a user's password. It prompts you to enter a new password
twice for the given user.

.. [#] Footnote text.
"""


def test_the_title_between_adornment_lines_is_the_title() -> None:
    doc = restructured(DJANGO_PAGE)
    assert doc.title == "Password management in Django"
    assert marked(doc, HEADING)[0] == ("Password management in Django", 1)
    assert "=====" not in doc.text and "-----" not in doc.text
    assert ":orphan:" not in doc.text  # Sphinx's file-wide metadata is not shown


def test_sections_nest_by_depth() -> None:
    headings = [(text, level) for text, level in marked(restructured(DJANGO_PAGE), HEADING) if level < TERM_LEVEL]
    assert headings == [
        ("Password management in Django", 1),
        ("Using Argon2 with Django", 2),
        ("PASSWORD_HASHERS", 3),
    ]


def test_roles_literals_and_link_targets_read_as_plain_text() -> None:
    doc = restructured(DJANGO_PAGE)
    paragraph = next(block for block in blocks(doc) if block.startswith("Django provides"))
    assert paragraph == (
        "Django provides a flexible password storage system and uses PBKDF2 by default. See encode, "
        "make_password() and the upgrade notes, or use Argon2 or bcrypt."
    )
    for raw in (":meth:", "``", "`_", "Argon2_", "https://", "[#]", ".. _"):
        assert raw not in doc.text


def test_a_literal_block_after_double_colon_is_code_with_its_lines() -> None:
    doc = restructured(DJANGO_PAGE)
    assert '[\n    "django.contrib.auth.hashers.PBKDF2PasswordHasher",\n]' in [text for text, _ in marked(doc, CODE)]
    assert "Default:" in blocks(doc)  # "Default::" ends in one colon
    assert "::" not in doc.text


def test_a_lone_double_colon_disappears() -> None:
    doc = restructured("Run this ::\n\n    make\n")
    assert blocks(doc) == ["Run this", "make"]
    assert marked(doc, CODE) == [("make", 0)]


def test_a_directive_argument_is_a_term_heading_followed_by_its_description() -> None:
    source = """\
.. function:: make_password(password, salt=None, hasher='default')

   Creates a hashed password in the format used by this application.
   It takes one mandatory argument.

.. setting:: PASSWORD_HASHERS

   A list of the hashing algorithm classes that this Django installation supports.
"""
    doc = restructured(source)
    assert marked(doc, HEADING) == [
        ("make_password(password, salt=None, hasher='default')", TERM_LEVEL),
        ("PASSWORD_HASHERS", TERM_LEVEL),
    ]
    assert blocks(doc) == [
        "make_password(password, salt=None, hasher='default')",
        "Creates a hashed password in the format used by this application. It takes one mandatory argument.",
        "PASSWORD_HASHERS",
        "A list of the hashing algorithm classes that this Django installation supports.",
    ]


def test_a_bare_directive_names_the_text_after_it_unless_a_section_follows() -> None:
    doc = restructured(DJANGO_PAGE)
    terms = [text for text, level in marked(doc, HEADING) if level == TERM_LEVEL]
    assert terms == ["changepassword [<username>]"]  # `.. setting::` only labels the section under it
    after = blocks(doc)[blocks(doc).index("changepassword [<username>]") + 1]
    assert after.startswith("Allows changing a user's password.")


def test_nested_object_descriptions_and_options() -> None:
    source = """\
.. class:: Hasher(iterations)
   :noindex:

   A hasher.

   .. method:: encode(password, salt)

      Returns the encoded password.

   .. attribute:: algorithm
"""
    doc = restructured(source)
    assert marked(doc, HEADING) == [
        ("Hasher(iterations)", TERM_LEVEL),
        ("encode(password, salt)", TERM_LEVEL),
        ("algorithm", TERM_LEVEL),
    ]
    assert ":noindex:" not in doc.text


def test_wrapped_prose_is_one_paragraph() -> None:
    source = (
        "The password hashers are tried in order, and the first one is used to store\n"
        "new passwords; the others are used to check existing passwords, so that an\n"
        "upgrade does not lock anyone out.\n"
    )
    doc = restructured(source)
    assert doc.text == " ".join(source.split())
    assert doc.marks == ()


@pytest.mark.parametrize(
    ("directive", "label"),
    [("note", "Note"), ("warning", "Warning"), ("tip", "Tip"), ("seealso", "See also"), ("important", "Important")],
)
def test_admonition_labels_stay_apart_from_their_text(directive: str, label: str) -> None:
    doc = restructured(f"Before.\n\n.. {directive}::\n\n   Hashes are one-way.\n   Really.\n\nAfter.\n")
    assert blocks(doc) == ["Before.", label, "Hashes are one-way. Really.", "After."]


def test_a_generic_admonition_is_labelled_by_its_title() -> None:
    doc = restructured(".. admonition:: Upgrading\n\n   Run the migration first.\n")
    assert blocks(doc) == ["Upgrading", "Run the migration first."]


def test_version_notes_read_as_sentences() -> None:
    source = """\
.. versionadded:: 4.2

.. versionchanged:: 5.0 The *hasher* argument was added.

.. deprecated:: 3.1

   Use :func:`make_password` instead.
"""
    assert blocks(restructured(source)) == [
        "New in version 4.2.",
        "Changed in version 5.0: The hasher argument was added.",
        "Deprecated since version 3.1: Use make_password instead.",
    ]


def test_role_forms() -> None:
    source = (
        "A :py:meth:`~pkg.Class.method`, :class:`!Unlinked`, :setting:`AUTH_USER_MODEL`, "
        ":doc:`Install guide </intro/install>`, :pep:`8`, :samp:`print({x})` and :kbd:`Ctrl+C`.\n"
    )
    assert restructured(source).text == (
        "A method, Unlinked, AUTH_USER_MODEL, Install guide, PEP 8, print(x) and Ctrl+C."
    )


def test_substitutions_use_their_replacement_or_their_name() -> None:
    source = ".. |project| replace:: *Citebot*\n\n|project| works with Python |version|.\n"
    assert restructured(source).text == "Citebot works with Python version."


def test_code_directives_keep_their_lines_and_drop_their_options() -> None:
    source = """\
.. code-block:: python
   :linenos:
   :emphasize-lines: 2

   def check(password):
       return verify(password)

>>> check("secret")
True
"""
    doc = restructured(source)
    assert marked(doc, CODE) == [
        ("def check(password):\n    return verify(password)", 0),
        ('>>> check("secret")\nTrue', 0),
    ]
    assert "linenos" not in doc.text


def test_directives_with_nothing_to_read_are_dropped() -> None:
    source = """\
Intro.

.. toctree::
   :maxdepth: 2

   install
   usage

.. index:: single: password
.. highlight:: python
.. include:: /etc/passwd
.. image:: diagram.png
.. only:: html

   Shown in HTML.

.. This is a comment.
"""
    assert blocks(restructured(source)) == ["Intro.", "Shown in HTML."]


def test_lists_definitions_fields_and_tables() -> None:
    source = """\
- one
- two

  - two a
  - two b

#. first
#. second

Argon2
   A memory-hard hashing algorithm.

:Author: Ann
:Version: 2

=========  ===========
Hasher     Iterations
=========  ===========
PBKDF2     870000
Argon2     2
=========  ===========
"""
    doc = restructured(source)
    assert marked(doc, LIST) == [
        ("one\ntwo\n• two a\n• two b", 0),
        ("1. first\n2. second", 0),
        ("Author: Ann\nVersion: 2", 0),
    ]
    assert marked(doc, HEADING) == [("Argon2", TERM_LEVEL)]
    assert "A memory-hard hashing algorithm." in blocks(doc)
    assert marked(doc, TABLE) == [("Hasher  Iterations\nPBKDF2  870000\nArgon2  2", 1)]


def test_a_list_item_of_several_blocks_is_read_as_its_blocks() -> None:
    source = "#. Install it::\n\n       pip install argon2-cffi\n\n#. Add the hasher.\n"
    doc = restructured(source)
    assert blocks(doc) == ["1. Install it:", "pip install argon2-cffi", "2. Add the hasher."]
    assert marked(doc, CODE) == [("pip install argon2-cffi", 0)]


def test_a_grid_table_keeps_its_columns_when_a_cell_spans() -> None:
    source = """\
+------+-------+
| Name | Value |
+======+=======+
| a    | 1     |
+      +-------+
|      | 2     |
+------+-------+
| both columns |
+--------------+
"""
    rows = marked(restructured(source), TABLE)[0][0].split("\n")
    assert [row.split() for row in rows] == [["Name", "Value"], ["a", "1"], ["2"], ["both", "columns"]]
    assert rows[2].index("2") == rows[1].index("1") == rows[0].index("Value")  # 2 stays under Value


def test_markup_errors_show_no_system_messages() -> None:
    source = "Title\n=====\n\nAn *unclosed emphasis, a |missing| substitution and a bad_ reference.\n\n.. unknown::\n"
    doc = restructured(source)
    assert doc.title == "Title"
    assert blocks(doc)[1] == "An *unclosed emphasis, a missing substitution and a bad reference."
    for message in ("System Message", "ERROR", "WARNING", "Unknown", "Inline emphasis"):
        assert message not in doc.text


@pytest.mark.parametrize(
    "source",
    ["", "\n\n", "=====\n=====\n", "*" * 5000, ".. ::\n", "|" * 100, "\x00\x01 binary-ish \ufffd", "  - x\n" * 3],
)
def test_any_input_gives_a_document(source: str) -> None:
    doc = restructured(source)
    assert isinstance(doc, Structured)
    for mark in doc.marks:
        assert 0 <= mark.start < mark.end <= len(doc.text)
    assert "System Message" not in doc.text


def test_plain_prose_reads_as_paragraphs() -> None:
    source = "First paragraph,\nwrapped.\n\nSecond paragraph.\n"
    doc = restructured(source)
    assert blocks(doc) == ["First paragraph, wrapped.", "Second paragraph."]
    assert doc.title is None


# --- Detecting reStructuredText -------------------------------------------------------------------


def test_the_shipped_corpus_is_not_restructured_text() -> None:
    files = sorted(SHIPPED_CORPUS.glob("*.txt"))
    assert files
    for path in files:
        assert not looks_restructured(path.read_text(encoding="utf-8")), path.name


@pytest.mark.parametrize(
    "source",
    [
        DJANGO_PAGE,
        "Installing\n==========\n\nRun the installer.\n",
        "=======\nInstall\n=======\n\nRun it.\n",
        "Some prose.\n\n.. note::\n\n   A note.\n",
        "Call :func:`make_password` to hash.\n",
        "See the link_.\n\n.. _link: https://example.org\n",
    ],
)
def test_restructured_text_is_detected(source: str) -> None:
    assert looks_restructured(source)


@pytest.mark.parametrize(
    "source",
    [
        "Plain prose with a time, 10:30, and `quotes`.\n\nAnother paragraph.\n",
        "Country\nFiji\nTonga\n\nYear\n1970\n1971\n",
        "A line\nwith a rule glued under it\n---\n",  # shorter than the text above
        "Chapter one\n\n* * *\n\nChapter two\n",
        "Text.\n\n----------\n\nMore text.\n",  # a rule between paragraphs, not a title
    ],
)
def test_prose_is_not_detected(source: str) -> None:
    assert not looks_restructured(source)


# --- Markdown ------------------------------------------------------------------------------------

MARKDOWN_PAGE = """\
Intro paragraph that
wraps.

Install
=======

## The `hash` **command**

Use [the guide](https://example.org/guide) and ![a diagram](d.png).

```python
def check(password):

    return verify(password)
```

    indented code

- one
- two
  - two a
- three

1. first
2. second

> Quoted *text*
> continues.

| Hasher | Iterations |
|--------|-----------:|
| `PBKDF2` | 870000 |

<div class="note"><p>An <b>HTML</b> block.</p><!-- hidden --></div>
"""


def test_markdown_headings_and_title() -> None:
    doc = markdown(MARKDOWN_PAGE)
    assert doc.title == "Install"
    assert marked(doc, HEADING) == [("Install", 1), ("The hash command", 2)]


def test_markdown_title_falls_back_to_the_first_heading() -> None:
    assert markdown("Intro.\n\n### Setup\n\n## Usage\n").title == "Setup"
    assert markdown("No headings here.\n").title is None


def test_markdown_inline_markup_reads_as_text() -> None:
    doc = markdown(MARKDOWN_PAGE)
    assert blocks(doc)[0] == "Intro paragraph that wraps."
    assert "Use the guide and a diagram." in blocks(doc)
    assert "Quoted text continues." in blocks(doc)
    assert "An HTML block." in blocks(doc)
    for raw in ("**", "`", "](", "![", "<b>", "hidden", "```"):
        assert raw not in doc.text.replace("    ", "")


def test_markdown_code_keeps_its_lines() -> None:
    doc = markdown(MARKDOWN_PAGE)
    assert marked(doc, CODE) == [("def check(password):\n\n    return verify(password)", 0), ("indented code", 0)]


def test_markdown_lists_and_tables() -> None:
    doc = markdown(MARKDOWN_PAGE)
    assert marked(doc, LIST) == [("one\ntwo\n• two a\nthree", 0), ("1. first\n2. second", 0)]
    assert marked(doc, TABLE) == [("Hasher  Iterations\nPBKDF2  870000", 1)]


def test_a_markdown_list_item_of_several_blocks_is_read_as_its_blocks() -> None:
    doc = markdown("1. Install it:\n\n   ```\n   pip install argon2-cffi\n   ```\n2. Add the hasher.\n")
    assert blocks(doc) == ["1. Install it:", "pip install argon2-cffi", "2. Add the hasher."]
