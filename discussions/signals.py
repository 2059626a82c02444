"""Post-save receivers that turn discussion rows into realtime events."""
