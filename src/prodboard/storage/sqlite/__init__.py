"""The SQLite backend: one board per file (engine, schema, wake-up source)."""
