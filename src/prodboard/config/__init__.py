"""Reading and checking the team and personal config files."""
