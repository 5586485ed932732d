"""Column classification: real columns found, chance-rate columns left alone, headers as evidence."""

from __future__ import annotations

import random
import uuid

import pyarrow as pa
import pytest

from detectors.classify import ColumnProfile
from detectors.validators import luhn_check_digit, resident_id_check_char

rng = random.Random(7)


def make_id(rng: random.Random) -> str:
    region = rng.choice(["110105", "310115", "440304", "510107", "330106"])
    born = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = region + born + f"{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def make_card(rng: random.Random) -> str:
    partial = rng.choice(["622848", "622700", "621700", "436742"]) + "".join(
        str(rng.randint(0, 9)) for _ in range(rng.choice([9, 12]))
    )
    return partial + luhn_check_digit(partial)


def make_mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "186", "177", "150", "199"]) + f"{rng.randint(0, 10**8 - 1):08d}"


def classify(name: str, values: list, comment: str | None = None) -> dict:
    profile = ColumnProfile(name, comment)
    profile.update(pa.array(values))
    return profile.result().to_json()


def test_resident_id_column_found_without_header():
    result = classify("col_a", [make_id(rng) for _ in range(300)])
    assert result["primary_entity"] == "CN_RESIDENT_ID"
    assert result["level"] == 4 and result["category"] == "identity"
    assert result["confidence"] >= 0.9
    assert all("********" in s for s in result["samples_masked"])


def test_card_and_mobile_columns_found():
    assert classify("x", [make_card(rng) for _ in range(200)])["primary_entity"] == "BANK_CARD"
    assert classify("y", [make_mobile(rng) for _ in range(200)])["primary_entity"] == "CN_MOBILE_PHONE"


@pytest.mark.parametrize("digits", [16, 18, 19])
def test_random_digit_strings_pass_luhn_only_at_chance(digits):
    values = [str(rng.randint(10 ** (digits - 1), 10**digits - 1)) for _ in range(2000)]
    result = classify("account_no", values)
    assert result["primary_entity"] is None
    # the evidence shows why: ~10% Luhn passes among format matches
    cells = result["evidence"]["cells"]["BANK_CARD"]
    assert 0.05 < cells["validated"] / cells["format_matches"] < 0.15


def test_sequential_order_numbers_are_not_mobiles():
    values = [str(13800000000 + i) for i in range(3000)]
    assert classify("order_no", values)["primary_entity"] is None


def test_random_eleven_digit_numbers_are_not_mobiles_without_header():
    values = [str(rng.randint(13 * 10**9, 2 * 10**10 - 1)) for _ in range(2000)]
    assert classify("ref", values)["primary_entity"] is None


def test_header_contradicted_by_values_is_not_a_finding():
    result = classify("phone", [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(300)])
    assert result["primary_entity"] is None


def test_header_lowers_the_bar_for_mixed_columns():
    values = [make_mobile(rng) if i % 4 == 0 else "未填写" for i in range(400)]
    assert classify("misc", values)["primary_entity"] is None
    assert classify("手机号", values)["primary_entity"] == "CN_MOBILE_PHONE"
    assert classify("c1", values, comment="联系手机")["primary_entity"] == "CN_MOBILE_PHONE"


def test_unionpay_cards_failing_luhn_still_found_with_header():
    good = [make_card(rng) for _ in range(70)]
    bad = [c[:-1] + str((int(c[-1]) + 1) % 10) for c in (make_card(rng) for _ in range(30))]
    values = good + bad
    assert classify("银行卡号", values)["primary_entity"] == "BANK_CARD"


def test_empty_and_null_cells_ignored():
    values = [make_id(rng) if i % 3 else None for i in range(300)] + ["", "  "]
    result = classify("sfzh", values)
    assert result["primary_entity"] == "CN_RESIDENT_ID"
    assert result["evidence"]["values"] == 200


def test_numeric_and_list_columns():
    ints = pa.array([int(make_mobile(rng)) for _ in range(100)], type=pa.int64())
    profile = ColumnProfile("contact")
    profile.update(ints)
    assert profile.result().primary_entity == "CN_MOBILE_PHONE"
    lists = pa.array([[make_mobile(rng), make_mobile(rng)] for _ in range(60)])
    profile = ColumnProfile("phones")
    profile.update(lists)
    assert profile.result().primary_entity == "CN_MOBILE_PHONE"


def test_free_text_lists_every_entity():
    texts = (
        [f"我的手机号是{make_mobile(rng)}" for _ in range(30)]
        + [f"身份证号{make_id(rng)}，请核对" for _ in range(20)]
        + [f"please mail user{i}@example.com" for i in range(10)]
        + ["好的，谢谢"] * 40
    )
    result = classify("message", texts)
    found = {e["entity"]: e["matches"] for e in result["entities"]}
    assert found == {"CN_MOBILE_PHONE": 30, "CN_RESIDENT_ID": 20, "EMAIL_ADDRESS": 10}
    assert result["primary_entity"] == "CN_MOBILE_PHONE"
    assert result["level"] == 4  # free text takes its highest entity level
    assert result["free_text"] is True


def test_free_text_chance_luhn_passes_are_not_cards():
    lines = [f"trace {rng.randint(10**15, 10**16 - 1)} done" for _ in range(500)]
    assert classify("log", lines)["primary_entity"] is None


def test_no_raw_value_in_result():
    ids = [make_id(rng) for _ in range(50)]
    result = classify("id_no", ids)
    text = repr(result)
    assert not any(v in text for v in ids)


def test_accumulates_across_batches():
    profile = ColumnProfile("mobile")
    for _ in range(5):
        profile.update(pa.array([make_mobile(rng) for _ in range(100)]))
    result = profile.result().to_json()
    assert result["evidence"]["values"] == 500
    assert result["entities"][0]["matches"] == 500


def test_uscc_of_individual_business_is_level_2():
    from detectors.validators import uscc_check_char

    def code(prefix: str, i: int) -> str:
        body = f"{prefix}440300" + f"{i:09d}"
        return body + uscc_check_char(body)

    firms = classify("x", [code("91", i * 7919) for i in range(100)])
    persons = classify("x", [code("92", i * 7919) for i in range(100)])
    assert firms["primary_entity"] == persons["primary_entity"] == "CN_USCC"
    assert (firms["level"], persons["level"]) == (1, 2)
    assert firms["category"] == "organization"


def test_explainable_evidence_is_kept():
    # placeholders (n/a) count neither way (ENTITIES.md); other non-matching values count against
    result = classify("手机号", [make_mobile(rng) for _ in range(100)] + ["n/a"] * 10 + ["see note"] * 10)
    row = result["entities"][0]
    assert row["entity"] == "CN_MOBILE_PHONE" and row["validator_pass_rate"] == 1.0 and row["header_hint"] == 1.0
    assert abs(row["hit_ratio"] - 100 / 110) < 1e-3
    assert result["evidence"]["cells"]["CN_MOBILE_PHONE"] == {"format_matches": 100, "validated": 100}
