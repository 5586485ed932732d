"""XLSX: the source workbook re-saved with only the sensitive cells changed.

The workbook is loaded in full (formats, formulas, other sheets, column
widths all kept), each sheet's transformed columns are written over the same
cells, dropped columns are deleted, and the result is saved under a temporary
name. Row ``i`` of a sheet dataset is the ``i``-th row under the header, as
the connector reads it (from column A, interior empty rows included).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from scanner.connectors.base import Dataset
from scanner.writers.base import FileWriter, Transform, WriterError


class XlsxWriter(FileWriter):
    """One output workbook for all the sheet datasets of one source workbook."""

    def __init__(self, final: Path, source: Path) -> None:
        super().__init__(final, source)
        try:
            self.wb = load_workbook(source)
        except Exception as exc:  # noqa: BLE001 - any reader failure is one line
            raise WriterError(f"cannot open workbook for copying: {type(exc).__name__}") from None

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:
        """Overwrite the changed cells of one sheet; dropped columns are deleted at the end."""
        ws = self.wb[ds.meta["sheet"]]
        header_row = next(
            (i for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
             if any(v is not None and v != "" for v in row)), None)
        rows = 0
        dropped: set[str] = set()
        names: list[str] = []
        for batch in ds.batches():
            out = transform(batch)
            names = out.batch.schema.names
            dropped |= out.dropped
            if header_row is None:
                continue
            for name, array in out.changed.items():
                col = names.index(name) + 1
                old = out.batch.column(name).to_pylist()
                for j, value in enumerate(array.to_pylist()):
                    if value != old[j]:
                        ws.cell(row=header_row + 1 + rows + j, column=col).value = value
            rows += out.batch.num_rows
        for col in sorted((names.index(n) + 1 for n in dropped), reverse=True):
            ws.delete_cols(col)
        return rows

    def commit(self) -> None:
        """Save the workbook under the temporary name, then rename it into place."""
        self.wb.save(self.tmp)
        super().commit()
