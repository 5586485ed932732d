"""detectors/jiebadict: jieba's own cache read in one piece gives jieba's own dictionary."""

from __future__ import annotations

import marshal

import jieba
import pytest

from detectors import jiebadict


@pytest.fixture
def fresh(tmp_path):
    """A tokenizer of the default dictionary whose cache lives in tmp_path."""
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(tmp_path)
    return tokenizer


def test_first_use_builds_with_jieba_then_reads_the_same_cache(fresh, tmp_path):
    jiebadict.initialize(fresh)  # no cache yet: jieba builds the dictionary and writes its cache
    assert fresh.initialized and (tmp_path / "jieba.cache").is_file()
    again = jieba.Tokenizer()
    again.tmp_dir = str(tmp_path)
    jiebadict.initialize(again)
    assert again.initialized
    assert again.total == fresh.total and again.FREQ == fresh.FREQ
    assert list(again.cut("客户李四来电要求退款")) == list(fresh.cut("客户李四来电要求退款"))


def test_a_broken_cache_falls_back_to_jieba(fresh, tmp_path):
    (tmp_path / "jieba.cache").write_bytes(b"not marshal data")
    jiebadict.initialize(fresh)
    assert fresh.initialized and isinstance(fresh.FREQ, dict) and fresh.FREQ.get("北京", 0) > 0
    freq, total = marshal.loads((tmp_path / "jieba.cache").read_bytes())  # jieba rewrote a good one
    assert total == fresh.total and len(freq) == len(fresh.FREQ)


def test_a_custom_dictionary_is_left_to_jieba(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("张三丰 5 nr\n", encoding="utf-8")
    tokenizer = jieba.Tokenizer(str(words))
    tokenizer.tmp_dir = str(tmp_path)
    assert jiebadict.cache_path(tokenizer) is None
    jiebadict.initialize(tokenizer)
    assert tokenizer.initialized and tokenizer.FREQ.get("张三丰") == 5
