"""The one base class for a refusal a person may read."""

from __future__ import annotations


class ServiceError(ValueError):
    """A rule said no. ``str(error)`` is written for the person who asked (translated, no internals),
    so views and the API may show it as it is; anything else that escapes a service is a bug."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        # The form field or file column the message is about, "" for the whole request.
        self.field = field

    def __str__(self) -> str:
        return self.message
