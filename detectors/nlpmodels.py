"""Which spaCy NER models are installed, answered without importing spaCy.

The free-text path asks this for every batch of text (an NER model changes
which entities it looks for), while most scans never build an NLP pipeline:
importing spaCy (and the analyzer engine) only to learn "no model installed"
would cost about a second per run. A package is "installed" exactly as
spaCy's ``util.is_package`` decides: a distribution of that name exists.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
from pathlib import Path

LANGUAGES = ("zh", "en")
# Models used when installed as packages (never downloaded), best first.
PREFERRED_MODELS = {
    "en": ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_trf"),
    "zh": ("zh_core_web_lg", "zh_core_web_md", "zh_core_web_sm", "zh_core_web_trf"),
}


def is_package(name: str) -> bool:
    """Whether a distribution of that name is installed (spaCy's ``util.is_package``)."""
    try:
        importlib.metadata.distribution(name)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return True


def installed_model(language: str) -> str | None:
    """The spaCy model to use for a language: an explicit path/package, else the best installed one."""
    explicit = os.environ.get(f"PIIWARDEN_SPACY_MODEL_{language.upper()}")
    if explicit and (Path(explicit).is_dir() or is_package(explicit)):
        return explicit
    return _installed_package(language)


@functools.cache
def _installed_package(language: str) -> str | None:
    """The best model package installed for a language (looked up once: the scan asks per batch of text)."""
    for name in PREFERRED_MODELS.get(language, ()):
        if is_package(name):
            return name
    return None


def ner_languages(languages: tuple[str, ...] = LANGUAGES) -> list[str]:
    """Languages for which a real NER model is installed."""
    return [lang for lang in languages if installed_model(lang)]
