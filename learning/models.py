"""Models arrive with this app's issue; see docs/architecture.md."""
