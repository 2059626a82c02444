"""Post-save receivers that turn notification rows into realtime events."""
