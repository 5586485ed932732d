"""analyze_batch (one regex pass per pattern over all texts) finds exactly what Presidio finds text by text.

The free-text scan relies on this: if the batch path and Presidio's
per-text ``analyze`` ever disagreed, the column scan and anonymization
would see different spans.
"""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import labelled as g
from detectors import freetext
from detectors.batchspans import Joined, Matches, drop_contained, find_all, joinable, re_twin
from detectors.entities.registry import recognizer_classes
from detectors.recognizers import PiiRecognizer

RECOGNIZERS = [cls() for cls in recognizer_classes()]

FRAGMENTS = [
    "身份证号13010220070618482X", "我的手机号是+86 138-1234-5678", "座机010-62345678转12", "卡号6228 4833 7844 1706 436",
    "mail to wei_hu3505@126.com", "client 2001:db8::8a2e:370:7334", "营业执照91110000600037341L", "SSN 821-56-8010",
    "护照号E87998110", "passport E87998110", "港澳通行证C12345678", "车牌粤B·D12345违停", "Please ask Elizabeth Johnson",
    "寄到山东省青岛市市南区建设大道646号21栋3单元407室", "ship to 1600 Pennsylvania Ave, Washington, DC 20500",
    "call (488) 626-3766 or +852 2123 4567", "password=hunter22x", "password: ab", "出生日期1990-03-05", "2024-01-01 登录",
    "订单号202411183072898955", "order 1234567890123456", "12", "34", "abc", "password=", "hunter22", " ", "-", "@",
    "13800138000", "1380013800012345", "6222021234567890", "110101199003077777", "x" * 3, "住在北京市朝阳区建国路88号",
]


def per_text(recognizer: PiiRecognizer, texts: list[str]) -> set[tuple[int, int, int]]:
    """Spans as Presidio's analyze gives them, deduplicated as its engine does."""
    out = set()
    for i, text in enumerate(texts):
        results = recognizer.analyze(text, [recognizer.ENTITY])
        for s, e in drop_contained([(r.start, r.end) for r in results]):
            out.add((i, s, e))
    return out


def batch(recognizer: PiiRecognizer, texts: list[str]) -> set[tuple[int, int, int]]:
    _raw, found = recognizer.analyze_batch(texts)
    return set(zip(found.text.tolist(), found.start.tolist(), found.end.tolist()))


def raw_per_text(recognizer: PiiRecognizer, texts: list[str]) -> set[tuple[int, int, int]]:
    return {(i, *m.span()) for i, t in enumerate(texts) for p in recognizer.compiled_patterns() for m in p.finditer(t)
            if m.end() > m.start()}


def test_batch_spans_equal_presidio_on_fragments_and_their_neighbours():
    rng = random.Random(7)
    texts = FRAGMENTS + ["".join(rng.sample(FRAGMENTS, 3)) for _ in range(200)]
    for recognizer in RECOGNIZERS:
        assert batch(recognizer, texts) == per_text(recognizer, texts), recognizer.ENTITY
        raw, _found = recognizer.analyze_batch(texts)
        assert set(zip(raw.text.tolist(), raw.start.tolist(), raw.end.tolist())) == raw_per_text(recognizer, texts)


def test_batch_spans_equal_presidio_on_generated_chat():
    rng = random.Random(11)
    texts = [g.chat(rng) for _ in range(3000)] + [g.cn_address(rng) for _ in range(200)]
    hits = 0
    for recognizer in RECOGNIZERS:
        mine = batch(recognizer, texts)
        assert mine == per_text(recognizer, texts), recognizer.ENTITY
        hits += len(mine)
    assert hits > 1500  # the corpus does hold IDs, mobiles, cards and e-mails


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS + ["\x00", "\n", "：", "86", "+", "0"]), min_size=1, max_size=6).map("".join),
       st.lists(st.sampled_from(FRAGMENTS), min_size=0, max_size=4))
def test_neighbouring_texts_never_change_a_text_s_spans(text, neighbours):
    """Whatever stands before or after a text in the joined string (even NUL), its spans are its own."""
    texts = [*neighbours, text, *reversed(neighbours)]
    for recognizer in RECOGNIZERS:
        assert batch(recognizer, texts) == per_text(recognizer, texts), recognizer.ENTITY


