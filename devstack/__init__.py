"""Tools for running and testing the app on one machine (never packaged into a Lambda)."""
