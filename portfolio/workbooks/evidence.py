"""Evidence files: checked on the way in, served only to people who may read the pilot."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

# Extension -> the content type we serve it as. Anything else is refused: executable or
# active content (HTML, SVG, scripts) could run in a reader's browser.
ALLOWED_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".json": "application/json",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
# The first bytes a real file of these types starts with; an HTML page renamed to .pdf fails.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
}


def max_bytes() -> int:
    return int(settings.PILOTGATE_UPLOAD_MAX_BYTES)


def check_upload(upload: UploadedFile, field: str = "evidence_upload") -> tuple[str, str]:
    """(clean file name, content type) or ValidationError naming `field`."""
    name = PurePath(upload.name or "").name[:200]
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_TYPES:
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise ValidationError(
            {field: f"Files of type “{suffix or 'none'}” are not accepted; use one of {allowed}."}
        )
    if upload.size is None or upload.size > max_bytes():
        limit = max_bytes() / (1024 * 1024)
        raise ValidationError({field: f"The file is larger than the {limit:g} MB limit."})
    if upload.size == 0:
        raise ValidationError({field: "The file is empty."})
    if suffix in _MAGIC:
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not any(head.startswith(magic) for magic in _MAGIC[suffix]):
            raise ValidationError({field: f"The file's content is not a real {suffix} file."})
    return name, ALLOWED_TYPES[suffix]