def test_a_match_across_the_separator_is_redone_text_by_text():
    greedy = regex.compile(r"pw=[^\s,]{4,}")  # a negated class eats the NUL separator
    found = find_all([greedy], ["x pw=ab", "cdef", "pw=abcd"])
    assert list(zip(found.text.tolist(), found.start.tolist(), found.end.tolist())) == [(2, 0, 7)]


def test_anchored_patterns_run_text_by_text():
    assert not joinable(r"^\d{4}$") and joinable(r"(?<![^0-9])\d+") and joinable(r"\bword\b")
    found = find_all([regex.compile(r"^\d{2}")], ["12ab", "x34", "56"])
    assert found.text.tolist() == [0, 2]


def test_drop_contained_keeps_the_outer_span_once():
    assert drop_contained([(0, 10), (2, 5), (0, 10), (8, 12)]) == [(0, 10), (8, 12)]
    assert drop_contained([]) == []


def test_free_text_counts_hits_trials_and_context_with_weights():
    """Two distinct texts, one repeated 5 times: hits and trials count occurrences; 卡号 is context."""
    recognizers = [cls() for cls in recognizer_classes()]
    evidence = {r.ENTITY: freetext.TextEvidence(r.ENTITY) for r in recognizers}
    texts = pa.array(["卡号6228 4833 7844 1706 436", "身份证号13010220070618482X请核对", "随便 1234567890123456 说说"])
    prefilter = {r.ENTITY: np.asarray(pc.match_substring_regex(texts, r.TEXT_PREFILTER))
                 for r in recognizers}
    freetext.analyze_texts(recognizers, evidence, freetext.NameBudget(), texts, np.array([5, 2, 1]), prefilter)
    card, rid = evidence["BANK_CARD"], evidence["CN_RESIDENT_ID"]
    assert (card.values, card.with_context) == (5, 5)
    assert card.prefilter == 5 + 1  # the ID text is no card trial: its digits are the ID's span
    assert (rid.values, rid.prefilter, rid.with_context) == (2, 2, 2)
    assert card.samples == ["6228 4833 7844 1706 436"]


def test_name_budget_stops_at_the_cap_and_counts_the_rest_as_skipped():
    budget = freetext.NameBudget(cap=3)
    allowed = freetext._name_allowance(np.array([True, False, True, True]), np.array([2, 9, 1, 4]), budget)
    assert allowed.tolist() == [True, False, True, False]
    assert (budget.analyzed, budget.skipped) == (3, 4)


def test_empty_inputs():
    assert len(find_all([regex.compile("a")], [])) == 0
    assert len(Matches.empty()) == 0
    raw, found = RECOGNIZERS[0].analyze_batch(["no digits here"])
    assert len(raw) == len(found) == 0


def _reference(texts: list[str], weights: list[int], recognizers, prefilter=None) -> dict[str, tuple]:
    """The evidence computed text by text through Presidio's AnalyzerEngine, as the scan once did.

    ``prefilter``: the RE2 prefilter's verdicts per entity (by default the
    prefilters are run text by text in regex, which agrees with RE2 on ASCII).
    """
    from detectors.engine import get_analyzer

    out = {r.ENTITY: [0, 0, 0.0, 0] for r in recognizers}
    for i, (text, w) in enumerate(zip(texts, weights)):
        wanted = [r for r in recognizers if (prefilter[r.ENTITY][i] if prefilter is not None else regex.search(
            r.TEXT_PREFILTER.replace("(?i)", ""), text, flags=regex.I if "(?i)" in r.TEXT_PREFILTER else 0))]
        if not freetext.name_candidates(pa.array([text]))[0]:  # names are looked for only where one can be
            wanted = [r for r in wanted if r.ENTITY != "PERSON_NAME"]
        if not wanted:
            continue
        lang = "zh" if regex.search(r"[\u3400-\u9fff]", text) else "en"
        results = get_analyzer().analyze(text, language=lang, entities=[r.ENTITY for r in wanted])
        code = {r.ENTITY: k for k, r in enumerate(recognizers)}
        rows = [(0, code[r.entity_type], r.start, r.end, r.score) for r in results]
        kept = freetext.resolve_overlaps(rows)
        for _i, k, _s, _e, score in kept:
            ev = out[recognizers[k].ENTITY]
            ev[0] += w
            ev[2] += score * w
            ev[3] += w * recognizers[k].has_context(text)
        for r in wanted:
            residual = freetext.blank_others(text, [(k, s, e) for _i, k, s, e, _sc in kept], code[r.ENTITY])
            out[r.ENTITY][1] += w * r.has_pattern_match(residual)
    return {e: (v[0], v[1], round(v[2], 6), v[3]) for e, v in out.items()}


