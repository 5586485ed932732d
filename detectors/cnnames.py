"""Chinese person names in sentences: surname-anchored candidates read with their context.

jieba's POS tagger alone misses names whose characters it glues to their
neighbours (客户王洋来电 is cut 客户王 / 洋 / 来电) and names that are also
dictionary words (李强先生: 李强 is in the dictionary, and ordinary names
are rejected when they are words, to keep 黄金 and 江苏 out). Sentences say
where names stand, though: after a role word (客户, 联系人, 经办人), before a
title (先生, 经理) or a verb of contact or speech (来电, 投诉, 表示), between
punctuation. So every surname position proposes one or two given-name
characters, and a candidate is kept when

* both its edges are boundaries: the text's start or end, a non-Han
  character, or a cue word on that side;
* its given-name characters are common in person names (counts from jieba's
  dictionary names, detectors/data/cn_given_chars.txt);
* it is not an ordinary dictionary word (高速, 方法), and a dictionary word
  tagged as a name (李强, but also 王府井 and 孔子) needs a strong cue: a
  title, a role word or a verb of contact;
* what follows does not make it a place or an organisation (玉珍县, 金凤市,
  彩虹科技有限公司).

jieba's own ``nr`` spans are kept under the same place/organisation check;
where they overlap a cue-anchored candidate, the candidate wins (its edges
were checked on both sides).
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from detectors import validators as v

# A given-name character must occur at least this often in jieba's person names.
MIN_GIVEN_COUNT = 3
# jieba dictionary counts: a name entry this frequent is someone famous or a place (孔子 1103, 王府井 183,
# 李强 159, 东方明珠 26), rarer ones are ordinary people (王冬梅 3); a word this frequent before one more
# character makes the pair a word and a character (银行 + 卡), rarer ones may be a name (杨淑 + 英).
FAMOUS_FREQ = 20
COMMON_WORD_FREQ = 50
# Coordinators after a name that may be glued by jieba to the next name (皇甫红霞 / 和容慧).
COORDINATORS = frozenset("和与及跟同或")

def _words(spaced: str) -> tuple[str, ...]:
    """A word list written as one space-separated string (easier to read and extend than a list literal)."""
    return tuple(spaced.split())


# How much a span's neighbourhood says it is a name, per side.
# POS: jieba reads a verb, preposition or time word there, which is less than a cue word.
NONE, EDGE, POS, WEAK, STRONG = 0, 2, 3, 4, 6
# Punctuation after a label (联系人：) and between the items of a list (张伟、刘芳).
SEPARATORS = "：:，,；;/（(）)"
LIST_MARKS = "、"
# What follows a name and a separator: a greeting, or the sex in a record (王涛成：您好, 张鑫刚，男，45岁).
ADDRESSED = frozenset(["您好", "你好", "男，", "女，", "男,", "女,", "男）", "女）", "男)", "女)"])
# Last characters of role nouns (快递员, 记录人, 医生, 工程师, 队长, 记者, 选手, 业主).
ROLE_ENDINGS = frozenset("员人师长者士生手官主")

# Cue words: what stands right before a name (roles, titles, addressing verbs) and right after it.
STRONG_LEFT = _words(
    "客户 顾客 用户 联系人 经办人 收件人 收货人 寄件人 发件人 患者 病人 家属 申请人 审核人 审批人 负责人 投诉人 "
    "报案人 当事人 学生 员工 职工 同事 业主 租户 会员 乘客 司机 法人 代表 姓名 名字 签收人 持卡人 担保人 监护人 "
    "借款人 出借人 被保险人 投保人 受益人 户主 承办人 记录人 值班人 操作人 操作员 客服 坐席 专员 经理 主任 医生 "
    "老师 教师 护士 律师 记者 警官 同学 本人 联系 通知 告知 转告 感谢 致电 委托 拜访 名叫 叫做 介绍人 推荐人 "
    "开户人 户名 账户名 车主 房东 买家 卖家 店主 主治医师 医师 教授 工程师 会计 出纳 领导 组长 队长 班长 "
    "科长 处长 局长 院长 校长 部长 书记 总监 主管 董事长 总经理 厂长 店长 老板 师傅 先生 女士"
)
WEAK_LEFT = _words("是 由 请 让 给 和 与 同 跟 向 及 或 对 找 叫 被 把 将 为 帮 替 问 等 经 据 至 致 "
             "今天 昨天 明天 上午 下午 晚上 早上 中午 刚才 当天 随后 后来 今日 昨日 人员")
STRONG_RIGHT = _words(
    "先生 女士 小姐 老师 经理 总监 主任 医生 大夫 护士 教授 律师 同学 同志 师傅 阿姨 叔叔 老板 博士 警官 主管 "
    "科长 处长 局长 院长 校长 部长 书记 董事长 总经理 会计 专员 工程师 总工 老总 组长 队长 班长 厂长 店长 "
    "来电 致电 来访 来信 来函 反映 投诉 称 说 表示 认为 要求 咨询 询问 提出 办理 申请 签收 确认 告知 回复 反馈 "
    "报案 报修 留言 同意 拒绝 提交 预约 购买 支付 签字 签名 本人 家属 联系 负责 指出 介绍 透露 坦言 提到 强调 "
    "反应 来店 到店 到访 下单 退货 退款 付款 缴费 还款 借款 入住 就诊 住院 出院 报名 登记 领取 收到 "
    "的电话 的手机 的身份证 的银行卡 的账户 的账号 的地址 的订单 的邮箱 的快递 的包裹"
)
WEAK_RIGHT = _words(
    "的 和 与 及 等 在 于 已 也 都 还 又 是 对 将 因 被 把 向 从 今天 昨天 明天 上午 下午 晚上 曾 正 再 "
    "先 去 到 来 打 给 跟 同 或 今 昨 前 后 已经 正在 通过 需要 希望 想 要 没有 未 不 一起 一同 一块"
)
# What precedes a place rather than a person (去岳阳, 寄到桂林, 来自石家庄, 位于常德).
PLACE_LEFT = _words("去 到 在 住 回 往 赴 经 自 位于 来自 住在 寄到 发往 前往 抵达 路过 途经 出差 旅游 老家 籍贯")
# Last characters of places, buildings and households that are no given-name characters (卢沟桥, 灵隐寺, 郝家).
PLACE_ENDINGS = tuple("桥站港寺庙宫殿塔湾岛家")
# What turns a name-shaped word into a place or an organisation when it follows (玉珍县, 李宁体育).
PLACE_ORG_CHARS = frozenset("省市县区镇乡村州旗盟路街道巷弄号楼族")
PLACE_ORG_WORDS = _words(
    "公司 集团 银行 大学 学院 学校 中学 小学 医院 诊所 科技 有限 股份 中心 宾馆 酒店 饭店 商场 超市 广场 大厦 "
    "小区 花园 公园 工作室 事务所 研究所 协会 商行 商店 门市 药店 药房 餐厅 餐馆 网络 传媒 实业 贸易 物流 电子 "
    "信息 文化传 食品 药业 餐饮 服饰 控股 基金 证券 保险 投资 地产 置业 建设 工程 桥 站 港 寺 庙"
)

Span = tuple[int, int]


@functools.cache
def given_chars() -> frozenset[str]:
    """Characters common in given names (MIN_GIVEN_COUNT occurrences or more in jieba's person names)."""
    lines = (v.DATA_DIR / "cn_given_chars.txt").read_text(encoding="utf-8").splitlines()
    rows = [line.split() for line in lines if line and not line.startswith("#")]
    return frozenset(char for char, count in rows if int(count) >= MIN_GIVEN_COUNT)


@dataclass(frozen=True)
class _Words:
    """A word list as a set and its longest length: looked up by slicing, longest first."""

    words: frozenset[str]
    longest: int

    @classmethod
    def of(cls, words: Iterable[str]) -> _Words:
        words = frozenset(words)
        return cls(words, max(map(len, words)))


@functools.cache
def _cues() -> dict[str, _Words]:
    """Every word list, ready for lookups."""
    return {"strong_left": _Words.of(STRONG_LEFT), "weak_left": _Words.of(WEAK_LEFT),
            "strong_right": _Words.of(STRONG_RIGHT), "weak_right": _Words.of(WEAK_RIGHT),
            "place_left": _Words.of(PLACE_LEFT), "org_right": _Words.of(PLACE_ORG_WORDS)}


def _before(ctx: _Context, start: int, kind: str, *, whole: bool = True) -> bool:
    """Whether a word of list ``kind`` ends at ``start`` (and is a word there, see _Context.cue_word)."""
    cues = _cues()[kind]
    for n in range(min(cues.longest, start), 0, -1):
        cue = ctx.text[start - n:start]
        if cue in cues.words and (not whole or ctx.cue_word(cue, start - n)):
            return True
    return False


def _after(ctx: _Context, end: int, kind: str, *, whole: bool = True) -> bool:
    """Whether a word of list ``kind`` starts at ``end`` (and is a word there, see _Context.cue_word)."""
    cues = _cues()[kind]
    for n in range(min(cues.longest, len(ctx.text) - end), 0, -1):
        cue = ctx.text[end:end + n]
        if cue in cues.words and (not whole or ctx.cue_word(cue, end + n)):
            return True
    return False


# Endings of administrative division names in cpca's table (岳阳市, 黔东南苗族侗族自治州, 托里县).
_DIVISION_SUFFIX = re.compile(r"(?:自治州|自治县|自治旗|特别行政区|地区|林区|特区|新区|市|县|区|州|盟|旗)$")


@functools.cache
def place_names() -> frozenset[str]:
    """Short forms of China's administrative divisions (岳阳, 安阳, 桂林), from cpca's adcode table.

    jieba tags many of them as person names and most are not dictionary
    words; a span that is one needs a strong cue (客户周宁来电) to be a name.
    """
    spec = importlib.util.find_spec("cpca")  # its table only: importing cpca builds its matcher (pandas)
    if spec is None or spec.origin is None:  # a required dependency: only a broken install lands here
        raise ModuleNotFoundError("cpca is not installed", name="cpca")
    table = Path(spec.origin).with_name("resources") / "adcodes.csv"
    with table.open(encoding="utf-8") as fh:
        names = {_DIVISION_SUFFIX.sub("", row["name"]) for row in csv.DictReader(fh)}
    return frozenset(n for n in names if len(n) >= 2)


@functools.cache
def _single_cues() -> frozenset[str]:
    """One-character cue words after a name (说, 称, 和, 想 ...)."""
    return frozenset(c for c in STRONG_RIGHT + WEAK_RIGHT if len(c) == 1)


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


@dataclass
class _Context:
    """One text and jieba's reading of it: token boundaries and the POS tag of the token at each edge."""

    text: str
    boundaries: set[int] = field(default_factory=set)
    tokens: dict[Span, str] = field(default_factory=dict)  # (start, end) -> POS tag of each token
    # offset -> POS tag of the token of two or more characters starting (ending) there: jieba's lone
    # characters are its leftovers (商软冠 / 联), their tags are guesses.
    starts: dict[int, str] = field(default_factory=dict)
    ends: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str, tokens: list[tuple[str, str]]) -> _Context:
        ctx = cls(text, {0, len(text)})
        offset = 0
        for word, flag in tokens:
            ctx.tokens[(offset, offset + len(word))] = flag
            if len(word) > 1:
                ctx.starts[offset] = flag
                ctx.ends[offset + len(word)] = flag
            offset += len(word)
            ctx.boundaries.add(offset)
        return ctx

    def cue_word(self, cue: str, far_edge: int) -> bool:
        """A cue of several characters is a word wherever it stands; one character must be a token of its own
        at its far edge (胡同和服务: 同 is no cue, it ends 胡同)."""
        return len(cue) > 1 or far_edge in self.boundaries


