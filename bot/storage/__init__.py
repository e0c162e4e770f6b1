"""Storage: SQLModel models and the database engine (SQLite by default, PostgreSQL in production)."""
