"""Local fake Bot API servers used by the tests (and usable standalone)."""
