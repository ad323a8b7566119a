"""Batches: one kind of work for many banks, fanned out on a queue (docs/BATCHES.md)."""
