"""Subject identifiers: normalization like the hash operator, keyed hashes, the subject index without raw values."""

from __future__ import annotations

import csv
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.validators import MOBILE_PREFIXES, luhn_check_digit, resident_id_check_char
from scanner.anonymize.columns import cell_patterns
from scanner.anonymize.crypto import Hasher
from scanner.anonymize.keys import parse_key
from scanner.lifecycle.identifiers import (
    IdentifierProblem,
    IndexProblem,
    SubjectHasher,
    SubjectIndex,
    SubjectQuery,
    normalize_identifier,
    normalize_identifiers,
)
from scanner.lifecycle.kinds import identifier_kinds

ROOT = Path(__file__).resolve().parents[2]
KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
OTHER_KEY_HEX = "ff112233445566778899aabbccddeeff00112233445566778899aabbccddee00"
KEY = parse_key(KEY_HEX.encode(), "test")


def resident_id(rng: random.Random) -> str:
    body = f"110105{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def mobile(rng: random.Random) -> str:
    return rng.choice(sorted(MOBILE_PREFIXES)) + "".join(str(rng.randint(0, 9)) for _ in range(8))


def card(rng: random.Random) -> str:
    partial = "622848" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return partial + luhn_check_digit(partial)


def test_the_examples_of_the_issue_are_one_identifier():
    forms = {normalize_identifier("CN_MOBILE_PHONE", v)
             for v in ("138-1234-5678", "+86 138 1234 5678", "13812345678", "+86 138-1234-5678", "0086 13812345678")}
    assert forms == {"13812345678"}
    assert normalize_identifier("CN_RESIDENT_ID", "44030419900307123x") == "44030419900307123X"
    assert normalize_identifier("CN_RESIDENT_ID", "440304 19900307 123x") == "44030419900307123X"
    assert normalize_identifier("CN_RESIDENT_ID", "４４０３０４１９９００３０７１２３Ｘ") == "44030419900307123X"
    assert normalize_identifier("EMAIL_ADDRESS", " Zhang.San@QQ.com ") == "zhang.san@qq.com"
    assert normalize_identifier("BANK_CARD", "6222 0212 3456 7890 128") == "6222021234567890128"
    assert normalize_identifier("CN_MOBILE_PHONE", "无") is None
    assert normalize_identifier("CN_MOBILE_PHONE", "   ") is None


def _spaced(value: str, groups: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for g in groups:
        out.append(value[i: i + g])
        i += g
    out.append(value[i:])
    return sep.join(p for p in out if p)


@settings(max_examples=150, deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from(["", "+86", "0086", "+86 ", "86 "]),
       st.sampled_from(["", " ", "-"]), st.booleans())
def test_any_written_mobile_normalizes_to_its_eleven_digits(rng, prefix, sep, wide):
    number = mobile(rng)
    written = prefix + _spaced(number, (3, 4), sep)
    if wide:  # full-width digits, as typed by a Chinese input method
        written = written.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789+-"})
    assert normalize_identifier("CN_MOBILE_PHONE", written) == number


@settings(max_examples=150, deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from(["", " ", "-"]), st.booleans())
def test_any_written_resident_id_normalizes_to_upper_case_compact(rng, sep, lower):
    number = resident_id(rng)
    written = _spaced(number, (6, 8), sep)
    if lower:
        written = written.lower()
    assert normalize_identifier("CN_RESIDENT_ID", written) == number.upper()


@settings(max_examples=100, deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from(["", " ", "-"]))
def test_any_written_card_normalizes_to_its_digits(rng, sep):
    number = card(rng)
    assert normalize_identifier("BANK_CARD", _spaced(number, (4, 4, 4, 4), sep)) == number


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"[A-Za-z][A-Za-z0-9._]{0,10}@[A-Za-z]{1,8}\.(com|cn|COM)", fullmatch=True))
def test_email_is_lower_case(address):
    assert normalize_identifier("EMAIL_ADDRESS", address) == address.lower()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=20), st.sampled_from(sorted(
    {e for entities in identifier_kinds().values() for e in entities})))
