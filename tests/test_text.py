"""Tests for bot.text: folding, words, the one Analyzer for passages and questions, sentence spans."""

from __future__ import annotations

import pytest

from bot.text import STOPWORDS, AliasGroup, Analyzer, fold, sentence_spans, words


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


# --- fold -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Türkiye", "turkiye"),
        ("TÜRKIYE", "turkiye"),
        ("Şuşa", "susa"),
        ("ŞUŞA", "susa"),
        ("Kırıkkale", "kirikkale"),  # dotless ı has no decomposition
        ("İstanbul", "istanbul"),  # capital dotted İ casefolds to i + combining dot
        ("Azərbaycan", "azerbaycan"),
        ("Łódź", "lodz"),
        ("Straße", "strasse"),
        ("Türkiye’s", "turkiye's"),  # typographic apostrophe becomes a plain one
        ("Türkiye‘s", "turkiye's"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
    ],
)
def test_fold_removes_case_accents_and_apostrophe_variants(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_fold_is_idempotent_and_leaves_plain_ascii_alone() -> None:
    text = "Relations between Türkiye and Azerbaijan, Şuşa’s liberation."
    assert fold(fold(text)) == fold(text)
    assert fold("plain ascii text 1992") == "plain ascii text 1992"


# --- words ------------------------------------------------------------------------------------


def test_words_drops_numeric_and_named_reference_markers() -> None:
    assert words("Fiji 19 March 2010[72]") == ["fiji", "19", "march", "2010"]
    assert words("It was founded.[citation needed] Then [note 3] it grew[a].") == [
        "it",
        "was",
        "founded",
        "then",
        "it",
        "grew",
    ]
    assert "72" not in words("relations[72]")


def test_words_keeps_brackets_that_are_not_reference_markers() -> None:
    assert words("the [Baku office] opened") == ["the", "baku", "office", "opened"]


def test_words_drops_possessive_s_with_either_apostrophe() -> None:
    assert words("Azerbaijan's embassy") == ["azerbaijan", "embassy"]
    assert words("Türkiye’s relations") == ["turkiye", "relations"]


def test_words_joins_inner_apostrophes_of_contractions() -> None:
    assert words("don't") == ["dont"]


def test_words_splits_hyphenated_and_dashed_words() -> None:
    assert words("multi-dimensional Azerbaijan–Israel state-owned") == [
        "multi",
        "dimensional",
        "azerbaijan",
        "israel",
        "state",
        "owned",
    ]


def test_words_drops_punctuation_and_splits_identifiers_keeping_them_whole_too() -> None:
    assert words('"Hello," she said; (yes) snake_case!') == [
        "hello",
        "she",
        "said",
        "yes",
        "snake",
        "case",
        "snake_case",
    ]
    assert words("Edit postgresql.conf, then os.path.join it.") == [
        *["edit", "postgresql", "conf", "postgresql.conf", "then", "os", "path", "join", "os.path.join", "it"],
    ]


def test_initialisms_and_version_numbers_are_single_words() -> None:
    assert words("The U.S. shipped Python 3.11.2, e.g. in 2023.") == [
        *["the", "u.s", "shipped", "python", "3.11.2", "e.g", "in", "2023"],
    ]


def test_words_of_empty_or_punctuation_only_text_is_empty() -> None:
    assert words("") == []
    assert words(" ... — [12] ") == []


# --- Analyzer ---------------------------------------------------------------------------------


def test_tokens_drop_stopwords() -> None:
    analyzer = Analyzer()
    tokens = analyzer.tokens("What are the relations between the countries?")
    assert tokens == analyzer.tokens("relations countries")
    assert not set(tokens) & STOPWORDS
    assert analyzer.tokens("the of and it is") == []


def test_tokens_stem_inflections_to_one_token() -> None:
    analyzer = Analyzer()
    assert analyzer.tokens("relations") == analyzer.tokens("relation") == analyzer.tokens("Relations")
    assert analyzer.tokens("established") == analyzer.tokens("establishing")
    assert analyzer.tokens("embassies") == analyzer.tokens("embassy")
    assert analyzer.tokens("relations") != analyzer.tokens("embassy")


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("recognise", "recognize"),
        ("recognised", "recognized"),
        ("organisation", "organization"),
        ("analysed", "analyzed"),
        ("colour", "color"),
        ("favourite", "favorite"),
        ("centre", "center"),
        ("metres", "meters"),
    ],
)
def test_british_and_american_spellings_give_the_same_token(british: str, american: str) -> None:
    analyzer = Analyzer()
    assert analyzer.tokens(british) == analyzer.tokens(american)


