"""Which spellings are one name: the alias groups an index is built with, decided in one place.

Three sources make them up:

- `aliases.yaml` at the top of the corpus folder: the groups that belong to the documents, so
  they travel with them (a YAML list of groups, each a list of spellings);
- the config's `search.aliases`, added to those;
- `RENAMED_PLACES`, a built-in table of countries and cities known by an old and a new name
  (Swaziland and Eswatini), so a question in either finds documents written in the other.

Groups that share a spelling are one group, whose canonical spelling is the first of the
earliest: the corpus file's before the config's, both before the table's (so a corpus's
`[Kiev, Kyjiv]` and the table's `[Kyiv, Kiev]` are one group, `[Kiev, Kyjiv, Kyiv]`, indexed as
Kiev).

Passages are indexed with every group, the table's included: a group rewrites only the tokens
of its own spellings, so where the documents never use one, the index is what it would be
without it. Questions are read with the table's groups only when the index holds their name
(`AliasGroups.for_questions`): a question that says "Madras" to documents that never mention
the city still finds their "madrasa", and "Ivory Coast" their coasts, as it would with no table.
Whether a name occurs costs nothing to learn, no pass over the text: its canonical tokens are in
the index's vocabulary whenever one of its spellings was indexed (and, rarely and harmlessly, when
its words occur apart: "north" and "Macedonia").

`load` and `read_alias_file` read the file; the rest is pure.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import AliasFileError
from .text import AliasGroup, Analyzer

ALIAS_FILE = "aliases.yaml"

# Countries and cities renamed, each group one place: the name today first (the token it is
# indexed as), then the older name or spelling; but Turkey first, the name text.DEMONYMS reads
# "Turkish" as, so that documents that say Turkey are indexed as without the table.
#
# Left out because the old name also names another place or thing, which would be merged with it:
# Macedonia alone and Republic of Macedonia (Greece's region; "Republic of" starts a name in most
# political documents, and every passage with the first word of an alias takes the slower path
# through the alias matching), Holland (a region of the Netherlands), Zaire (the Congo river too),
# Rhodesia (Zambia too), Dahomey (Benin also names a kingdom in Nigeria), Persia (an empire wider
# than Iran), Formosa (an Argentine province), Leningrad (Saint Petersburg is also in Florida),
# Salisbury (Harare; also in England), Byzantium (the empire). Left out for speed: Saigon / Ho Chi
# Minh City, whose four words would make every passage naming any alias try four-word matches.
RENAMED_PLACES: tuple[AliasGroup, ...] = tuple(
    AliasGroup(spellings)
    for spellings in (
        ("Eswatini", "Swaziland"),
        ("Myanmar", "Burma"),
        ("Czechia", "Czech Republic"),
        ("Turkey", "Türkiye"),
        ("North Macedonia", "FYROM"),
        ("Côte d'Ivoire", "Ivory Coast"),
        ("Cabo Verde", "Cape Verde"),
        ("Timor-Leste", "East Timor"),
        ("Sri Lanka", "Ceylon"),
        ("Thailand", "Siam"),
        ("Cambodia", "Kampuchea"),
        ("Burkina Faso", "Upper Volta"),
        ("Mumbai", "Bombay"),
        ("Chennai", "Madras"),
        ("Kolkata", "Calcutta"),
        ("Bengaluru", "Bangalore"),
        ("Beijing", "Peking"),
        ("Kyiv", "Kiev"),
        ("Yangon", "Rangoon"),
        ("Istanbul", "Constantinople"),
        ("Volgograd", "Stalingrad"),
        ("Almaty", "Alma-Ata"),
        ("Tbilisi", "Tiflis"),
        ("Dhaka", "Dacca"),
    )
)


@dataclass(frozen=True, slots=True)
class AliasGroups:
    """The alias groups in effect: the corpus's and the config's own, and the built-in rest."""

    own: tuple[AliasGroup, ...]  # from aliases.yaml and search.aliases, with any table group sharing a spelling
    renamed: tuple[AliasGroup, ...]  # the table's groups that share no spelling with those

    @property
    def indexed(self) -> tuple[AliasGroup, ...]:
        """The groups passages are indexed with (and the index's settings fingerprint records)."""
        return self.own + self.renamed

    def for_questions(self, vocabulary: Container[str]) -> tuple[AliasGroup, ...]:
        """The groups questions are read with, given the index's vocabulary: the own groups, and
        the table's whose name the index holds (see the module's docstring for why not all)."""
        indexing = Analyzer(self.indexed)
        named = tuple(
            group for group in self.renamed if all(token in vocabulary for token in indexing.tokens(group.spellings[0]))
        )
        return self.own + named


def load(corpus_folder: Path, configured: Sequence[AliasGroup]) -> AliasGroups:
    """The groups in effect for a corpus folder: its alias file's, then the config's, then the table's."""
    return merge([*read_alias_file(corpus_folder / ALIAS_FILE), *configured])


def merge(own: Sequence[AliasGroup], built_in: Sequence[AliasGroup] = RENAMED_PLACES) -> AliasGroups:
    """Groups sharing a spelling made one, in order of first appearance; the own groups' first.

    Spellings are the same when the index would read them alike (case, accents, stopwords and
    word endings aside: "Türkiye" and "TURKIYE"). Each merged group keeps the first spelling of
    its earliest group as canonical, and one of each set of alike spellings.
    """
    plain = Analyzer()
    keys = [[tuple(plain.tokens(spelling)) for spelling in group.spellings] for group in (*own, *built_in)]
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, ...], int] = {}
    for i, group_keys in enumerate(keys):
        for key in group_keys:
            if not key:
                continue  # only stopwords: the index never sees it, so it joins nothing
            earlier = first_with.setdefault(key, i)
            a, b = root(earlier), root(i)
            parent[max(a, b)] = min(a, b)  # the earlier group stays the root: its canonical wins
    members: dict[int, list[int]] = {}
    for i in range(len(keys)):
        members.setdefault(root(i), []).append(i)
    groups = (*own, *built_in)
    merged_own, merged_renamed = [], []
    for first, indexes in members.items():
        spellings = _distinct((groups[i].spellings[j], keys[i][j]) for i in indexes for j in range(len(keys[i])))
        if len(spellings) < 2 and first >= len(own):
            continue  # a built-in group cannot shrink to one spelling; an own group is kept as written
        (merged_own if first < len(own) else merged_renamed).append(AliasGroup(spellings))
    return AliasGroups(tuple(merged_own), tuple(merged_renamed))


