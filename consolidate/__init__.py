"""consolidate: send the form, check the returns, add them up — for a district education office."""

__version__ = "0.1.0"