def test_column_and_single_value_normalization_agree(values, entity):
    """The scan side (a column) and the request side (one value) can never drift apart."""
    column = normalize_identifiers(entity, pa.array(values, pa.string())).to_pylist()
    assert column == [None if v is None else normalize_identifier(entity, v) for v in values]


def test_hashes_match_the_hash_operator_after_normalization(tmp_path):
    """``anonymize`` with ``op: hash`` keys the same canonical form: HMAC under the hash sub-key of our form."""
    rng = random.Random(5)
    numbers = [mobile(rng) for _ in range(6)]
    written = [numbers[0], _spaced(numbers[1], (3, 4), "-"), "+86 " + _spaced(numbers[2], (3, 4), " "),
               "0086" + numbers[3], numbers[4], _spaced(numbers[5], (3, 4), " ")]
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    with open(src / "people.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名编号", "手机号"])
        w.writerows([[f"P{i}", v] for i, v in enumerate(written * 5)])
    (tmp_path / "rules.yaml").write_text("version: 1\nentities:\n  CN_MOBILE_PHONE: {op: hash}\n", encoding="utf-8")
    (tmp_path / "k.key").write_text(KEY_HEX + "\n", encoding="ascii")
    done = subprocess.run([sys.executable, "-m", "scanner", "anonymize", str(src), "-o", str(out), "--rules",
                           str(tmp_path / "rules.yaml"), "--key-file", str(tmp_path / "k.key")],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(out / "people.csv", encoding="utf-8", newline="") as fh:
        hashed = [row[1] for row in list(csv.reader(fh))[1:]]
    operator = Hasher(KEY.derive("hash"))
    ours = normalize_identifiers("CN_MOBILE_PHONE", pa.array(written * 5)).to_pylist()
    assert hashed == [d.hex()[:32] for d in operator.digests([v.encode() for v in ours])]
    assert set(ours) == set(numbers)


def test_subject_hashes_are_keyed_and_not_the_anonymize_hashes():
    hasher = SubjectHasher(KEY)
    digest = hasher.digests(["13812345678"])[0]
    assert len(digest) == 16
    assert digest != SubjectHasher(parse_key(OTHER_KEY_HEX.encode(), "t")).digests(["13812345678"])[0]
    assert digest != Hasher(KEY.derive("hash")).digests([b"13812345678"])[0][:16]
    hexes = hasher.hex_digests("CN_MOBILE_PHONE", pa.array(["138-1234-5678", "13812345678", None, "无", "13912345678"]))
    assert len(hexes) == 2 and hexes == sorted(hexes) and digest.hex() in hexes


def test_query_refuses_unknown_kinds_and_empty_values_without_echoing_them():
    hasher = SubjectHasher(KEY)
    with pytest.raises(IdentifierProblem) as info:
        SubjectQuery.build([("passport", "E12345678")], hasher)
    assert "E12345678" not in str(info.value)
    with pytest.raises(IdentifierProblem):
        SubjectQuery.build([("mobile", "无")], hasher)
    with pytest.raises(IdentifierProblem):
        SubjectQuery.build([], hasher)
    query = SubjectQuery.build([("mobile", "+86 138 1234 5678"), ("id", "44030419900307123x")], hasher)
    assert "1381234" not in repr(query) and "440304" not in repr(query)
    assert query.labels == ["id#1", "mobile#1"]


# Values planted in the estate, in the shapes people write them; none may reach the index file in any shape.
PLANTED_MOBILES = ["+86 138-1234-5678", "139 8765 4321", "15011112222"]
PLANTED_IDS = ["44030419900307123x", "310115 20010815 0641"]
PLANTED_EMAILS = ["Zhang.San@Example.com"]


def _planted_index(directory: Path) -> SubjectIndex:
    index = SubjectIndex.open(directory, KEY)
    with index.dataset("crm/customers.csv") as ds:
        ds.add("手机号", "CN_MOBILE_PHONE", pa.array(PLANTED_MOBILES + ["13812345678", None, "无"]))
        ds.add("手机号", "CN_MOBILE_PHONE", pa.array(["138 1234 5678"]))  # a second batch: counts add up
        ds.add("身份证号", "CN_RESIDENT_ID", pa.array(PLANTED_IDS))
        ds.add("email", "EMAIL_ADDRESS", pa.array(PLANTED_EMAILS))
    with index.dataset("orders.parquet") as ds:
        ds.add("contact", "CN_MOBILE_PHONE", pa.array(["13812345678", "13987654321"]))
    return index


def _every_shape(value: str) -> set[str]:
    compact = "".join(c for c in value if c.isalnum() or c in "@.")
    forms = {value, value.upper(), value.lower(), compact, compact.upper(), compact.lower()}
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) >= 11:
        forms |= {digits, digits[-11:], digits[:11]}
    return {f for f in forms if len(f) >= 6}


