"""Points-based settlement simulator: what a hukou (户籍) settlement rule does, to whom, and how fast."""

__version__ = "0.1.0"
