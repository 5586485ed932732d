"""Desensitized copies of datasets: rules, operators, transformation and verification.

``piiwarden anonymize`` scans each dataset with the same detectors as
``piiwarden scan``, decides a rule per sensitive column (rules YAML, else the
default masks), transforms the full stream column-wise, and hands the result
to a writer that mirrors the input's format (``scanner.writers``).
"""