def test_index_finds_every_shape_and_holds_no_raw_value(tmp_path):
    index = _planted_index(tmp_path / "idx")
    hasher = index.hasher
    found = index.lookup(SubjectQuery.build([("mobile", "138-1234-5678")], hasher))
    assert [(p.dataset, p.column, p.entity, p.rows, p.identifier) for p in found] == [
        ("crm/customers.csv", "手机号", "CN_MOBILE_PHONE", 3, "mobile#1"),
        ("orders.parquet", "contact", "CN_MOBILE_PHONE", 1, "mobile#1")]
    by_id = index.lookup(SubjectQuery.build([("id", "440304 19900307 123X"), ("email", "zhang.san@example.COM")],
                                            hasher))
    assert {(p.column, p.identifier) for p in by_id} == {("身份证号", "id#1"), ("email", "email#1")}
    assert index.lookup(SubjectQuery.build([("card", "6222021234567890128")], hasher)) == []
    # an ID number asked as a mobile finds nothing: the kind decides which columns count
    assert index.lookup(SubjectQuery.build([("mobile", "44030419900307123X")], hasher)) == []
    index.close()

    raw = b"".join(p.read_bytes() for p in (tmp_path / "idx").iterdir())
    for planted in PLANTED_MOBILES + PLANTED_IDS + PLANTED_EMAILS + ["13812345678", "13987654321"]:
        for shape in _every_shape(planted):
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert shape.encode(encoding) not in raw, shape
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == ["subjects.sqlite"]
    assert (tmp_path / "idx" / "subjects.sqlite").stat().st_mode & 0o077 == 0


def test_reindexing_a_dataset_replaces_it_and_an_interrupted_one_changes_nothing(tmp_path):
    index = _planted_index(tmp_path / "idx")
    query = SubjectQuery.build([("mobile", "13812345678")], index.hasher)
    with index.dataset("orders.parquet") as ds:
        ds.add("contact", "CN_MOBILE_PHONE", pa.array(["13900000000"]))
    assert [p.dataset for p in index.lookup(query)] == ["crm/customers.csv"]
    with pytest.raises(RuntimeError), index.dataset("crm/customers.csv") as ds:
        ds.add("手机号", "CN_MOBILE_PHONE", pa.array(["13700000000"]))
        raise RuntimeError("scan killed")
    assert [(p.dataset, p.rows) for p in index.lookup(query)] == [("crm/customers.csv", 3)]
    index.close()


def test_merge_takes_the_other_index_datasets_and_refuses_another_key(tmp_path):
    main = SubjectIndex.open(tmp_path / "main", KEY)
    with main.dataset("orders.parquet") as ds:
        ds.add("contact", "CN_MOBILE_PHONE", pa.array(["13700000000"]))
    _planted_index(tmp_path / "worker").close()
    assert main.merge(tmp_path / "worker") == ["crm/customers.csv", "orders.parquet"]
    query = SubjectQuery.build([("mobile", "13812345678"), ("mobile", "13700000000")], main.hasher)
    assert [(p.dataset, p.identifier) for p in main.lookup(query)] == [
        ("crm/customers.csv", "mobile#1"), ("orders.parquet", "mobile#1")]  # orders was replaced by the worker's
    assert main.datasets() == ["crm/customers.csv", "orders.parquet"]

    other = SubjectIndex.open(tmp_path / "other", parse_key(OTHER_KEY_HEX.encode(), "t"))
    other.close()
    with pytest.raises(IndexProblem):
        main.merge(tmp_path / "other")
    with pytest.raises(IndexProblem):
        SubjectIndex.open(tmp_path / "worker", parse_key(OTHER_KEY_HEX.encode(), "t"))
    with pytest.raises(IndexProblem):
        main.merge(tmp_path / "missing")
    main.close()


