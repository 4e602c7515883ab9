"""``python -m prodboard``: the same entry point as the ``prodboard`` console script."""

from prodboard.cli import main

if __name__ == "__main__":
    main()
