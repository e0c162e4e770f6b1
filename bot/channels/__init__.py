"""Channel adapters: thin translators between a transport and the core (see docs/DESIGN.md)."""
