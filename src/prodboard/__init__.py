"""prodboard: the production board for content teams, in the terminal."""

__version__ = "0.1.0"
