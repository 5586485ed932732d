"""detectors/presidio_core: Presidio's recognizer classes first, the whole package on first need.

Each case runs in a fresh interpreter, since the point is what a process
has loaded and which class objects it ends up with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def _run(code: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_recognizers_import_without_spacy_and_complete_to_the_same_classes():
    report = _run("""
import json, sys
from detectors.entities import registry
from detectors import presidio_core
classes = registry.recognizer_classes()
before = {"spacy": "spacy" in sys.modules, "partial": presidio_core.is_partial()}
import presidio_analyzer
from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerResult
from presidio_analyzer.pattern_recognizer import PatternRecognizer as Direct
same = PatternRecognizer is Direct and all(issubclass(c, presidio_analyzer.EntityRecognizer) for c in classes)
print(json.dumps({**before, "after_partial": presidio_core.is_partial(), "same": same,
                  "engine": AnalyzerEngine.__module__, "all": sorted(presidio_analyzer.__all__)[:3]}))
""")
    assert report["spacy"] is False and report["partial"] is True
    assert report["after_partial"] is False and report["same"] is True
    assert report["engine"] == "presidio_analyzer.analyzer_engine"
    assert report["all"] == ["AnalysisExplanation", "AnalyzerEngine", "AnalyzerEngineProvider"]


def test_analyzer_engine_runs_the_recognizers_loaded_before_completion():
    report = _run("""
import json
from detectors.entities import registry
registry.recognizer_classes()
from detectors.engine import get_analyzer
text = "客户身份证号11010519491231002X，手机13812345678"
found = sorted((r.entity_type, text[r.start:r.end]) for r in get_analyzer().analyze(text, language="zh"))
print(json.dumps(found))
""")
    assert ["CN_RESIDENT_ID", "11010519491231002X"] in report
    assert ["CN_MOBILE_PHONE", "13812345678"] in report


def test_an_earlier_plain_import_is_left_alone():
    report = _run("""
import json, sys
import presidio_analyzer
import detectors
from detectors import presidio_core
print(json.dumps({"partial": presidio_core.is_partial(), "engine": hasattr(presidio_analyzer, "AnalyzerEngine")}))
""")
    assert report == {"partial": False, "engine": True}


def test_unknown_dunder_probe_does_not_complete_the_package():
    report = _run("""
import json
import detectors
import presidio_analyzer
from detectors import presidio_core
probe = hasattr(presidio_analyzer, "__wrapped__")
print(json.dumps({"probe": probe, "partial": presidio_core.is_partial()}))
""")
    assert report == {"probe": False, "partial": True}


def test_star_import_gets_the_whole_package():
    report = _run("""
import json
import detectors
namespace = {}
exec("from presidio_analyzer import *", namespace)
print(json.dumps(sorted(n for n in ("AnalyzerEngine", "PatternRecognizer", "BatchAnalyzerEngine") if n in namespace)))
""")
    assert report == ["AnalyzerEngine", "BatchAnalyzerEngine", "PatternRecognizer"]
