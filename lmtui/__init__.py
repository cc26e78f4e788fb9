"""lmtui: a keyboard-driven terminal course on Learning Mechanics."""

__version__ = "0.5.0"