def _distinct(spellings: Iterable[tuple[str, tuple[str, ...]]]) -> tuple[str, ...]:
    """The spellings in order, one for each way the index reads them (all that read as nothing)."""
    seen: set[tuple[str, ...]] = set()
    kept = []
    for spelling, key in spellings:
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(spelling)
    return tuple(kept)


def read_alias_file(path: Path) -> tuple[AliasGroup, ...]:
    """The alias groups of a corpus's `aliases.yaml`; none when there is no such file.

    The file is a YAML list of groups, each a list of two or more spellings, every spelling the
    text as written (`Yes` or `1923` stay text, not YAML's true or a number). A mistake raises
    AliasFileError naming the file, the line and what is wrong.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return ()
    except UnicodeDecodeError:
        raise AliasFileError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as error:
        raise AliasFileError(f"cannot read the alias file {path}: {error.strerror or error}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise AliasFileError(f"{path}{where}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if root is None or _is_null(root):
        return ()
    if not isinstance(root, yaml.SequenceNode):
        hint = " (write the groups at the top level, without `aliases:`)" if isinstance(root, yaml.MappingNode) else ""
        raise _error(path, root, f"must be a list of alias groups, e.g. - [Turkey, Türkiye]{hint}")
    plain = Analyzer()
    return tuple(_group(path, node, plain) for node in root.value)


def _group(path: Path, node: yaml.Node, plain: Analyzer) -> AliasGroup:
    if not isinstance(node, yaml.SequenceNode) or len(node.value) < 2:
        hint = ", written - [Turkey, Türkiye]" if isinstance(node, yaml.ScalarNode) else ""
        raise _error(path, node, f"an alias group must be a list of two or more spellings{hint}; got {_shown(node)}")
    spellings = []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode):
            raise _error(path, item, f"a spelling must be text, got {_shown(item)}")
        spelling = item.value.strip()
        if not spelling or _is_null(item):
            raise _error(path, item, f"a blank spelling in the group {_shown(node)}")
        if not plain.tokens(spelling):
            raise _error(path, item, f"{spelling!r} has no word that is searched, only stopwords (like it, the, of)")
        spellings.append(spelling)
    return AliasGroup(tuple(spellings))


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _shown(node: yaml.Node, limit: int = 60) -> str:
    """A node as it is written in the file, on one short line."""
    start, end = node.start_mark, node.end_mark
    written = " ".join(start.buffer[start.pointer : end.pointer].split()) if start.buffer else str(node.value)
    return (written[: limit - 1] + "…" if len(written) > limit else written) or "nothing"


def _error(path: Path, node: yaml.Node, problem: str) -> AliasFileError:
    return AliasFileError(f"{path}, line {node.start_mark.line + 1}: {problem}")
