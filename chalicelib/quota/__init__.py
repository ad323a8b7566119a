"""The model quota shared by every worker: a token bucket in the Jobs table."""
