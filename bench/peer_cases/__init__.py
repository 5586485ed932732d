"""Labelled free-text cases for bench/peer_suite.py (see cases.py)."""
