"""Personal financial status (FINANCIAL_STATUS): one entity, one file.

PIPL Art. 28 sensitive ("financial accounts" and property): income, salary,
deposits, balances and credit records. The values are money-shaped
(``￥29400``, ``29,400.00``, ``2.9万``, ``8000-12000``) or credit ratings, and
only a header decides what the money is (月薪, 年收入, 存款, 余额, 征信, salary,
credit score): an ``amount``/``price`` column of an order table is not a
person's finances (ENTITIES.md), and its headers name no such word.
"""

from __future__ import annotations

import re

from detectors.entities.spec import STRONG, WEAK, EntitySpec, HeaderWords
from detectors.vocabulary import VocabularyRecognizer, context_prefilter

NAME = "FINANCIAL_STATUS"
_CONTEXT = ["月薪", "年薪", "薪资", "薪水", "工资", "收入", "存款", "余额", "资产", "负债", "征信", "信用分", "信用评分",
            "salary", "income", "wage", "balance", "deposit", "savings", "net worth", "credit score"]
_AMOUNT = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?"
_UNIT = r"(?:万元|万|千元|千|元|块|k|K|w|W|RMB|CNY|USD|HKD|EUR|/月|/年|每月|每年)*"
MONEY = re.compile(rf"^(?:[￥¥$€£]|RMB|CNY|USD)?\s*(?:{_AMOUNT})\s*{_UNIT}"
                   rf"(?:\s*(?:-|~|～|至|到)\s*(?:[￥¥$€£])?\s*(?:{_AMOUNT})\s*{_UNIT})?$")
RATING = re.compile(r"^(?:AAA|AA|A|BBB|BB|B|CCC|CC|C|D)[+-]?$|^(?:优秀|良好|较好|一般|中等|较差|差|极好|很好)$"
                    r"|^(?:excellent|very good|good|fair|poor|bad)$", re.IGNORECASE)


def is_financial_value(value: str) -> bool:
    """An amount of money (sign, thousands, 万/元/k, a range), or a credit rating."""
    v = value.strip()
    return bool(MONEY.match(v) or RATING.match(v))


class FinancialStatusRecognizer(VocabularyRecognizer):
    """Income, salary, deposits, balances and credit ratings under a header naming them."""

    ENTITY = NAME
    PATTERNS = [("money", r"(?<![\d.,])(?:[￥¥$]\s?\d[\d,]*(?:\.\d{1,2})?(?:\s?(?:万元|万|元|[kK]))?"
                          r"|\d[\d,]*(?:\.\d{1,2})?\s?(?:万元|万|千元|元|块|[kK])|\d{4,}(?:\.\d{1,2})?)(?![\d])", 0.3)]
    CELL_REGEX = r"^.{1,40}$"
    TEXT_PREFILTER = context_prefilter(_CONTEXT)
    CONTEXT = _CONTEXT

    @classmethod
    def validate_value(cls, value: str) -> bool:
        """Money-shaped, or a credit rating."""
        return is_financial_value(value)


SPEC = EntitySpec(
    name=NAME,
    level=3,
    category="financial",
    label_zh="个人财产/收入信息",
    label_en="Financial status",
    recognizer=FinancialStatusRecognizer,
    rank=310,
    sensitive=True,
    headers=HeaderWords(
        zh=(("月薪", STRONG), ("年薪", STRONG), ("薪资", STRONG), ("薪水", STRONG), ("工资", STRONG),
            ("年收入", STRONG), ("月收入", STRONG), ("个人收入", STRONG), ("家庭收入", STRONG), ("存款", STRONG),
            ("余额", STRONG), ("个人资产", STRONG), ("家庭资产", STRONG), ("总资产", STRONG), ("负债", WEAK),
            ("征信", STRONG),
            ("信用分", STRONG), ("信用评分", STRONG), ("信用等级", STRONG), ("信用记录", STRONG)),
        # Not "amount", "price", "revenue", "deposit" (an order's 定金) or "assets" (a company's): whose money
        # it is decides, and those name an order's or a business's.
        en=(("salary", STRONG), ("income", STRONG), ("wage", STRONG), ("wages", STRONG), ("balance", STRONG),
            ("deposits", STRONG), ("savings", STRONG), ("networth", STRONG), ("payroll", WEAK)),
        phrases=((("net", "worth"), STRONG), (("credit", "score"), STRONG), (("credit", "rating"), STRONG),
                 (("credit", "record"), STRONG), (("credit", "history"), STRONG), (("annual", "income"), STRONG),
                 (("monthly", "income"), STRONG), (("account", "balance"), STRONG)),
        pinyin=(("nsr", STRONG), ("ysr", STRONG)),
    ),
    mask=(0, 0),
    whole_cell=True,
)
