"""The ``bank-research`` command-line client of the Bank Research HTTP API.

A separate top-level package, never part of the Lambda package: it needs only the
standard library, plus Rich for the live progress bar (``requirements-dev.txt``).
"""
