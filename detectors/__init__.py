"""Detection: entity recognizers (Presidio), column classification, free-text spans.

Before any detector module runs, Presidio's recognizer classes are made
importable without the rest of its package (spaCy, the analyzer engine,
country recognizers): see ``detectors/presidio_core.py``.
"""

from detectors import presidio_core

presidio_core.install()

__version__ = "0.1.0"