def _left_strength(ctx: _Context, start: int) -> int:
    """What precedes a span: STRONG/WEAK cue, EDGE (text start, non-Han), or NONE (the span would cut a word)."""
    text = ctx.text
    if start == 0:
        return EDGE
    if not _is_han(text[start - 1]):
        label = len(text[:start].rstrip(SEPARATORS + " "))
        if 0 < label < start and _ends_with_role(ctx, label):
            return STRONG  # 投诉人：邱艳丽, 联系人 王丽静
        return WEAK if text[start - 1] in LIST_MARKS else EDGE
    if place_before(ctx, start):
        return NONE  # 去岳阳, 寄到桂林, 来自石家庄: a place follows
    if _ends_with_role(ctx, start):
        return STRONG
    if _before(ctx, start, "weak_left"):
        return WEAK
    if ctx.ends.get(start, "")[:1] in ("v", "p", "c", "t"):
        return POS  # after a verb, preposition, conjunction or time word
    return NONE


def place_before(ctx: _Context, start: int) -> bool:
    """Whether a word that introduces places (去, 寄到, 来自, 位于) stands right before ``start``."""
    return start in ctx.boundaries and _before(ctx, start, "place_left")


def _ends_with_role(ctx: _Context, at: int) -> bool:
    """Whether the text before offset ``at`` ends with a role word (客户, 经办人, 快递员, 医生): names follow."""
    if _before(ctx, at, "strong_left", whole=False):
        return True
    text = ctx.text
    compound, _single = v.cn_surnames()
    # 据长孙伟, 我是上官桂荣: the role-like character starts or ends a compound surname
    return (at >= 2 and text[at - 1] in ROLE_ENDINGS and _is_han(text[at - 2])
            and text[at - 1:at + 1] not in compound and text[at - 2:at] not in compound)


