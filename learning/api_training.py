"""Training compliance API (see config/urls.py)."""

api_patterns: list = []
