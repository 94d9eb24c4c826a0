"""QR codes as SVG (share links, posters, activation sheets), cached by content."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

QR_CACHE_SECONDS = 24 * 3600


def qr_svg(text: str, *, cache_result: bool = True) -> str:
    import qrcode
    import qrcode.image.svg

    key = f"core:qr:{hashlib.sha256(text.encode()).hexdigest()}"
    svg = cache.get(key) if cache_result else None
    if svg is None:
        image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
        svg = image.to_string(encoding="unicode")
        if cache_result:
            cache.set(key, svg, QR_CACHE_SECONDS)
    return svg
