"""Persistence: Postgres (asyncpg), the object store and Redis. Imports nothing of Fairview's."""
