"""Background jobs: the record, its rules, its store, the worker protocol."""
