"""The Textual face of prodboard."""
