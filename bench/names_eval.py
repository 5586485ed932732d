"""Person names in Chinese free text: span recall and precision on a labelled, generated set.

usage:
    python bench/names_eval.py [--seed 7] [--show 10]

Sentences come from templates written here (customer-service logs, medical
notes, delivery records, meeting minutes) filled with names from Faker's
zh_CN provider (its weighted surnames and given names; compound surnames and
3-4 character names added here), and hard negatives: sentences with places,
companies, banks, job titles, ethnic groups and ordinary words that start
with a surname character (王府井, 黄金, 高速, 孔子, 司马光砸缸), none holding
a name. Spans are found the way a scan and ``anonymize`` find them
(detectors.freetext.find_spans: the RE2 prefilter, then the recognizers);
a span counts when its start and end are exact.

To measure another checkout, put it first on the path
(``PYTHONPATH=/work/wt-base python bench/names_eval.py``): only the
detectors are imported from it.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository root after PYTHONPATH's entries
    sys.path.append(str(Path(__file__).resolve().parent.parent))

NAME = "PERSON_NAME"


def _words(spaced: str) -> list[str]:
    """A word list written as one space-separated string."""
    return spaced.split()


COMPOUND = _words("欧阳 司马 上官 诸葛 东方 皇甫 慕容 令狐 尉迟 公孙 司徒 夏侯 端木 南宫 长孙 宇文")

# {n} and {m} are names (labelled); {id}, {mob}, {date} are other values beside them.
POSITIVE = [
    "客户{n}来电咨询账单问题", "{n}先生于{date}投诉物流延迟", "联系人：{n}，电话{mob}", "经办人{n}、审核人{m}",
    "{n}女士表示对处理结果满意", "收件人{n} 手机{mob} 地址见订单", "患者{n}，男，45岁，主诉头痛三天",
    "今天上午{n}致电客服，要求退款", "已通知{n}本人到店办理", "请{n}经理尽快回复", "据{n}称，包裹一直未收到",
    "{n}说下周再来", "客户{n}（身份证{id}）申请开户", "投诉人：{n}；被投诉人：{m}", "感谢{n}老师的耐心帮助",
    "与会人员：{n}、{m}等", "业主{n}反映楼道灯坏了", "{n}的手机号是{mob}", "转告{n}明天上午来取件",
    "用户{n}于{date}下单，尚未发货", "由{n}负责跟进此事", "持卡人{n}申请卡片挂失", "记录人：{n}",
    "{n}和{m}一起来办理业务", "值班医生{n}查房后建议出院", "司机{n}已到达小区门口", "学生{n}的家长来电询问成绩",
    "申请人{n}，联系电话{mob}。", "请联系{n}（{mob}）", "我是{n}，想咨询一下退货", "{n}：您好，您的快递已到",
    "客户{n}来电，称银行卡{mob}被冻结", "{n}女士的身份证号为{id}", "经理{n}同意了客户的申请",
    "{n}反映服务态度差", "工单由{n}创建，{m}审核", "快递员{n}{date}送达", "联系人{n}/{mob}",
    "客户{n}表示将于{date}前还款", "报案人{n}称其手机被盗",
]
PLACES = _words("王府井 张家口 东方明珠 欧阳路 黄山 石家庄 常州 温州 金华 江门 高邮 余姚 宁波 马鞍山 齐齐哈尔 白山 "
          "安阳 邵阳 韶关 吉安 贺州 钟祥 和田 汉中 资兴市 托里县 龙泉驿区 江油市 方城县 向阳区 金凤区 "
          "武汉 长沙 杭州 南京 广州 成都 郑州 合肥 桂林 柳州 黄冈 孝感 岳阳 常德 鹤壁 焦作 曲阜 泰安")
COMPANIES = _words("彩虹科技有限公司 华为技术有限公司 李宁体育用品有限公司 王老吉药业 张小泉刀剪店 周大福珠宝 "
             "金龙鱼粮油 海尔集团 格力电器 万达广场 苏宁易购 国美电器 宋城演艺 文峰大世界 和府捞面 "
             "陈克明食品 马应龙药业 杨国福麻辣烫 黄焖鸡米饭 金拱门餐厅")
BANKS = _words("中国工商银行 中国建设银行 中国农业银行 中国银行 交通银行 招商银行 浦发银行 兴业银行 民生银行 光大银行")
JOBS = _words("经理 工程师 会计 司机 教师 主管 护士 销售 律师 厨师 保安 文员 程序员 设计师 营业员 快递员")
ETHNIC = _words("汉族 回族 满族 壮族 苗族 维吾尔族 土家族 彝族 蒙古族 藏族 朝鲜族 白族")
WORDS = _words("黄金 白天 周末 方法 常见 高兴 文化 孔子 高速 李子 马上 金额 安全 平安 于是 和平 林业 江水 石头 包裹 "
         "关于 向前 程序 钱包 雷雨 龙虾 宋体 方便 常规 高温 白色 黄色 万一 明天 毛巾 杨树 梁山 韩国 司马光砸缸 "
         "钟表 秦朝 汤圆 苏打 田地 孟子 朱红 胡同 罗盘 曹操 温度 康复 沈阳 卢沟桥 金融 邓小平理论 陆地 石油 "
         "贾宝玉 牛奶 乔木 文件 谢谢 施工 任务 姚明 熊猫 曾经 叶子 程度 花生 史料 包括 高手 江湖 海洋")
NEGATIVE_FRAMES = [
    "去{w}逛了一下午", "{w}的情况已经说明", "关于{w}，客户有疑问", "请确认{w}是否正确", "客户对{w}很满意",
    "我们讨论了{w}的问题", "经理说{w}不行", "{w}和服务都不错", "客户来自{w}，电话{mob}", "寄到{w}，运费到付",
]
NEGATIVE_FIXED = [
    "职位：{job}，部门：市场部", "民族：{eth}，籍贯：{place}", "开户行：{bank}，账号尾号1234", "请到{bank}网点办理",
    "{company}于{date}成立", "本次合作方为{company}", "供应商：{company}", "{job}岗位招聘两人",
    "客户是{eth}，需要清真餐", "客户在{place}的{bank}开户", "出差地点：{place}", "{place}天气晴",
]


@dataclass
class Sample:
    """One sentence and its labelled name spans."""

    text: str
    names: list[tuple[int, int]] = field(default_factory=list)


def _fill(template: str, values: dict[str, str], labelled: tuple[str, ...]) -> Sample:
    """The template with its fields filled, and where the labelled fields landed."""
    text, spans, rest = "", [], template
    while "{" in rest:
        before, _, after = rest.partition("{")
        key, _, rest = after.partition("}")
        text += before
        if key in labelled:
            spans.append((len(text), len(text) + len(values[key])))
        text += values[key]
    return Sample(text + rest, spans)


def _others(rng: random.Random) -> dict[str, str]:
    """Values that stand beside names in real logs: an ID, a mobile, a date."""
    return {"id": f"11010519{rng.randint(50, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 2)}{rng.randint(1000, 9999)}",
            "mob": f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}",
            "date": f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日"}


def person_names(seed: int, count: int) -> list[str]:
    """Names from Faker's zh_CN provider; one in six with a compound surname, so 3-4 characters."""
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    names = []
    for _ in range(count):
        given = fake.first_name()
        if rng.random() < 1 / 6:
            names.append(rng.choice(COMPOUND) + given)
        elif rng.random() < 0.35 and len(given) == 1:  # many real names have two given characters
            names.append(fake.last_name() + given + fake.first_name()[-1])
        else:
            names.append(fake.last_name() + given)
    return names


