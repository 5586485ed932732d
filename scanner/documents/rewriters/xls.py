"""Legacy .xls cannot be written back (no .xls writer exists); refused inside containers.

At the top level the anonymize format writes the sheets as ``.xlsx`` beside the name with a note;
inside an archive that would change a member name, which rebuilt archives must not do.
"""

from __future__ import annotations

from scanner.documents.rewriter import Rewriter, refuse

REWRITER = Rewriter("xls", (".xls",), refuse("cannot rewrite .xls in place (no .xls writer)"))
