"""Encrypted file storage: each file is sealed with AES-256-GCM under its scope's data key, bound to its id.

Files are written before the row commits and removed after the delete commits (on_commit), so a crash leaves at
most an orphan file whose key is already shredded - never a row pointing at nothing readable by mistake.
"""

import io
import os
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from parley.core.exceptions import ApplicationError, NotFound
from parley.crypto import aead
from parley.crypto.services import Scope, data_key_by_id, data_key_for_scope
from parley.files.models import StoredFile

PHOTO_MAX_PIXELS = 512
ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def file_path(stored: StoredFile) -> Path:
    """Where the encrypted blob lives; derived from ids only."""
    return Path(settings.FILES_DIR) / str(stored.tenant_id) / stored.id.hex


def _aad(stored: StoredFile) -> bytes:
    return f"{stored.tenant_id}|file|{stored.id}|{stored.content_type}".encode()


def file_store(*, scope: Scope, data: bytes, content_type: str) -> StoredFile:
    stored = StoredFile(
        tenant_id=scope.tenant_id, scope_type=scope.scope_type, scope_id=scope.scope_id, content_type=content_type, size=len(data)
    )
    key_id, key = data_key_for_scope(scope)
    blob = aead.seal(key_id=key_id, key=key, plaintext=data, aad=_aad(stored))
    path = file_path(stored)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(blob)
    stored.save(force_insert=True)
    return stored


def file_read(*, stored: StoredFile) -> bytes:
    try:
        blob = file_path(stored).read_bytes()
    except FileNotFoundError:
        raise NotFound(_("The file is gone.")) from None
    key = data_key_by_id(aead.key_id_of(blob), tenant_id=stored.tenant_id)
    return aead.unseal(key=key, blob=blob, aad=_aad(stored))


def file_delete(*, stored: StoredFile, category: str = "file", rule: str = "manual") -> None:
    """Delete the row now and the blob after commit, through the durable queue (retried by housekeeping if the
    unlink fails); the erasure ledger records it for `parley restore-check`."""
    from parley.privacy.services import files_erase

    files_erase(files=[(stored.id, stored.tenant_id)], category=category, rule=rule)


@transaction.atomic
def image_replace(
    *, owner: models.Model, field: str, scope: Scope, data: bytes | None, max_bytes: int, max_pixels: int = PHOTO_MAX_PIXELS
) -> None:
    """Point `owner.<field>` at a cleaned, encrypted copy of the image `data` (None clears it); the old file goes
    after commit."""
    old = getattr(owner, field)
    new = None
    if data is not None:
        clean, content_type = image_clean(data=data, max_bytes=max_bytes, max_pixels=max_pixels)
        new = file_store(scope=scope, data=clean, content_type=content_type)
    setattr(owner, field, new)
    owner.save(update_fields=[field, "updated_at"])
    if old is not None:
        file_delete(stored=old)


def image_clean(*, data: bytes, max_bytes: int, max_pixels: int = PHOTO_MAX_PIXELS, keep_png: bool = False) -> tuple[bytes, str]:
    """Re-encode an uploaded image: drops EXIF, GPS, XMP and every other metadata block; bounds its size.
    `keep_png`: lossless sources (PNG, GIF, WebP) stay PNG, so a screenshot of a document stays legible."""
    if len(data) > max_bytes:
        raise ApplicationError(_("The image is too large (at most %(mb)s MB).") % {"mb": max_bytes // (1024 * 1024)})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ALLOWED_IMAGE_FORMATS:
                raise ApplicationError(_("Upload a JPEG, PNG, WebP or GIF image."))
            if probe.width * probe.height > 40_000_000:
                raise ApplicationError(_("The image has too many pixels."))
            probe.load()
            lossless = keep_png and probe.format in ("PNG", "GIF", "WEBP")
            image = probe.convert("RGBA" if probe.mode in ("RGBA", "LA", "P") else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise ApplicationError(_("The file is not an image Parley can read.")) from None
    image.thumbnail((max_pixels, max_pixels))
    # A fresh image object carries pixels only; nothing of the original's info dict is copied.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    if clean.mode == "RGBA" or lossless:
        clean.save(out, format="PNG", optimize=True)
        return out.getvalue(), "image/png"
    clean.save(out, format="JPEG", quality=88)
    return out.getvalue(), "image/jpeg"
