"""Keep the published OpenAPI schema to our own API; Wagtail's admin API is internal."""

from typing import Any


def only_public_api(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
