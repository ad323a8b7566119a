"""The FFIEC importer: a program of its own that fills the Banks table (never deployed)."""
