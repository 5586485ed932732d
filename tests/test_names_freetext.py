"""Person names in Chinese free text (issue 14 item 9) and short Han values that are no names (issue 16).

Recall: names glued by jieba to their neighbours (客户王洋来电), dictionary
names with a title (李强先生), names in lists and after labels. Precision:
places, companies, banks, job titles, ethnic groups and ordinary words that
start with a surname character, in sentences and in columns under a
``name``/``名称`` header.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.names_eval import build, evaluate
from detectors.classify import ColumnProfile, shared_recognizers
from detectors.entities.person_name import ChineseNameTextRecognizer
from detectors.freetext import find_spans
from detectors.validators import cn_surnames

BAR = 0.97


def names_in(text: str) -> list[str]:
    """The PERSON_NAME spans the free-text path (scan and anonymize) finds in one text."""
    spans = find_spans(shared_recognizers(), pa.array([text], type=pa.string()))[0]
    return [text[s:e] for entity, s, e, _score in sorted(spans, key=lambda r: r[1]) if entity == "PERSON_NAME"]


def classify(header: str, values: list[str]) -> dict:
    profile = ColumnProfile(header)
    profile.update(pa.array(values, type=pa.string()))
    return profile.result().to_json()


def test_labelled_set_meets_the_bar():
    """bench/names_eval.py's figures: span recall and precision at least 0.97 on the generated set."""
    samples = build(7)
    with_names = [s for s in samples if s.names]
    spans = [s.text[a:b] for s in with_names for a, b in s.names]
    assert len(samples) >= 600 and len(with_names) >= 300 and len(samples) - len(with_names) >= 300
    assert any(len(n) == 4 for n in spans) and sum(len(n) == 3 for n in spans) >= 50
    assert len({n[0] for n in spans}) >= 100  # diverse surnames
    figures = evaluate(samples)
    assert figures.recall >= BAR, (figures.recall, figures.misses[:10])
    assert figures.precision >= BAR, (figures.precision, figures.false[:10])


@pytest.mark.parametrize(("text", "names"), [
    ("客户王洋来电咨询账单", ["王洋"]),
    ("李强先生于3月2日投诉", ["李强"]),
    ("联系人：王丽静，电话13812345678", ["王丽静"]),
    ("经办人张伟、审核人刘芳", ["张伟", "刘芳"]),
    ("客户王洋来电，称银行卡被冻结", ["王洋"]),
    ("据长孙伟称，包裹一直未收到", ["长孙伟"]),
    ("用户欧阳娜娜于3月5日下单", ["欧阳娜娜"]),
    ("值班医生胡桂兰查房后建议出院", ["胡桂兰"]),
    ("工单由许璐杨创建，孙丹荣审核", ["许璐杨", "孙丹荣"]),
    ("我是李建国，想咨询一下退货", ["李建国"]),
    ("李想先生来电", ["李想"]),
    ("张伟想咨询一下", ["张伟"]),
    ("皇甫红霞和容慧一起来办理", ["皇甫红霞", "容慧"]),
    ("投诉人：邱艳丽；被投诉人：梁浩", ["邱艳丽", "梁浩"]),
])
def test_names_in_sentences(text, names):
    assert names_in(text) == names


@pytest.mark.parametrize("text", [
    "王府井的李子很好吃", "张家口的冬天很冷", "高速公路因大雾封闭", "黄金价格又上涨了", "白天气温较高",
    "周末不上班", "这种方法很常见", "东方明珠在上海", "欧阳路上堵车了", "司马光砸缸的故事", "今天很高兴",
    "传统文化需要传承", "孔子的思想影响深远", "客户在王府井的浦发银行开户", "去桂林逛了一下午", "寄到常德，运费到付",
    "请确认王府井是否正确", "关于曹操，客户有疑问", "客户来自石家庄，电话18158959176", "本次合作方为宋城演艺",
    "陈克明食品于9月5日成立", "客户来电，称银行卡被冻结", "玉珍县今年丰收", "供应商：李宁体育用品有限公司",
    "民族：汉族，籍贯：常州", "开户行：中国工商银行", "职位：工程师", "胡同和服务都不错",
])
def test_no_names_in_ordinary_text(text):
    assert names_in(text) == []


def _faker(seed: int) -> Faker:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return fake