def _right_strength(ctx: _Context, end: int) -> int:
    """What follows a span: STRONG/WEAK cue, EDGE (text end, non-Han), or NONE (the span would cut a word)."""
    text = ctx.text
    if end == len(text):
        return EDGE
    if not _is_han(text[end]):
        if text[end] in SEPARATORS and text[end + 1:end + 3] in ADDRESSED:
            return STRONG  # 王涛成：您好, 张鑫刚，男，45岁
        return WEAK if text[end] in LIST_MARKS else EDGE
    if _after(ctx, end, "strong_right"):
        return STRONG
    if _after(ctx, end, "weak_right"):
        return WEAK
    if text[end] in COORDINATORS and text[end + 1:end + 2] in v.cn_surnames()[1]:
        return WEAK  # 皇甫红霞和容慧: jieba glued 和 to the next name
    if ctx.starts.get(end, "")[:1] == "v":
        return POS  # before a verb: 许璐杨创建
    return NONE


def place_or_org_follows(ctx: _Context, end: int) -> bool:
    """Whether the text after a name-shaped span makes it a place or an organisation (玉珍县, 李宁体育用品公司)."""
    if end >= len(ctx.text):
        return False
    return ctx.text[end] in PLACE_ORG_CHARS or _after(ctx, end, "org_right", whole=False)


