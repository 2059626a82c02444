"""Receivers of the teaching app."""