def test_merging_a_dataset_read_without_identifiers_drops_its_old_postings(tmp_path):
    """The other index read ``orders.parquet`` and found no identifier in it (the column was dropped): ours
    must not keep answering that the person is there."""
    main = SubjectIndex.open(tmp_path / "main", KEY)
    with main.dataset("orders.parquet") as ds:
        ds.add("contact", "CN_MOBILE_PHONE", pa.array(["13700000000"]))
    worker = SubjectIndex.open(tmp_path / "worker", KEY)
    with worker.dataset("orders.parquet"):
        pass  # read, nothing indexed
    worker.close()
    assert main.merge(tmp_path / "worker") == ["orders.parquet"]
    query = SubjectQuery.build([("mobile", "13700000000")], main.hasher)
    assert main.lookup(query) == [] and main.datasets() == [] and main.indexed() == {"orders.parquet"}
    main.close()


def test_a_file_that_is_not_an_index_is_refused(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "subjects.sqlite").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(IndexProblem):
        SubjectIndex.open(tmp_path / "bad", KEY)
    (tmp_path / "old").mkdir()
    with sqlite3.connect(tmp_path / "old" / "subjects.sqlite") as db:
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('format', '0')")
    with pytest.raises(IndexProblem):
        SubjectIndex.open(tmp_path / "old", KEY)


def test_overlaps_count_the_people_two_datasets_share(tmp_path):
    index = _planted_index(tmp_path / "idx")
    with index.dataset("loyalty.xlsx#members") as ds:
        ds.add("phone", "CN_MOBILE_PHONE", pa.array(["13812345678", "13987654321", "13500000000"]))
        ds.add("idno", "CN_RESIDENT_ID", pa.array(["44030419900307123X"]))
    got = [(o.entity, o.first, o.second, o.shared) for o in index.overlaps()]
    assert got == [
        ("CN_MOBILE_PHONE", "crm/customers.csv", "loyalty.xlsx#members", 2),
        ("CN_MOBILE_PHONE", "crm/customers.csv", "orders.parquet", 2),
        ("CN_MOBILE_PHONE", "loyalty.xlsx#members", "orders.parquet", 2),
        ("CN_RESIDENT_ID", "crm/customers.csv", "loyalty.xlsx#members", 1),
    ]
    assert [o.entity for o in index.overlaps(minimum=2)] == ["CN_MOBILE_PHONE"] * 3
    index.close()


def test_numeric_and_dictionary_columns_read_like_the_hash_operator_reads_them():
    """A spreadsheet's mobiles arrive as floats or integers; they index as the digits a clerk types."""
    expected = ["13812345678", None, "13912345678"]
    assert normalize_identifiers("CN_MOBILE_PHONE", pa.array([13812345678.0, None, 13912345678.0])).to_pylist() == expected
    assert normalize_identifiers("CN_MOBILE_PHONE", pa.array([13812345678, None, 13912345678])).to_pylist() == expected
    encoded = pa.array(["138-1234-5678", None, "+86 139 1234 5678"]).dictionary_encode()
    assert normalize_identifiers("CN_MOBILE_PHONE", pa.chunked_array([encoded])).to_pylist() == expected
    assert normalize_identifiers("CN_MOBILE_PHONE", pa.nulls(2)).to_pylist() == [None, None]


def test_a_scans_pattern_mask_gives_the_same_forms():
    values = pa.array(["13812345678", "+86 (138) 1234-5678", None, "无", " 139 1234 5678 "])
    hits = pc.match_substring_regex(pc.utf8_trim_whitespace(values), cell_patterns()["CN_MOBILE_PHONE"])
    assert normalize_identifiers("CN_MOBILE_PHONE", values, pattern_hits=hits).to_pylist() == \
        normalize_identifiers("CN_MOBILE_PHONE", values).to_pylist() == ["13812345678", "13812345678", None, None,
                                                                         "13912345678"]
    clean = pa.array(["13812345678", " 139 1234 5678"])  # every cell hits: the bulk path only
    assert normalize_identifiers("CN_MOBILE_PHONE", clean, pattern_hits=pa.array([True, True])).to_pylist() == \
        normalize_identifiers("CN_MOBILE_PHONE", clean).to_pylist() == ["13812345678", "13912345678"]
    with pytest.raises(ValueError):
        normalize_identifiers("CN_MOBILE_PHONE", values, pattern_hits=hits.slice(1))


