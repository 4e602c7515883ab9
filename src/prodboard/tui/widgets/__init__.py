"""The widgets the board is drawn with."""
