"""Pure rules and values: no SQL, no I/O, no Textual."""