def _shape_ok(span: str) -> bool:
    """Surname, then given-name characters common in names; no doubled 2-character name, no place ending."""
    compound, single = v.cn_surnames()
    by_compound = span[:2] in compound and len(span) in (3, 4)
    if by_compound:
        given = span[2:]
    elif span in compound:
        return False  # 尉迟 alone is a surname, not 尉 and a given name
    elif span[0] in single and len(span) in (2, 3):
        given = span[1:]
    else:
        return False
    if span.endswith(v.NOT_NAME_SUFFIX) or span.endswith(PLACE_ENDINGS):
        return False
    chars = given_chars()
    if not all(c in chars for c in given):
        return False
    if len(span) == 3 and not by_compound:  # 银行卡, 文件夹: a common word and one more character
        head_tag = v.jieba_tags().get(span[:2])
        return head_tag is None or head_tag.startswith("nr") or word_freq(span[:2]) < COMMON_WORD_FREQ
    return True


def word_freq(word: str) -> int:
    """How often jieba's dictionary counts a word (0 for words it does not hold)."""
    return _freq_table().get(word, 0)


@functools.cache
def _freq_table() -> dict[str, int]:
    import jieba

    from detectors import jiebadict

    jiebadict.initialize()
    return jieba.dt.FREQ


def _enough_context(span: str, tag: str | None, left: int, right: int) -> bool:
    """Whether the context vouches for a candidate.

    A dictionary word not tagged as a name (高速, 方法, 高阳) is a name only
    between a role word and a title or verb (客户高阳来电). One tagged as a
    name and common enough to be famous or a place (孔子, 王府井, 司马光,
    李强) needs a strong cue, or a cue word before it (我是李建国); the
    dictionary's rare name entries (王冬梅, 张桂芳) are ordinary people, as
    are names it does not hold: a cue word, or jieba's reading of a verb, on
    one side is enough. Edges alone (a cell, a clause) leave it to jieba.
    """
    if tag is not None and not tag.startswith("nr"):
        return left == STRONG and right == STRONG
    if STRONG in (left, right):
        return True
    if span in place_names():
        return False  # 去过岳阳, 岳阳的情况: a place unless a role or title says otherwise
    if len(span) == 2 and span[0] == span[1]:
        return False  # 林林, 丽丽: also baby talk and reduplicated words, so only with a strong cue
    if tag is not None and word_freq(span) >= FAMOUS_FREQ:
        return left == WEAK
    return max(left, right) >= POS