def build(seed: int = 7, positives: int = 400, negatives: int = 360) -> list[Sample]:
    """The labelled set: ``positives`` sentences holding names, ``negatives`` holding none."""
    rng = random.Random(seed)
    names = person_names(seed, positives * 2)
    samples = []
    for k in range(positives):
        values = {"n": names[2 * k], "m": names[2 * k + 1], **_others(rng)}
        samples.append(_fill(POSITIVE[k % len(POSITIVE)], values, ("n", "m")))
    for k in range(negatives):
        values = {"w": rng.choice(WORDS + PLACES + COMPANIES), "job": rng.choice(JOBS), "eth": rng.choice(ETHNIC),
                  "bank": rng.choice(BANKS), "company": rng.choice(COMPANIES), "place": rng.choice(PLACES),
                  **_others(rng)}
        frames = NEGATIVE_FRAMES if k % 3 else NEGATIVE_FIXED
        samples.append(_fill(frames[(k // 3) % len(frames)], values, ()))
    return samples


@dataclass
class Figures:
    """Span counts and the figures made from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.tp / max(1, self.tp + self.fn)

    @property
    def precision(self) -> float:
        return self.tp / max(1, self.tp + self.fp)


def evaluate(samples: list[Sample]) -> Figures:
    """Exact-span recall and precision of PERSON_NAME over the samples, through the free-text path."""
    import pyarrow as pa

    from detectors.classify import shared_recognizers
    from detectors.freetext import find_spans

    texts = [s.text for s in samples]
    found = find_spans(shared_recognizers(), pa.array(texts, type=pa.string()), texts)
    out = Figures()
    for sample, spans in zip(samples, found):
        got = {(start, end) for entity, start, end, _score in spans if entity == NAME}
        want = set(sample.names)
        out.tp += len(got & want)
        for start, end in sorted(want - got):
            out.fn += 1
            out.misses.append(f"{sample.text}  [{sample.text[start:end]}]")
        for start, end in sorted(got - want):
            out.fp += 1
            out.false.append(f"{sample.text}  [{sample.text[start:end]}]")
    return out


def timing(samples: list[Sample], count: int, repeat: int = 3) -> dict[str, float]:
    """Seconds (best of ``repeat``) for the free-text path over ``count`` distinct sentences.

    ``scan``: one column profile (the name cap, NAME_CAP, applies); ``spans``:
    every span of every text, as ``anonymize`` asks (no cap). A numbered suffix
    keeps the sentences distinct; jieba and the analyzer are loaded first.
    """
    import time

    import pyarrow as pa

    from detectors.classify import ColumnProfile, shared_recognizers, warm_up
    from detectors.freetext import find_spans

    warm_up()
    texts = [f"{samples[k % len(samples)].text}#{k}" for k in range(count)]
    column = pa.array(texts, type=pa.string())
    best = {"scan": float("inf"), "spans": float("inf")}
    for _ in range(repeat):
        started = time.perf_counter()
        profile = ColumnProfile("msg")
        profile.update(column)
        profile.result()
        best["scan"] = min(best["scan"], time.perf_counter() - started)
        started = time.perf_counter()
        find_spans(shared_recognizers(), column, texts)
        best["spans"] = min(best["spans"], time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=10, help="misses and false spans to print")
    parser.add_argument("--time", type=int, default=0, metavar="N", help="also time the free-text path on N texts")
    args = parser.parse_args(argv)
    samples = build(args.seed)
    if args.time:
        best = timing(samples, args.time)
        print(f"{args.time} texts: scan profile {best['scan']:.2f}s, all spans (anonymize) {best['spans']:.2f}s")
    figures = evaluate(samples)
    with_names = sum(1 for s in samples if s.names)
    print(f"sentences {len(samples)} (with names {with_names}, without {len(samples) - with_names}); "
          f"name spans {figures.tp + figures.fn}")
    print(f"recall {figures.recall:.3f}  precision {figures.precision:.3f}  (tp {figures.tp}, fp {figures.fp}, "
          f"fn {figures.fn})")
    for label, rows in (("missed", figures.misses), ("false", figures.false)):
        for row in rows[: args.show]:
            print(f"  {label}: {row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
