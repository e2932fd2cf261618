"""Evidence files: checked on the way in, served only to people who may read the pilot,
removed (audited, and deleted from storage) by whoever may edit the workbook holding them."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import ProtectedError
from django.http import Http404

from config.errors import Conflict

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


def evidence_fields(model) -> tuple[str, ...]:
    """Names of the fields of `model` that hold an evidence file."""
    from portfolio.workbooks.models import EvidenceFile

    return tuple(
        f.name
        for f in model._meta.fields
        if getattr(f, "related_model", None) is EvidenceFile and f.name != "pilot"
    )


def _holders():
    """(phase, model, field) for every workbook or list field that can hold a file."""
    from portfolio.workbooks.spec import SPECS

    for phase, spec in SPECS.items():
        for model in (spec.model, *(ls.model for ls in spec.lists)):
            for name in evidence_fields(model):
                yield phase, model, name


def evidence_phase(stored) -> str | None:
    """The workbook whose field or row holds `stored` (None for a file nothing holds)."""
    for phase, model, name in _holders():
        if model.objects.filter(pilot_id=stored.pilot_id, **{name: stored}).exists():
            return phase
    return None


@transaction.atomic
def evidence_remove(*, pilot, file_id: int, by):
    """Remove an evidence file: whoever may edit the workbook that holds it (a file nothing
    holds: whoever may edit the pilot). The rows that pointed at it keep their other
    fields; the file leaves storage once the removal commits. Audited."""
    from accounts import rules
    from accounts.audit import audit_record
    from portfolio.workbooks.models import EvidenceFile
    from portfolio.workbooks.services import _lock

    rules.ensure_visible(by, pilot)
    stored = EvidenceFile.objects.select_related("uploaded_by").filter(pilot=pilot, pk=file_id)
    stored = stored.first()
    if stored is None:
        raise Http404("No such evidence file.")
    phase = evidence_phase(stored)
    rules.ensure(
        rules.can_remove_evidence(by, pilot, phase), by, "remove_evidence", f"evidence:{file_id}"
    )
    if phase is not None:
        pilot = _lock(pilot, by, phase)  # saves of the workbook holding it queue up
    before = {
        "phase": phase or "",
        "name": stored.name,
        "size": stored.size,
        "uploaded_by": stored.uploaded_by.get_username() if stored.uploaded_by else "",
        "uploaded_at": stored.uploaded_at,
    }
    audit_record(
        actor=by,
        action="evidence.remove",
        obj=stored,
        pilot_id=pilot.pk,
        before=before,
        after={},
    )
    storage, path = stored.file.storage, stored.file.name
    try:
        stored.delete()  # the fields that held it are set to empty (on_delete=SET_NULL)
    except ProtectedError as exc:
        raise Conflict("This file is part of a review request; it cannot be removed.") from exc
    transaction.on_commit(lambda: storage.delete(path), robust=True)
    return stored
