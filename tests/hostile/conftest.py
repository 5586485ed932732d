"""Hostile-input suite settings: bounded fuzzing in CI, more with PIIWARDEN_FUZZ_EXAMPLES."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

FUZZ_EXAMPLES = int(os.environ.get("PIIWARDEN_FUZZ_EXAMPLES", "40"))

settings.register_profile(
    "hostile", max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
