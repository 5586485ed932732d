"""Presidio's analysis of free texts for the NLP entities, without spaCy when no NER model is installed.

Why: Presidio's ``AnalyzerEngine`` runs its NLP engine on every text, and
importing it imports spaCy and Presidio's 240 country recognizers: about
0.9 s per process, paid by any scan that meets one line of prose, although
without an NER model no recognizer reads a token (the blank pipelines give
empty artifacts, ``detectors/engine.py``). In that configuration the
engine's ``analyze`` reduces to: each recognizer of the language that
supports a wanted entity runs ``EntityRecognizer.analyze``, piiwarden's
context enhancer passes results through, the score threshold is 0, and
``EntityRecognizer.remove_duplicates`` merges the results. This module does
exactly that through Presidio's recognizer API. With an NER model installed,
or a recognizer from outside piiwarden (which may read tokens), the texts go
through the engine.
``tests/test_textanalysis.py`` holds both paths equal on every text of the
peer corpus.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from presidio_analyzer import EntityRecognizer, RecognizerResult

from detectors.entities import registry
from detectors.nlpmodels import ner_languages
from detectors.recognizers import PiiRecognizer, TextRecognizer

BATCH_SIZE = 64  # texts per spaCy batch on the engine path


def analyze_batch(texts: list[str], language: str, entities: list[str]) -> Iterator[list[RecognizerResult]]:
    """Each text's spans of ``entities`` (one list per text, in order), as Presidio's analyzer finds them."""
    if ner_languages() or not all(isinstance(r, PiiRecognizer | TextRecognizer) for r in _chosen(language, entities)):
        # spaCy: a model, or an outside recognizer, reads tokens
        from detectors.engine import get_batch_analyzer

        yield from get_batch_analyzer().analyze_iterator(texts, language=language, entities=entities,
                                                         batch_size=BATCH_SIZE)
        return
    yield from analyze_without_nlp(texts, language, entities)


def analyze_without_nlp(texts: list[str], language: str, entities: list[str]) -> Iterator[list[RecognizerResult]]:
    """``AnalyzerEngine.analyze`` of piiwarden's own recognizers, which read no NLP artifacts (None given)."""
    chosen = [r for r in _chosen(language, entities) if isinstance(r, PiiRecognizer | TextRecognizer)]
    for text in texts:
        results: list[RecognizerResult] = []
        for recognizer in chosen:
            results.extend(recognizer.analyze(text, entities, None) or [])
        yield EntityRecognizer.remove_duplicates(results)


def _chosen(language: str, entities: list[str]) -> list[EntityRecognizer]:
    """The recognizers the analyzer would run for these entities in this language."""
    return [r for r in _recognizers(language) if any(e in r.supported_entities for e in entities)]


@functools.cache
def _recognizers(language: str) -> list[EntityRecognizer]:
    """The recognizers the analyzer's registry holds for a language (built once per language)."""
    return registry.recognizers_for(language)


registry.on_change(_recognizers.cache_clear)  # a custom entity brings recognizers of its own
