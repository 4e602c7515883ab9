"""The headless core: tables, store, workflow rules, commands and the change feed.

Nothing in this package may import Textual (tests/test_import_hygiene.py checks it).
"""
