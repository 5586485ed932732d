"""Type names for the parse trees of Python's regex parser (``re._parser``).

patternfacts.py and batchspans.py read pattern syntax trees to learn what a
pattern can match. The parser ships no type stubs, and a node's argument
changes shape with its opcode: a code point for LITERAL, ``(low, high,
SubPattern)`` for repeats, ``(group, add_flags, del_flags, SubPattern)`` for
groups, ``(None, [SubPattern, ...])`` for BRANCH, a list of nodes for IN. The
readers unpack it per opcode, so it is typed as Any here, once, rather than
silenced at every reader.
"""

from __future__ import annotations

from typing import Any, TypeAlias

# The opcode-dependent argument of a node (see the module docstring).
NodeArg: TypeAlias = Any
# One ``(opcode, argument)`` item of a SubPattern's ``data``.
Node: TypeAlias = tuple[object, NodeArg]