def test_spelling_rewrites_leave_short_words_alone() -> None:
    analyzer = Analyzer()
    assert analyzer.tokens("tour") != analyzer.tokens("tor")
    assert analyzer.tokens("wise") != analyzer.tokens("wize")


def test_tokens_are_case_and_accent_insensitive() -> None:
    analyzer = Analyzer()
    assert analyzer.tokens("ŞUŞA") == analyzer.tokens("Şuşa") == analyzer.tokens("susa")
    assert analyzer.tokens("Türkiye’s") == analyzer.tokens("turkiye")


def test_question_and_passage_share_the_same_tokens() -> None:
    analyzer = Analyzer()
    passage = "Diplomatic relations were established on 14 January 1992.[3]"
    question = "When were diplomatic relations established?"
    passage_tokens = analyzer.tokens(passage)
    question_tokens = analyzer.tokens(question)
    assert set(question_tokens) <= set(passage_tokens)
    assert analyzer.tokens(passage) == passage_tokens  # deterministic, cache does not change results


TURKEY = AliasGroup(("Turkey", "Türkiye", "Turkiye"))
UNITED_STATES = AliasGroup(("United States", "U.S.", "USA"))


@pytest.mark.parametrize("spelling", ["Turkey", "Türkiye", "Turkiye", "TÜRKİYE", "turkey’s", "Türkiye's"])
def test_alias_spellings_give_the_canonical_token(spelling: str) -> None:
    analyzer = Analyzer([TURKEY])
    assert analyzer.tokens(spelling) == analyzer.tokens("Turkey") == Analyzer().tokens("Turkey")


def test_alias_spellings_match_inside_a_sentence() -> None:
    analyzer = Analyzer([TURKEY])
    assert analyzer.tokens("Relations of Türkiye with Azerbaijan") == analyzer.tokens(
        "relations of Turkey with Azerbaijan"
    )


def test_without_aliases_spellings_stay_apart() -> None:
    analyzer = Analyzer()
    assert analyzer.tokens("Türkiye") != analyzer.tokens("Turkey")


@pytest.mark.parametrize("spelling", ["United States", "U.S.", "USA", "united states", "the U.S."])
def test_multi_word_alias_group(spelling: str) -> None:
    analyzer = Analyzer([UNITED_STATES])
    assert analyzer.tokens(spelling) == analyzer.tokens("United States")


def test_multi_word_alias_inside_text_keeps_the_surrounding_tokens() -> None:
    analyzer = Analyzer([UNITED_STATES, TURKEY])
    tokens = analyzer.tokens("The USA embassy in Türkiye opened")
    plain = Analyzer()
    assert tokens == (
        plain.tokens("United States") + plain.tokens("embassy") + plain.tokens("Turkey") + plain.tokens("opened")
    )


def test_alias_groups_leave_unrelated_words_untouched() -> None:
    plain = Analyzer()
    aliased = Analyzer([TURKEY, UNITED_STATES])
    for text in ["Azerbaijan", "states of the union", "united front", "Turkmenistan", "turkeys were eaten"]:
        assert aliased.tokens(text) == plain.tokens(text)


def test_initialism_alias_does_not_rewrite_a_lone_letter() -> None:
    plain = Analyzer()
    aliased = Analyzer([UNITED_STATES])
    assert aliased.tokens("U-boat") == plain.tokens("U-boat")
    assert aliased.tokens("U Thant") == plain.tokens("U Thant")


# --- sentence_spans ---------------------------------------------------------------------------


def test_sentences_end_at_period_exclamation_and_question_mark() -> None:
    text = "Baku is the capital. It is large! Is it old? Yes."
    assert sentences(text) == ["Baku is the capital.", "It is large!", "Is it old?", "Yes."]


def test_abbreviations_and_initials_do_not_end_a_sentence() -> None:
    text = "Mr. Smith met George H. W. Bush in 1990. The U.S. Army left. Dr. Aliyev spoke."
    assert sentences(text) == [
        "Mr. Smith met George H. W. Bush in 1990.",
        "The U.S. Army left.",
        "Dr. Aliyev spoke.",
    ]


