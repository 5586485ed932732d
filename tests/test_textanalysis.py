"""detectors/textanalysis: without an NER model, the recognizers called directly find what Presidio's engine finds.

The direct path exists only to skip spaCy's import; it must not change a
single span. Every text of the peer corpus (Presidio's and scrubadub's cases,
the issue examples, the Chinese cases) and a few longer messages are
analyzed both ways for the NLP entities the scan sends to Presidio, and the
results must be equal, score and order included.
"""

from __future__ import annotations

import pytest

from bench.peer_cases.cases import all_cases
from detectors.engine import get_analyzer
from detectors.freetext import language_of, presidio_entities
from detectors.nlpmodels import ner_languages
from detectors.textanalysis import analyze_without_nlp

MESSAGES = [
    "客户李四来电，要求把收货人改成王小明，电话13812345678",
    "张三和欧阳娜娜一起去了北京市朝阳区建国路88号",
    "Yesterday John Smith and Mr. Mayers met Jane O'Neil at 12 Baker Street, London NW1 6XE.",
    "联系人：赵敏 Contact: Emily Clarke, 转交 司马光",
    "请王芳于周五前到前台领取快递，如有问题联系刘洋",
    "患者陈静，主治医生黄伟，家属签字：陈建国",
    "Dear Michael Johnson, your parcel for Sarah Williams is ready.",
    "收件人 诸葛亮 寄件人 上官婉儿",
    "",
]


def _spans(results):
    return [(r.entity_type, r.start, r.end, round(r.score, 6)) for r in results]


@pytest.mark.skipif(bool(ner_languages()), reason="an NER model is installed: the engine path is the only path")
def test_direct_path_equals_presidio_engine_on_every_peer_text():
    texts = [case.text for case in all_cases()] + MESSAGES
    entities = sorted(presidio_entities())
    analyzer = get_analyzer()
    differing, found = [], 0
    for text in texts:
        language = language_of(text)
        direct = _spans(next(analyze_without_nlp([text], language, entities)))
        engine = _spans(analyzer.analyze(text, language=language, entities=entities))
        if direct != engine:
            differing.append((text[:60], direct, engine))
        found += bool(engine)
    assert not differing, differing[:5]
    assert len(texts) > 250 and found >= 20  # the equality is about real spans, not empty lists
