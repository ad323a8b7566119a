"""``python -m bank_research_cli``: the same as the ``bank-research`` console script."""

from bank_research_cli.cli import entry_point

entry_point()
