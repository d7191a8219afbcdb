"""Hostile input: whatever text comes in, Router.route returns a valid Routing or raises
InvalidInput — never another exception — and every offset points into the original text.
How long they take (and that it grows linearly with the length) is measured by
``benchmarks/long_texts.py``, not asserted here: unit tests carry no timings.

Property-based (hypothesis) over random Unicode, control characters, bidi marks,
combining characters, HTML/VK markup fragments; plus fixed worst cases (1 MB texts,
10,000 nested <div>, unbalanced tags, huge numeric entities). Runs in well under a
minute on two busy cores.
"""
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import curnlp
from curnlp import morph, normalize as normalize_mod
from curnlp.errors import InvalidInput
from curnlp.normalize import normalize
from curnlp.router import Routing

# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

# every code point but surrogates (str cannot be UTF-8 encoded with them)
ANY_CHAR = st.characters(exclude_categories=("Cs",))
CONTROL = st.sampled_from([chr(c) for c in [*range(0, 32), *range(0x7F, 0xA0)]]
                          + ["\u00ad", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c",
                             "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "\ufffe", "\u2028",
                             "\u2029", "\x85", "\r\n", "\r"])
COMBINING = st.characters(min_codepoint=0x300, max_codepoint=0x36F)
CYRILLIC = st.characters(min_codepoint=0x400, max_codepoint=0x4FF)
EMOJI = st.sampled_from(list("😡😀👍🏻🔥💩🇷🇺❤️✅⚠️🚧🚌🕳️") + ["\U0001F600", "\U0001FAE0", "\u200d\u2640\ufe0f"])
FRAGMENTS = st.sampled_from([
    "<p>", "</p>", "<br>", "<br/>", "<div class='x'>", "</div>", "<script>", "</script>", "<style>", "<!--", "-->",
    "<a href=\"http://x.ru\">", "</a>", "<", ">", "</", "&nbsp;", "&amp;nbsp;", "&#171;", "&#xAB;", "&#99999999;",
    "&#9999999;", "&#x10FFFF;", "&#x110000;", "&#0;", "&#55296;", "&#xD800;", "&foo;", "&", ";", "&#", "&#x;",
    "[club123|Администрация]", "[id45|Иван]", "[club", "|", "]", "[public1|", "'", "`", "ул.", "ул. Ленина", "д.",
    "д. 5", "д.5б", "корп. 2", "р-н", "Курского района", "г. Курск", "в Курске", "с.", "п.", "х.", "№", "№5",
    "+7 (4712) 55-66-77", "8-900-123-45-67", "55-66-77", "www.kursk.ru", "http://", "https://госуслуги.рф/x?y=1",
    "a@b.ru", "@", "mail@", "Иванова Мария Петровна", "ИВАНОВ", "ООО «Жилсервис»", "«", "»", "\"", "...", "!!!",
    "1-я", "2-й", "50 лет Октября", "1ое", "3 я", "-", "/", "ё", "Ё", " ", "  ", "\n", "\t", "\n\n\n",
])


def joined(pieces, min_size=0, max_size=20):
    """Strings made of ``pieces`` (which may be several characters long, like "\r\n" or 👍🏻)."""
    return st.lists(pieces, min_size=min_size, max_size=max_size).map("".join)


MESSAGE_CHUNK = st.one_of(
    st.text(ANY_CHAR, max_size=20), joined(CONTROL, max_size=5), st.text(COMBINING, max_size=4),
    st.text(CYRILLIC, max_size=15), joined(EMOJI, max_size=4), FRAGMENTS, FRAGMENTS, FRAGMENTS,
)
MESSAGES = st.lists(MESSAGE_CHUNK, max_size=40).map("".join)


@pytest.fixture(scope="module")
def router():
    return curnlp.load(entities=True)


@pytest.fixture(scope="module")
def fast_router():
    return curnlp.load(entities=False, warm_up=False)


# ---------------------------------------------------------------------------
# The contract
# ---------------------------------------------------------------------------

def check_routing(text: str, result) -> None:
    assert isinstance(result, Routing)
    d = result.to_dict()
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d
    n = len(text)
    for span in (*result.locations, *result.entities):
        assert 0 <= span.start <= span.end <= n, (span, n)
        assert span.start < span.end, span  # a mention has a source
    assert result.needs_review == bool(result.review_reasons)
    unknown = {"no_words", "not_russian", "outside_region"} & set(result.review_reasons)
    assert (result.agency is None) == bool(unknown), result.review_reasons
    assert result.agency is None or 0 <= result.agency.confidence <= 1


def route_or_invalid(router, text: str):
    try:
        result = router.route(text)
    except InvalidInput:
        return None
    check_routing(text, result)
    return result


FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)


@FUZZ
@given(MESSAGES)
def test_route_never_fails_on_mixed_markup(router, text):
    route_or_invalid(router, text)


@settings(max_examples=100, deadline=2000, derandomize=True)
@given(st.text(ANY_CHAR, max_size=300))
def test_route_never_fails_on_random_unicode(fast_router, text):
    route_or_invalid(fast_router, text)


@settings(max_examples=30, deadline=2000, derandomize=True)
@given(st.one_of(joined(EMOJI, 1, 50), joined(CONTROL, 1, 50),
                 st.text(COMBINING, min_size=1, max_size=50), st.text(st.sampled_from(" \t\n\u00a0\u3000"), max_size=30),
                 st.text(st.sampled_from("<>/&;#[]|"), min_size=1, max_size=60)))
