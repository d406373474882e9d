"""Baking: a credential carried inside its badge image, as Open Badges 3.0 says for PNG.

The signed OpenBadgeCredential's JSON goes in one iTXt chunk whose keyword is
`openbadgecredential`, uncompressed, before the image data. Whoever gets the PNG gets the
credential, and a verifier reads it back from the chunk.
"""

from __future__ import annotations

import io
import json
from typing import Any

from PIL import Image, PngImagePlugin

KEYWORD = "openbadgecredential"


def document_text(document: Any) -> str:
    """The document as JSON text, the same bytes as the JSON download."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def bake(png: bytes, document: Any) -> bytes:
    """`png` with the credential in an iTXt chunk (any earlier one replaced)."""
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        info = PngImagePlugin.PngInfo()
        info.add_itxt(KEYWORD, document_text(document), zip=False)
        out = io.BytesIO()
        image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def unbake(png: bytes) -> str | None:
    """The text of the PNG's `openbadgecredential` chunk, or None when it has none."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            image.load()
            text = getattr(image, "text", {}).get(KEYWORD)
    except (OSError, SyntaxError, ValueError):
        return None
    return str(text) if text is not None else None
