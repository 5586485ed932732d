"""Writers that mirror an input's format for anonymized copies (atomic: temp name, then rename).

``files`` (CSV/TSV, text, Parquet, JSON, JSONL, byte copies), ``xlsx``
(workbooks), ``sql`` (SQLite and DuckDB files, ``--target`` databases).
"""
