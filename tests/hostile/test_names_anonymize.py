"""Issue 14 item 9: person names in a JSONL log's free text are all rewritten by ``anonymize``.

300 customer-service messages (客户王洋来电…, 李强先生于…投诉, 联系人：王丽静，电话…,
经办人张伟、审核人刘芳) with IDs and mobiles beside the names; after
``anonymize`` no message may still hold one of its original names, and the
IDs and mobiles go as before.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from bench.names_eval import person_names
from tests.hostile.harness import assert_no_raw, assert_no_traceback, run_cli

TEMPLATES = [
    "客户{n}来电咨询账单，手机{mob}", "{n}先生于3月2日投诉，身份证{id}", "联系人：{n}，电话{mob}",
    "经办人{n}、审核人{m}，回访电话{mob}", "{n}女士表示已收到退款", "患者{n}，男，45岁，联系电话{mob}",
    "今天上午{n}致电客服要求补发发票", "收件人{n} {mob} 请尽快派送", "据{n}称，银行卡{card}被冻结",
    "{n}和{m}一起来营业厅办理业务", "业主{n}反映电梯故障，身份证{id}", "工单由{n}创建，{m}审核",
]
IDS = ["44030419900307123X", "310115200108150641", "510107200511300053"]
CARD = "6222020200112233446"  # Luhn-valid


def write_log(path: Path, rows: int = 300, seed: int = 14) -> list[list[str]]:
    """A JSONL log of ``rows`` messages; returns the names each message holds."""
    rng = random.Random(seed)
    names = person_names(seed, 2 * rows)
    held = []
    with path.open("w", encoding="utf-8") as fh:
        for k in range(rows):
            n, m = names[2 * k], names[2 * k + 1]
            template = TEMPLATES[k % len(TEMPLATES)]
            msg = template.format(n=n, m=m, mob=f"13{rng.randint(5, 9)}{rng.randint(10**7, 10**8 - 1)}",
                                  id=IDS[k % len(IDS)], card=CARD)
            held.append([x for x, key in ((n, "{n}"), (m, "{m}")) if key in template])
            fh.write(json.dumps({"seq": k, "channel": "phone", "msg": msg}, ensure_ascii=False) + "\n")
    return held


def test_no_name_survives_anonymize(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    held = write_log(src / "calls.jsonl")
    run = run_cli(["anonymize", src, "-o", out])
    assert run.code == 0, run.console[-2000:]
    assert_no_traceback(run)
    rows = [json.loads(line) for line in (out / "calls.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["seq"] for r in rows] == list(range(len(held)))  # nothing dropped or reordered
    survivors = [name for row, names in zip(rows, held) for name in names if name in row["msg"]]
    total = sum(len(names) for names in held)
    assert not survivors, f"{len(survivors)} of {total} names left unchanged"
    assert_no_raw([*IDS, CARD], run=run, roots=[out])