SHORT_HAN_COLUMNS = {
    "companies": lambda f: f.company(),
    "company_brands": lambda f: f.company_prefix(),
    "cities": lambda f: f.city(),  # 玉珍县, 金凤市: a name-shaped word and a place suffix
    "counties": lambda f: random.Random(f.random.random()).choice(
        ["资兴市", "托里县", "龙泉驿区", "江油市", "方城县", "向阳区", "金凤区", "和田县", "宁海县", "高邮市"]),
    "districts": lambda f: f.district(),
    "jobs": lambda f: f.job(),
    "job_titles": lambda f: random.Random(f.random.random()).choice(
        ["经理", "工程师", "会计", "司机", "教师", "主管", "护士", "高级工程师", "项目经理", "总经理"]),
    "ethnic_groups": lambda f: random.Random(f.random.random()).choice(
        ["汉族", "回族", "满族", "壮族", "苗族", "维吾尔族", "土家族", "彝族", "蒙古族", "藏族", "朝鲜族", "白族"]),
    "banks": lambda f: random.Random(f.random.random()).choice(
        ["中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行", "招商银行", "浦发银行", "兴业银行",
         "民生银行", "光大银行", "华夏银行", "平安银行", "彩虹科技有限公司"]),
}


@pytest.mark.parametrize("header", ["name", "名称", "c3"])
@pytest.mark.parametrize("kind", sorted(SHORT_HAN_COLUMNS))
def test_short_han_values_are_not_person_names(kind, header):
    """Neither the cell path nor the free-text path makes such a column PERSON_NAME, whatever the header."""
    fake = _faker(16)
    values = [SHORT_HAN_COLUMNS[kind](fake) for _ in range(400)]
    result = classify(header, values)
    assert result["primary_entity"] != "PERSON_NAME"
    assert all(row["entity"] != "PERSON_NAME" for row in result["entities"]), result["entities"]


def test_issue_16_examples_under_a_name_header():
    values = ["彩虹科技有限公司", "资兴市", "托里县"] * 40
    for header in ("name", "名称"):
        result = classify(header, values)
        assert result["primary_entity"] is None, result["entities"]


@pytest.mark.parametrize("header", ["c3", "name", "名称"])
def test_real_names_are_person_names_under_any_header(header):
    fake = _faker(3)
    result = classify(header, [fake.name() for _ in range(300)])
    assert result["primary_entity"] == "PERSON_NAME" and not result["free_text"]


def test_free_text_names_make_a_log_column_person_name():
    """A message column where a minority of texts hold a name is still found (beyond the noise rate)."""
    fake = _faker(9)
    rng = random.Random(9)
    values = [f"客户{fake.name()}来电咨询账单" if rng.random() < 0.2 else rng.choice(
        ["系统自动关闭工单", "用户反馈页面加载慢", "订单已发货，请注意查收", "退款已原路返回"]) + str(k)
        for k in range(400)]
    result = classify("c3", values)
    assert any(row["entity"] == "PERSON_NAME" for row in result["entities"])
    assert result["free_text"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("王李张刘欧阳司马客户来电先生的和、，：。经理说称于0123abc 高速明天洋强伟芳丽静")),
               max_size=40))
def test_spans_are_name_shaped_and_disjoint(text):
    """Whatever the text, spans lie inside it, do not overlap and start with a surname."""
    compound, single = cn_surnames()
    results = ChineseNameTextRecognizer().analyze(text, ["PERSON_NAME"])
    spans = sorted((r.start, r.end) for r in results)
    for (s, e), nxt in zip(spans, [*spans[1:], None]):
        assert 0 <= s < e <= len(text) and 2 <= e - s <= 4
        assert nxt is None or e <= nxt[0]
        assert text[s:s + 2] in compound or text[s] in single


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.text(max_size=60))
def test_any_text_is_read_without_error(text):
    """Arbitrary Unicode (controls, astral characters, lone punctuation) goes through the same checks."""
    for result in ChineseNameTextRecognizer().analyze(text, ["PERSON_NAME"]):
        assert 0 <= result.start < result.end <= len(text)


def test_given_name_character_list_is_current(tmp_path):
    """The shipped counts equal what scripts/make_given_chars.py derives from jieba's dictionary and the surnames."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("make_given_chars", root / "scripts" / "make_given_chars.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path / "given.txt")
    assert (tmp_path / "given.txt").read_text(encoding="utf-8") == (
        root / "detectors" / "data" / "cn_given_chars.txt").read_text(encoding="utf-8")
