"""Default values shared by the library and the command line, in a module that imports nothing.

Why apart: ``piiwarden --help`` prints these defaults, and reading them from
the modules that use them (sampling, the file readers, the Spark engine)
would load pyarrow and detection just to show a help text.
"""

from __future__ import annotations

from enum import Enum

DEFAULT_SAMPLE_ROWS = 10_000  # rows sampled per dataset
DEFAULT_MAX_CELL_BYTES = 8 << 20  # one cell / one line; far above real data, far below a memory bomb
DEFAULT_MASTER = "local[*]"  # Spark master for --engine spark


class Engine(str, Enum):
    """Where ``scan``/``anonymize`` run: this process (``--workers``) or a Spark cluster."""

    local = "local"
    spark = "spark"
