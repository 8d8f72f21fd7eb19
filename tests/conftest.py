"""Shared pytest set-up: markers live in pyproject.toml; nothing else is shared across test folders yet."""
