"""Podcasts: a host and chosen experts discuss a bank's latest report, in their own voices."""
