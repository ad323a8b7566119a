"""Tests of the local stack's own machinery (devstack/), without the app."""