def _old_format_index(directory: Path) -> None:
    """An index as format 1 wrote it: one denormalized postings table."""
    directory.mkdir(parents=True)
    with sqlite3.connect(directory / "subjects.sqlite") as db:
        db.executescript("""
            CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE postings (digest BLOB NOT NULL, entity TEXT NOT NULL, dataset TEXT NOT NULL,
                col TEXT NOT NULL, rows INTEGER NOT NULL, PRIMARY KEY (digest, dataset, col, entity)) WITHOUT ROWID;
            CREATE INDEX postings_dataset ON postings (dataset);
            CREATE TABLE indexed (dataset TEXT PRIMARY KEY) WITHOUT ROWID;""")
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", "1"), ("key_fingerprint", KEY.fingerprint)])
        db.execute("INSERT INTO postings VALUES (?, 'CN_MOBILE_PHONE', 'a.csv', 'm', 1)",
                   (SubjectHasher(KEY).digests(["13812345678"])[0],))


def test_an_old_format_index_is_refused_untouched_and_rebuilt_by_scan_index(tmp_path):
    from scanner.lifecycle.subject_find import building_index, open_index

    _old_format_index(tmp_path / "idx")
    before = (tmp_path / "idx" / "subjects.sqlite").read_bytes()
    for opening in (lambda: SubjectIndex.open(tmp_path / "idx", KEY), lambda: open_index(tmp_path / "idx", KEY)):
        with pytest.raises(IndexProblem) as info:
            opening()
        message = str(info.value)
        assert "\n" not in message and "format '1'" in message and "rebuild it" in message and "--index" in message
    fresh = SubjectIndex.open(tmp_path / "fresh", KEY)
    with pytest.raises(IndexProblem, match="rebuild it"):
        fresh.merge(tmp_path / "idx")
    fresh.close()
    assert (tmp_path / "idx" / "subjects.sqlite").read_bytes() == before  # refusing it changed nothing

    with building_index(tmp_path / "idx", KEY) as index, index.dataset("a.csv") as ds:  # what scan --index does
        ds.add("m", "CN_MOBILE_PHONE", pa.array(["138-1234-5678"]))
    with open_index(tmp_path / "idx", KEY) as index:
        found = index.lookup(SubjectQuery.build([("mobile", "13812345678")], index.hasher))
        assert [(p.dataset, p.column, p.rows) for p in found] == [("a.csv", "m", 1)]


def test_a_sqlite_file_of_other_tables_is_not_an_index_and_stays_as_it_was(tmp_path):
    (tmp_path / "other").mkdir()
    with sqlite3.connect(tmp_path / "other" / "subjects.sqlite") as db:
        db.execute("CREATE TABLE customers (name TEXT)")
    with pytest.raises(IndexProblem, match="not a subject index"):
        SubjectIndex.open(tmp_path / "other", KEY)
    with sqlite3.connect(tmp_path / "other" / "subjects.sqlite") as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["customers"]


_MOBILES = [f"1381234{i:04d}" for i in range(6)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a.csv", "b.parquet", "c.xlsx#s"]), st.sampled_from(["m1", "m2"]),
                          st.lists(st.one_of(st.none(), st.sampled_from(_MOBILES + ["无", "138-1234-0001"])),
                                   max_size=12)),
                min_size=1, max_size=8),
       st.integers(min_value=0, max_value=30))
