"""Pure, vectorised settlement rules: no randomness, no I/O, no mutation."""
