"""The PIPL lifecycle (issue 19): distinct-subject estimates, subject identifiers and their keyed index,
the PI inventory, and destruction records with their retention periods.

Library building blocks only; the commands (``purge``, ``subject``, ``inventory``) call them.
"""
