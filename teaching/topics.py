"""Topics of the teaching app."""