def test_free_text_evidence_equals_presidio_text_by_text():
    """Hits, trials, scores and context counts equal a text-by-text Presidio analysis (multi-entity texts too)."""
    rng = random.Random(3)
    texts = list(dict.fromkeys([g.chat(rng) for _ in range(400)] + ["".join(rng.sample(FRAGMENTS, 3)) for _ in range(400)]))
    weights = [rng.randint(1, 3) for _ in texts]
    recognizers, mine, _prefilter = _analyzed(texts, weights)
    assert mine == _reference(texts, weights, recognizers)
    assert sum(v[1] for v in mine.values()) > 500


def _analyzed(texts: list[str], weights: list[int]) -> tuple[list, dict[str, tuple], dict[str, np.ndarray]]:
    """The batch free-text evidence of the texts: (recognizers, evidence per entity, RE2 prefilter masks)."""
    recognizers = [cls() for cls in recognizer_classes()]
    evidence = {r.ENTITY: freetext.TextEvidence(r.ENTITY) for r in recognizers}
    distinct = pa.array(texts, type=pa.string())
    prefilter = {r.ENTITY: np.asarray(pc.match_substring_regex(distinct, r.TEXT_PREFILTER)) for r in recognizers}
    freetext.analyze_texts(recognizers, evidence, freetext.NameBudget(cap=10**9), distinct, np.asarray(weights), prefilter)
    mine = {e: (ev.values, ev.prefilter, round(ev.score_sum, 6), ev.with_context) for e, ev in evidence.items()}
    return recognizers, mine, prefilter


def test_name_candidates_need_a_surname_or_two_capitalized_words():
    texts = pa.array(["请联系王伟", "好的谢谢", "我的手机号是13812345678", "ask Elizabeth Johnson", "ask elizabeth"])
    assert freetext.name_candidates(texts).tolist() == [True, True, False, True, False]


# Characters on which re and regex may judge a test differently, or beyond the verified universe.
ODD = ["ı", "İ", "K", "ſ", "\x1c", "\u0301", "１２３", "𠀀", "😀", "\x00", "\u2028", "粤B\x1cD12345", "11010119900307777\U00010d40"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS + ODD + ["13800138000", "110101199003077777", " ", "-"]),
                         min_size=1, max_size=5).map("".join), min_size=1, max_size=6))
def test_re_twins_find_what_regex_finds(texts):
    """The joined pass (re twins where safe) finds exactly the regex matches, text by text."""
    for recognizer in RECOGNIZERS:
        found = find_all(recognizer.compiled_patterns(), texts)
        assert set(zip(found.text.tolist(), found.start.tolist(), found.end.tolist())) == \
            raw_per_text(recognizer, texts), recognizer.ENTITY


def test_re_twin_names_the_characters_the_engines_judge_differently():
    flags = regex.IGNORECASE | regex.DOTALL | regex.MULTILINE
    letters = re_twin(regex.compile(r"[a-z]{2}\d", flags))
    assert letters is not None and letters.unsafe.search("ı") and not letters.unsafe.search("ab1 张三 😀")
    assert letters.unsafe.search("𠀀")  # beyond the verified planes
    spaces = re_twin(regex.compile(r"a\sb", flags))
    assert spaces is not None and spaces.unsafe.search("\x1c") and not spaces.unsafe.search("a b")
    assert re_twin(regex.compile(r"^\d+$", flags)) is None  # anchors: no twin
    assert re_twin(regex.compile(r"(?<=(?:pw|password)=)\S+", flags)) is None  # re cannot look behind that far
    assert re_twin(regex.compile(r"(a)\1", flags)) is None


def test_a_batch_with_an_unsafe_character_is_matched_by_regex():
    pattern = regex.compile(r"(?<![0-9A-Za-z])\d{3}", regex.IGNORECASE)
    plain, odd = Joined(["abc 123 张三"]), Joined(["abc 123 𠀀"])
    assert plain._engine(pattern) is re_twin(pattern).pattern
    assert odd._engine(pattern) is pattern
    # the twin drops the case flag (both cases are spelled out), so the letters only a
    # case-insensitive match folds into [A-Za-z] (dotless ı, dotted İ, long ſ) go to regex
    assert not re_twin(pattern).pattern.flags & regex.IGNORECASE
    for folded in ("ı", "İ", "ſ"):
        assert Joined([f"abc{folded}123"])._engine(pattern) is pattern