def _candidates(ctx: _Context) -> list[tuple[int, int, int]]:
    """(start, end, score) of every surname-anchored name candidate whose edges and context hold."""
    text = ctx.text
    compound, single = v.cn_surnames()
    tags = v.jieba_tags()
    out = []
    for start, ch in enumerate(text):
        lengths = []
        if text[start:start + 2] in compound:
            lengths += [3, 4]
        if ch in single:
            lengths += [2, 3]
        if not lengths:
            continue
        left = _left_strength(ctx, start)
        if left == NONE:
            continue
        for length in lengths:
            end = start + length
            span = text[start:end]
            if end > len(text) or not all(_is_han(c) for c in span) or not _shape_ok(span):
                continue
            right = _right_strength(ctx, end)
            if right == NONE or place_or_org_follows(ctx, end):
                continue
            if _enough_context(span, tags.get(span), left, right):
                # a last character that is also a cue (李想 / 张伟想咨询) reads better as the cue
                out.append((start, end, left + right - 3 * (span[-1] in _single_cues())))
    return out


def _choose(candidates: list[tuple[int, int, int]]) -> list[Span]:
    """Non-overlapping candidates, best first: stronger context, then longer."""
    chosen: list[Span] = []
    for start, end, _score in sorted(candidates, key=lambda c: (-c[2], -(c[1] - c[0]), c[0])):
        if all(end <= s or e <= start for s, e in chosen):
            chosen.append((start, end))
    return sorted(chosen)


def tagged_spans(text: str, tokens: list[tuple[str, str]], ctx: _Context | None = None) -> list[Span]:
    """Name spans from jieba's POS tags (nr), compound surnames joined to the next token, places left out."""
    ctx = ctx or _Context.of(text, tokens)
    compound, _single = v.cn_surnames()
    spans: list[Span] = []
    offset = i = 0
    while i < len(tokens):
        word, flag = tokens[i]
        span_word, used = word, 1
        if word in compound and i + 1 < len(tokens) and 1 <= len(tokens[i + 1][0]) <= 2:
            span_word, used = word + tokens[i + 1][0], 2
        end = offset + len(span_word)
        is_name = ((flag in ("nr", "nrfg", "nrt") or (used == 2 and _shape_ok(span_word))) and v.is_chinese_name(span_word)
                   and not span_word.endswith(PLACE_ENDINGS)
                   and not place_or_org_follows(ctx, end) and not place_before(ctx, offset)
                   and _right_strength(ctx, end) != NONE  # 宋城演艺, 杨国福麻辣烫: glued to the next word
                   and (span_word not in place_names()
                        or STRONG in (_left_strength(ctx, offset), _right_strength(ctx, end))))
        if is_name:
            spans.append((offset, end))
        offset = end if is_name else offset + len(word)
        i += used if is_name else 1
    return spans


def name_spans(text: str, tokens: list[tuple[str, str]]) -> list[Span]:
    """Every person-name span of a text: cue-anchored candidates, then jieba's names that overlap none."""
    ctx = _Context.of(text, tokens)
    spans = _choose(_candidates(ctx))
    for start, end in tagged_spans(text, tokens, ctx):
        if all(end <= s or e <= start for s, e in spans):
            spans.append((start, end))
    return sorted(spans)
