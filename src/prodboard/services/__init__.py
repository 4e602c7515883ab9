"""Commands, the change feed, alerts and timed checks: the board's behaviour."""