def test_texts_without_words_are_flagged_no_words(fast_router, text):
    r = fast_router.route(text)
    assert r.review_reasons == ("no_words",) and r.needs_review and r.agency is None


@settings(max_examples=30, deadline=2000, derandomize=True)
@given(st.one_of(st.text(st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")) | st.just(" "), min_size=1,
                         max_size=200),
                 st.text(st.characters(min_codepoint=ord("0"), max_codepoint=ord("9")) | st.just(" "), min_size=1,
                         max_size=200)))
def test_latin_only_and_digits_only(fast_router, text):
    assume(text.strip())
    check_routing(text, fast_router.route(text))


@FUZZ
@given(MESSAGES)
def test_normalize_offsets_map_into_the_original(text):
    doc = normalize(text)
    n = len(text)
    for t in doc.tokens:
        assert doc.clean[t.start:t.stop] == t.text
        a, b = doc.span_to_original(t.start, t.stop)
        assert 0 <= a < b <= n
    for p in doc.placeholders:
        assert text[p.start:p.stop] == p.text
    sources = [doc.to_original(i) for i in range(len(doc.clean) + 1)]
    assert all(0 <= x <= n for x in sources)
    assert sources == sorted(sources)  # the map keeps text order
    json.dumps(doc.to_dict(), ensure_ascii=False)


# ---------------------------------------------------------------------------
# Fixed worst cases
# ---------------------------------------------------------------------------

HOSTILE = {
    "nested_div": "<div>" * 10_000 + "яма на дороге" + "</div>" * 10_000,
    "unclosed_tags": "<div <p <a href='" * 3000 + " яма на ул. Ленина",
    "unbalanced_close": "</p></div></b>" * 3000 + "нет воды в д. Духовец",
    "huge_entities": "&#99999999;&#9999999;&#x110000;&#xFFFFFFFF;" * 2000 + " мусор",
    "entity_soup": "&amp;" * 20_000 + "&" * 20_000 + " свет не горит",
    "open_comment": "<!--" + "яма " * 20_000,
    "open_script": "<script>" + "x" * 50_000 + " текст",
    "vk_soup": "[club1|" * 10_000 + "] [id2|Иван]" * 1000 + " нет отопления",
    "rtl_and_controls": "\u202eяма\u202c\u200f\x00\x01\x7f" * 5000,
    "combining": "я\u0301\u0308" * 20_000,
    "one_long_word": "я" * 200_000,
    "many_dots": "." * 100_000 + " яма",
    "street_words": "ул. " * 30_000 + "Ленина",
    "digits": "1" * 100_000,
    "phones": "8 900 123 45 67 " * 5000,
    "urls": "http://a.ru/" * 10_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_texts(router, name):
    text = HOSTILE[name]
    route_or_invalid(router, text)
    doc = normalize(text)
    for t in doc.tokens[:1000]:
        a, b = doc.span_to_original(t.start, t.stop)
        assert 0 <= a < b <= len(text)


def _mixed_block() -> str:
    return ("<p>Здравствуйте! На ул. Союзной, д. 71б в г. Курске &laquo;яма&raquo; 2 м, звоните 8-900-123-45-67, "
            "см. https://vk.com/wall-1_2 [club1|Админ] УЖЕ ТРЕТИЙ ГОД 😡 Иванова М.П.</p>\n")


def test_a_megabyte_is_truncated_and_routed(router):
    text = _mixed_block() * (1_000_000 // len(_mixed_block()) + 1)
    assert len(text) >= 1_000_000
    r = router.route(text)
    assert r.truncated
    check_routing(text, r)


def test_a_megabyte_routes_whole_when_allowed():
    """Without truncation a 1 MB message routes whole, and its placeholders are all kept."""
    big = curnlp.load(entities=False, max_length=2_000_000, warm_up=False)
    block = _mixed_block()
    text = block * (1_000_000 // len(block) + 1)
    r = big.route(text)
    assert not r.truncated and r.agency is not None
    check_routing(text, r)
    html = "<div><b>Слово</b>,&nbsp;яма&#171;" + "<br>" * 5 + "[club1|Админ] http://x.ru 8-900-123-45-67 </div>\n"
    doc = normalize(html * (1_000_000 // len(html)))
    assert len(doc.placeholders) == 2 * (1_000_000 // len(html))


def test_non_str_is_invalid_input(router):
    for value in (None, b"\xd1\x8f\xd0\xbc\xd0\xb0", 42, 3.5, ["яма"], object()):
        with pytest.raises(InvalidInput):
            router.route(value)


# ---------------------------------------------------------------------------
# Bounded state
# ---------------------------------------------------------------------------

def test_every_cache_on_the_route_path_is_bounded(router):
    from curnlp.ner import NER, forms as ner_forms
    from curnlp.places import names as place_names, packs as regions

    caches = [morph.parse, morph.lemma, normalize_mod._word_info, regions.name_key, ner_forms._truecase,
              ner_forms._normal_cached, place_names.adjective_genders, place_names.inflect_adjective,
              place_names.noun_nominative, place_names.street_noun, place_names.lower_name_ok,
              place_names.lower_name_ok_strict, NER.shared().encode_word]
    for cache in caches:
        size = cache.cache_info().maxsize
        assert size is not None and 0 < size <= 200_000, cache
    # the region cache holds one pack per name / file version, and one starting pack per subject
    before = len(regions._cache)
    for name in ("kursk", "kursk", "ryazan", "Курская обл", "Курская область", "курская область"):
        regions.load_region(name)
    assert len(regions._cache) <= before + 2
    assert len(regions._starting) <= 89
