"""Legacy Excel .xls: each sheet a dataset (``old.xls#Sheet1``); anonymized as ``old.xls.xlsx``."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from scanner.formats._document import DocumentFormat

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset


class XlsFormat(DocumentFormat):
    """Read with xlrd. No maintained library writes .xls, so the anonymized workbook is written as
    .xlsx beside the name (``old.xls.xlsx``, never clashing with a real ``old.xlsx``) with a note
    in anonymization.json; formatting is not carried over."""

    name: ClassVar[str] = "xls"
    suffixes: ClassVar[tuple[str, ...]] = (".xls",)

    def output_name(self, ds: Dataset) -> str:
        from scanner.documents.xls_to_xlsx import xlsx_name

        return xlsx_name(ds.meta.get("document", ds.id))


FORMAT = XlsFormat()
