"""An offline Presidio AnalyzerEngine with piiwarden's recognizers for zh and en.

Presidio's stock spaCy engine downloads a model it cannot find; scans run on
air-gapped machines, so here a model is used only when installed as a package,
otherwise a blank pipeline (tokenizer only). Presidio's predefined recognizers
are not loaded: the e-mail one needs tldextract's suffix list, which it would
fetch from the network.
"""

from __future__ import annotations

import functools
import logging

import spacy
from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import SpacyNlpEngine

from detectors.recognizers import recognizers_for

LANGUAGES = ("zh", "en")
# Models used when installed as packages (never downloaded), best first.
PREFERRED_MODELS = {
    "en": ("en_core_web_lg", "en_core_web_md", "en_core_web_sm"),
    "zh": ("zh_core_web_lg", "zh_core_web_md", "zh_core_web_sm"),
}

log = logging.getLogger(__name__)


def installed_model(language: str) -> str | None:
    """The best spaCy model package installed for a language, if any."""
    for name in PREFERRED_MODELS.get(language, ()):
        if spacy.util.is_package(name):
            return name
    return None


class OfflineSpacyNlpEngine(SpacyNlpEngine):
    """SpacyNlpEngine that loads installed models or blank pipelines, never downloads."""

    def load(self) -> None:
        """Load each language's installed model, or spacy.blank(lang)."""
        self.nlp = {}
        for model in self.models:
            lang, name = model["lang_code"], model["model_name"]
            if name != "blank" and spacy.util.is_package(name):
                self.nlp[lang] = spacy.load(name)
            else:
                self.nlp[lang] = spacy.blank(lang)
            log.debug("spaCy pipeline for %s: %s", lang, self.nlp[lang].meta.get("name"))


def build_nlp_engine(languages: tuple[str, ...] = LANGUAGES) -> OfflineSpacyNlpEngine:
    """NLP engine over installed models, blank pipelines otherwise."""
    models = [{"lang_code": lang, "model_name": installed_model(lang) or "blank"} for lang in languages]
    engine = OfflineSpacyNlpEngine(models=models)
    engine.load()
    return engine


@functools.lru_cache(maxsize=1)
def get_analyzer() -> AnalyzerEngine:
    """The process-wide analyzer (built once: recognizers and pipelines are costly)."""
    registry = RecognizerRegistry(supported_languages=list(LANGUAGES))
    for lang in LANGUAGES:
        for recognizer in recognizers_for(lang):
            registry.add_recognizer(recognizer)
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=build_nlp_engine(),
        supported_languages=list(LANGUAGES),
    )


@functools.lru_cache(maxsize=1)
def get_batch_analyzer() -> BatchAnalyzerEngine:
    """Presidio's batch API over the offline analyzer."""
    return BatchAnalyzerEngine(analyzer_engine=get_analyzer())
