"""An offline Presidio AnalyzerEngine with piiwarden's recognizers for zh and en.

Presidio's stock spaCy engine downloads a model it cannot find; scans run on
air-gapped machines, so here a model is used only when installed as a package
(or named by path in PIIWARDEN_SPACY_MODEL_EN / _ZH), otherwise a blank
pipeline (tokenizer only). With a model, Presidio's SpacyRecognizer adds NER
names and places in free text; without one the rule-based recognizers do the
work. Presidio's predefined recognizers are not loaded: its e-mail recognizer
needs tldextract's suffix list, which it would fetch from the network.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import spacy
import spacy.language
from presidio_analyzer import (
    AnalyzerEngine,
    BatchAnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from spacy.tokens import Doc
from spacy.vocab import Vocab

from detectors.entities import registry as entity_registry
from detectors.nlpmodels import LANGUAGES, installed_model, ner_languages

# spaCy NER labels -> piiwarden entities (names; places are scored low, see NER_PLACE_SCORE).
_PERSON = entity_registry.role_entity(lambda spec: spec.person_name)
_PLACE = entity_registry.role_entity(lambda spec: spec.postal_address)
NER_LABELS = {"PERSON": _PERSON, "PER": _PERSON, "FAC": _PLACE, "LOC": _PLACE, "GPE": _PLACE}

log = logging.getLogger(__name__)


# Blank pipelines per language. spaCy's blank "zh" cuts every Han character into a token
# (dozens per message) that no rule-based recognizer reads; the multi-language tokenizer keeps a
# run of Han text as one token, which makes Presidio's per-text NLP step several times cheaper.
BLANK_PIPELINE = {"zh": "xx"}


class PassThroughContextEnhancer(ContextAwareEnhancer):
    """Leaves scores as the recognizers set them.

    piiwarden's recognizers validate spans themselves and its classifier
    checks context words over the whole value (``has_context``); Presidio's
    lemma-window enhancer would only deep-copy every result to do less.
    """

    def __init__(self) -> None:
        super().__init__(context_similarity_factor=0.0, min_score_with_context_similarity=0.0,
                         context_prefix_count=0, context_suffix_count=0)

    def enhance_using_context(self, text: str, raw_results: list[RecognizerResult], nlp_artifacts: NlpArtifacts,
                              recognizers: list[EntityRecognizer],
                              context: list[str] | None = None) -> list[RecognizerResult]:
        """Return the results unchanged."""
        return raw_results


class Pipelines(Mapping[str, spacy.language.Language]):
    """Each language's spaCy pipeline, a blank one built on first use only.

    Presidio reads ``nlp_engine.nlp`` as a mapping (its languages, a
    language's pipeline for stop-word checks); piiwarden's own blank-language
    path never asks for the pipeline, so a scan without an installed model
    builds none.
    """

    def __init__(self, loaded: dict[str, spacy.language.Language], blank: dict[str, str],
                 order: list[str]) -> None:
        self._loaded = dict(loaded)
        self._blank = dict(blank)  # language -> spaCy language code of its blank pipeline
        self._order = order  # the engine's languages, in its configuration's order

    def __getitem__(self, language: str) -> spacy.language.Language:
        if language not in self._loaded and language in self._blank:
            self._loaded[language] = spacy.blank(self._blank[language])
        return self._loaded[language]

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)


class OfflineSpacyNlpEngine(SpacyNlpEngine):
    """SpacyNlpEngine that loads installed models or blank pipelines, never downloads.

    For a language with only a blank pipeline nothing downstream reads tokens
    (every recognizer then is self-contained: patterns, validators, jieba),
    so texts are not tokenized at all: each gets empty artifacts from the
    blank pipeline. Tokenizing would cost more than the recognizers and grow
    spaCy's vocabulary with every distinct message of a long scan.
    """

    # Presidio's unannotated __init__ sets ``self.nlp = None`` (mypy infers the type None); load() fills it.
    nlp: Mapping[str, spacy.language.Language]  # type: ignore[assignment]  # Presidio typing gap, see above

    def load(self) -> None:
        """Load each language's installed model (or model directory); blank pipelines only on demand."""
        loaded: dict[str, spacy.language.Language] = {}
        blank: dict[str, str] = {}
        for model in self.models:
            lang, name = model["lang_code"], model["model_name"]
            if name != "blank" and (spacy.util.is_package(name) or Path(name).is_dir()):
                loaded[lang] = spacy.load(name)
            else:
                blank[lang] = BLANK_PIPELINE.get(lang, lang)
        self.nlp = Pipelines(loaded, blank, [model["lang_code"] for model in self.models])
        self.blank_languages: set[str] = set(blank)
        self._no_tokens = Doc(Vocab())

    def _empty_artifacts(self, language: str) -> NlpArtifacts:
        """Artifacts without tokens: blank languages are never tokenized (see the class docstring).

        One empty document serves every text; it needs no pipeline, so a scan
        whose recognizers read no token never builds spaCy's blank language
        (its tokenizer tables cost a few hundred milliseconds at start-up).
        """
        return NlpArtifacts(entities=[], tokens=self._no_tokens, tokens_indices=[], lemmas=[],
                            nlp_engine=self, language=language)

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Model languages: spaCy's pipeline; blank ones: empty artifacts."""
        if language in self.blank_languages:
            return self._empty_artifacts(language)
        return super().process_text(text, language)

    # SpacyNlpEngine.process_batch's own signature (as_tuples, 3-tuples), which departs from its base
    # NlpEngine's: a typing gap in Presidio that this override inherits, not one it adds.
    def process_batch(  # type: ignore[override]
        self, texts: list[str] | list[tuple[str, object]], language: str, batch_size: int = 1, n_process: int = 1,
        as_tuples: bool = False,
    ) -> Iterator[tuple[Any, NlpArtifacts, Any] | tuple[Any, NlpArtifacts]]:
        """Model languages: spaCy's pipe; blank ones: empty artifacts for each text."""
        if language not in self.blank_languages:
            yield from super().process_batch(texts, language, batch_size, n_process, as_tuples)
            return
        artifacts = self._empty_artifacts(language)
        for item in texts:
            if as_tuples:
                text, context = cast(tuple[str, object], item)  # as_tuples: the caller passes pairs
                yield str(text), artifacts, context
            else:
                yield str(item), artifacts


def build_nlp_engine(languages: tuple[str, ...] = LANGUAGES) -> OfflineSpacyNlpEngine:
    """NLP engine over installed models, blank pipelines otherwise."""
    models = [{"lang_code": lang, "model_name": installed_model(lang) or "blank"} for lang in languages]
    config = NerModelConfiguration(model_to_presidio_entity_mapping=dict(NER_LABELS),
                                   labels_to_ignore=["CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "DATE",
                                                     "TIME", "NORP", "ORG", "PRODUCT", "EVENT", "WORK_OF_ART",
                                                     "LAW", "LANGUAGE"])
    engine = OfflineSpacyNlpEngine(models=models, ner_model_configuration=config)
    engine.load()
    return engine


@functools.lru_cache(maxsize=1)
def get_analyzer() -> AnalyzerEngine:
    """The process-wide analyzer (built once: recognizers and pipelines are costly)."""
    registry = RecognizerRegistry(supported_languages=list(LANGUAGES))
    for lang in LANGUAGES:
        for recognizer in entity_registry.recognizers_for(lang):
            registry.add_recognizer(recognizer)
    for lang in ner_languages():
        registry.add_recognizer(
            SpacyRecognizer(supported_language=lang, supported_entities=[_PERSON, _PLACE])
        )
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=build_nlp_engine(),
        supported_languages=list(LANGUAGES),
        context_aware_enhancer=PassThroughContextEnhancer(),
    )


@functools.lru_cache(maxsize=1)
def get_batch_analyzer() -> BatchAnalyzerEngine:
    """Presidio's batch API over the offline analyzer."""
    return BatchAnalyzerEngine(analyzer_engine=get_analyzer())


# A registered (custom) entity brings recognizers the analyzers must hold: build them again on next use.
entity_registry.on_change(get_analyzer.cache_clear)
entity_registry.on_change(get_batch_analyzer.cache_clear)