def test_period_before_a_lowercase_word_does_not_end_a_sentence() -> None:
    assert sentences("It cost 5 vs. 7 in total. Then it rose.") == ["It cost 5 vs. 7 in total.", "Then it rose."]


def test_each_line_is_its_own_sentence() -> None:
    text = "Country Formal Relations Began Notes\n Fiji 19 March 2010[72]\n Tuvalu 16 September 2009[74]"
    assert sentences(text) == [
        "Country Formal Relations Began Notes",
        "Fiji 19 March 2010[72]",
        "Tuvalu 16 September 2009[74]",
    ]


def test_blank_lines_and_surrounding_whitespace_make_no_sentences() -> None:
    text = "  First one.   Second one.  \n\n   \n\tThird one.\t\n"
    assert sentences(text) == ["First one.", "Second one.", "Third one."]
    for start, end in sentence_spans(text):
        assert not text[start].isspace() and not text[end - 1].isspace()


def test_reference_markers_after_the_period_stay_with_their_sentence() -> None:
    text = "It was founded in 1990.[3] It grew.[citation needed] Then it fell.[12][13] The end."
    assert sentences(text) == [
        "It was founded in 1990.[3]",
        "It grew.[citation needed]",
        "Then it fell.[12][13]",
        "The end.",
    ]


def test_closing_quotes_stay_with_their_sentence() -> None:
    assert sentences("He said “we agree.” Then he left.") == ["He said “we agree.”", "Then he left."]


def test_spans_index_into_the_original_string_and_are_ordered() -> None:
    text = "Intro line\n\nŞuşa is a city.  Türkiye’s envoy came!\nWhy? Because.[4]\n"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "Intro line",
        "Şuşa is a city.",
        "Türkiye’s envoy came!",
        "Why?",
        "Because.[4]",
    ]
    for (_, previous_end), (start, _) in zip(spans, spans[1:]):
        assert previous_end <= start
    # Nothing but whitespace lies between or around the sentences.
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(covered.split()) == "".join(text.split())


def test_spans_of_a_slice_stay_in_the_whole_strings_coordinates() -> None:
    text = "Before. Inside one. Inside two. After."
    start = text.index("Inside")
    end = text.index(" After")
    spans = sentence_spans(text, start, end)
    assert [text[s:e] for s, e in spans] == ["Inside one.", "Inside two."]
    assert all(start <= s < e <= end for s, e in spans)


def test_no_sentences_in_empty_or_blank_text() -> None:
    assert sentence_spans("") == []
    assert sentence_spans(" \n\n \t ") == []


def test_abbreviation_after_bracket_or_quote_does_not_end_a_sentence() -> None:
    assert sentences("He met (Dr. Smith) today. Then left.") == ["He met (Dr. Smith) today.", "Then left."]
    assert sentences('She wrote "Mr. Jones left." Then.') == ['She wrote "Mr. Jones left."', "Then."]


def test_hard_wrapped_prose_is_joined_into_sentences() -> None:
    text = (
        "HsYAML is a YAML 1.2 parser written in pure Haskell, with a small API and\n"
        "Unicode support throughout; it reads streams,\n"
        "i.e. a library for parsing YAML documents. It is small.\n"
        "Features include:\n"
        " - a pure parser\n"
        " - a serializer"
    )
    assert sentences(text) == [
        "HsYAML is a YAML 1.2 parser written in pure Haskell, with a small API and\n"
        "Unicode support throughout; it reads streams,\n"
        "i.e. a library for parsing YAML documents.",
        "It is small.",
        "Features include:",
        "- a pure parser",
        "- a serializer",
    ]


@pytest.mark.parametrize(
    ("adjective", "name"),
    [("Turkish", "Turkey"), ("Armenians", "Armenia"), ("Azerbaijani", "Azerbaijan"), ("french", "France")],
)
def test_a_nation_s_adjective_is_searched_as_its_name(adjective: str, name: str) -> None:
    analyzer = Analyzer()
    assert analyzer.tokens(adjective) == analyzer.tokens(name)


def test_a_nation_s_adjective_joins_its_name_s_alias_group() -> None:
    analyzer = Analyzer([TURKEY])
    assert analyzer.tokens("Turkish consulates") == analyzer.tokens("Türkiye's consulates")


def test_everyday_words_are_not_read_as_nations() -> None:
    analyzer = Analyzer()
    assert analyzer.tokens("polish the brass") != analyzer.tokens("Poland the brass")
    assert analyzer.tokens("in English") != analyzer.tokens("in England")