def test_a_twin_keeps_the_case_flag_where_the_letters_rely_on_it():
    flags = regex.IGNORECASE | regex.DOTALL | regex.MULTILINE
    upper_only = re_twin(regex.compile(r"(?<![0-9A-Za-z])[A-HJ-NP-Z]\d{7}", flags))
    assert upper_only is not None and upper_only.pattern.flags & regex.IGNORECASE
    assert upper_only.pattern.search("e1234567") and not upper_only.unsafe.search("e1234567")


def test_identifier_patterns_have_caseless_twins():
    """Identifier patterns spell both cases, so their re twins skip case folding (twice as fast on digits)."""
    folding = {"PERSON_NAME", "ADDRESS", "CREDENTIAL"}  # their letters rely on Presidio's case-insensitive flag
    # so do the second round's words: vocabularies (Buddhist, buddhist) and context words (QQ, qq, WeChat)
    folding |= {"RELIGION", "ETHNICITY", "HEALTH", "IM_ACCOUNT"}
    for recognizer in RECOGNIZERS:
        if recognizer.ENTITY in folding:
            continue
        for pattern in recognizer.compiled_patterns():
            twin = re_twin(pattern)
            assert twin is not None and not twin.pattern.flags & regex.IGNORECASE, (recognizer.ENTITY, pattern.pattern)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS + ODD + ["１３８００１３８０００", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧", "0１0-62345678"]),
                         min_size=1, max_size=4).map("".join), min_size=1, max_size=5, unique=True))
def test_free_text_evidence_with_odd_characters_equals_presidio(texts):
    """Unicode digits next to blanked spans, unsafe characters: hits and trials still equal Presidio's, text by text."""
    weights = [1] * len(texts)
    recognizers, mine, prefilter = _analyzed(texts, weights)
    assert mine == _reference(texts, weights, recognizers, prefilter)


def test_needed_characters_follow_the_engine_s_classes():
    """\\d needs any Unicode digit (regex's meaning), a literal just itself; a text without one holds no match."""
    from detectors.batchspans import needed_chars

    (digits,), = needed_chars((regex.compile(r"(?<![0-9A-Za-z])\d{15}", regex.IGNORECASE),))
    assert digits[ord("7")] and digits[ord("١")] and digits[ord("１")] and not digits[ord("张")]
    assert digits[0x10000]  # beyond the BMP: not looked at, so assumed
    mobile = needed_chars(tuple(RECOGNIZERS[2].compiled_patterns()))
    assert RECOGNIZERS[2].ENTITY == "CN_MOBILE_PHONE" and mobile[0][0][ord("1")] and not mobile[0][0][ord("2")]
    assert needed_chars((regex.compile(r"a|\w*"),)) is None  # a branch that needs nothing
    joined = Joined(["身份证号      ", "x１y", "abc", ""])
    assert joined.may_match(((digits,),), np.arange(4)).tolist() == [False, True, False, False]
    assert joined.may_match(((digits,),), np.array([1])).tolist() == [True]
    grouped = needed_chars((regex.compile(r"\d{4}(?:[ -]\d{4}){2}"),))  # a digit and a separator, both
    assert Joined(["身份证号      ", "1234 5678 9012", "1234"]).may_match(grouped, np.arange(3)).tolist() == \
        [False, True, False]


def test_a_clean_batch_vouches_for_its_subsets():
    pattern = regex.compile(r"(?<![0-9A-Za-z])\d{3}", regex.IGNORECASE)
    clean, odd = Joined(["abc 123", "张三 456"]), Joined(["abc 123", "x 𠀀 456"])
    assert Joined(["abc 123"], within=clean)._engine(pattern) is re_twin(pattern).pattern
    assert Joined(["abc 123"], within=odd)._engine(pattern) is re_twin(pattern).pattern  # checked on its own
    assert Joined(["x 𠀀 456"], within=odd)._engine(pattern) is pattern
    assert find_all([pattern], ["x 𠀀 456"], within=odd).start.tolist() == [4]
