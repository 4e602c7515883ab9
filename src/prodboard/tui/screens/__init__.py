"""The app's screens and modal forms."""