def test_the_index_answers_as_a_plain_count_of_its_batches(tmp_path_factory, batches, run):
    """Whatever the batches, datasets re-indexed and the runs they are written in: what a plain count says."""
    import scanner.lifecycle.identifiers as identifiers

    directory = tmp_path_factory.mktemp("idx")
    hasher = SubjectHasher(KEY)
    expected: dict[str, dict[tuple[bytes, str], int]] = {}  # dataset -> (digest, column) -> rows, last indexing wins
    saved, identifiers.RUN_DIGESTS = identifiers.RUN_DIGESTS, run  # runs of a few digests: several per column
    try:
        index = SubjectIndex(directory, hasher)
        by_dataset: dict[str, list[tuple[str, list[str | None]]]] = {}
        for dataset, column, values in batches:
            by_dataset.setdefault(dataset, []).append((column, values))
        for round_ in (1, 2):  # half the batches of every dataset, then all of them: a re-index replaces it
            for dataset, items in by_dataset.items():
                kept = items[::2] if round_ == 1 else items
                counts: dict[tuple[bytes, str], int] = {}
                with index.dataset(dataset) as writer:
                    for column, values in kept:
                        writer.add(column, "CN_MOBILE_PHONE", pa.array(values, pa.string()))
                        digests, rows = hasher.column("CN_MOBILE_PHONE", pa.array(values, pa.string()))
                        for digest, n in zip(digests, rows.tolist()):
                            counts[(digest, column)] = counts.get((digest, column), 0) + n
                expected[dataset] = counts
    finally:
        identifiers.RUN_DIGESTS = saved

    query = SubjectQuery.build([("mobile", m) for m in _MOBILES], hasher)
    label = {digest: lab for _e, digest, lab in query.terms}
    want = sorted((dataset, column, "CN_MOBILE_PHONE", n, label[digest])
                  for dataset, counts in expected.items() for (digest, column), n in counts.items())
    got = [(p.dataset, p.column, p.entity, p.rows, p.identifier) for p in index.lookup(query)]
    assert got == sorted(want, key=lambda p: (p[0], p[1], p[4]))
    assert index.datasets() == sorted(d for d, counts in expected.items() if counts)
    assert index.indexed() == set(expected)
    digests_of = {d: {digest for digest, _c in counts} for d, counts in expected.items()}
    pairs = [("CN_MOBILE_PHONE", a, b, len(digests_of[a] & digests_of[b]))
             for a in sorted(expected) for b in sorted(expected) if a < b and digests_of[a] & digests_of[b]]
    assert [(o.entity, o.first, o.second, o.shared) for o in index.overlaps()] == pairs

    merged = SubjectIndex(tmp_path_factory.mktemp("merged"), hasher)  # a merge answers the same
    with merged.dataset("a.csv") as writer:
        writer.add("old", "CN_MOBILE_PHONE", pa.array(_MOBILES))
    taken = merged.merge(directory)
    assert taken == sorted(index.indexed())
    after = [(p.dataset, p.column, p.entity, p.rows, p.identifier) for p in merged.lookup(query)]
    if "a.csv" not in taken:  # ours stays: a merge replaces the datasets the other index read
        assert len([p for p in after if p[0] == "a.csv"]) == len(_MOBILES)
        after = [p for p in after if p[0] != "a.csv"]
    assert after == got
    assert merged.indexed() == set(expected) | {"a.csv"}
    index.close()
    merged.close()


def test_a_run_is_in_blob_order_with_duplicates_summed_even_when_digests_share_their_first_word():
    import numpy as np

    from scanner.lifecycle.identifiers import _sorted_run

    rng = np.random.default_rng(7)
    distinct = rng.integers(0, 256, (300, 16), dtype=np.uint8)
    distinct[1:4, :8] = distinct[0, :8]  # four digests sharing their first 8 bytes: the slow path's tie-break
    distinct[5, 8:] = 0  # trailing zero bytes stay (a bytes view of them would drop them)
    picks = rng.integers(0, len(distinct), 2000)
    counts = rng.integers(1, 4, len(picks))
    digests, rows = _sorted_run(np.ascontiguousarray(distinct[picks]), counts)
    expected: dict[bytes, int] = {}
    for i, n in zip(picks.tolist(), counts.tolist()):
        expected[distinct[i].tobytes()] = expected.get(distinct[i].tobytes(), 0) + n
    assert [d.tobytes() for d in digests] == sorted(expected)  # memcmp order, as SQLite orders BLOBs
    assert rows.tolist() == [expected[d] for d in sorted(expected)]
