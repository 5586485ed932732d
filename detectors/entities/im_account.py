"""QQ number or WeChat ID (IM_ACCOUNT): one entity, one file.

QQ numbers ``[1-9]\\d{4,10}`` and WeChat IDs ``[A-Za-z][-_A-Za-z0-9]{5,19}``
are, on their own, indistinguishable from any id or word (ENTITIES.md): a
column needs a header that names the messenger (QQ号, 微信号, wechat, wx), and
in free text only a value right after such a word is an account
(``QQ：123456789``, ``微信号 zhang_san88``).
"""

from __future__ import annotations

import re

from detectors.entities.spec import HASH_LOWER, STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "IM_ACCOUNT"

_QQ = re.compile(r"^[1-9]\d{4,10}$")
_WECHAT = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$|^wxid_[a-z0-9]{6,24}$")
# Words between the messenger's name and the account: 号, 号码, ID, account, a colon, 是 ...
_LINK = r"(?:\s*(?:号码|号|账号|帐号|id|account|number|no\.?))?\s*(?:[:：=]|是|为|is)?\s*"


def is_valid_im_account(value: str) -> bool:
    """A QQ number or a WeChat ID shape (one digit repeated is no account)."""
    v = value.strip()
    if _QQ.match(v):
        return len(set(v)) > 1
    return bool(_WECHAT.match(v))


class ImAccountRecognizer(PiiRecognizer):
    """QQ numbers and WeChat IDs named by their header, or right after QQ/微信/WeChat in text."""

    ENTITY = NAME
    PATTERNS = [
        ("qq", rf"(?i)(?<=(?:qq|扣扣){_LINK})[1-9]\d{{4,10}}(?![0-9A-Za-z])", 0.4),
        ("wechat", rf"(?i)(?<=(?:微信|weixin|wechat|vx|wx|v信){_LINK})(?!(?:id|account|number)\b)"
                   rf"[A-Za-z][-_A-Za-z0-9]{{5,19}}(?![-_A-Za-z0-9])", 0.4),
    ]
    CELL_REGEX = r"^(?:[1-9]\d{4,10}|[A-Za-z][-_A-Za-z0-9]{5,19}|wxid_[a-z0-9]{6,24})$"
    # The messenger's name, the linking words, then the account's first character (what the lookbehind
    # demands): ``@qq.com`` in every e-mail address does not qualify.
    TEXT_PREFILTER = (r"(?i)(?:qq|扣扣|微信|weixin|wechat|vx|wx|v信)(?:\s*(?:号码|号|账号|帐号|id|account|number|no\.?))?"
                      r"\s*(?:[:：=]|是|为|is)?\s*[0-9A-Za-z]")
    CONTEXT = ["qq", "扣扣", "微信", "weixin", "wechat", "vx", "wx", "v信"]
    CHANCE = 0.5
    STRENGTH = 0.7
    NEEDS_HINT = True
    CELLS_NEED_HINT = True
    MIN_DISTINCT = 0.05

    @staticmethod
    def validate_value(value: str) -> bool:
        """A QQ number or WeChat ID shape."""
        return is_valid_im_account(value)


SPEC = EntitySpec(
    name=NAME,
    level=2,
    category="contact",
    label_zh="QQ/微信号",
    label_en="QQ / WeChat account",
    recognizer=ImAccountRecognizer,
    rank=270,
    headers=HeaderWords(
        zh=(("QQ号", STRONG), ("QQ账号", STRONG), ("微信号", STRONG), ("微信账号", STRONG), ("微信", STRONG),
            ("扣扣", STRONG)),
        en=(("qq", STRONG), ("wechat", STRONG), ("weixin", STRONG), ("wxid", STRONG), ("wx", WEAK)),
        phrases=((("qq", "no"), STRONG), (("qq", "number"), STRONG), (("wechat", "id"), STRONG),
                 (("wx", "id"), STRONG)),
        pinyin=(("wxh", STRONG),),
    ),
    mask=(1, 1),  # a 5-digit QQ number keeps 2 of its digits in sight, not 4
    hash_norm=HASH_LOWER,
)
