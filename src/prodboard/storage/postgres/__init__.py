"""The PostgreSQL backend: one board per schema on a shared server (engine, schema,
LISTEN/NOTIFY wake-up). Only this package imports psycopg."""
