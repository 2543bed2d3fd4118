"""What a document really is (by its bytes, not its name or the browser's claim) and a copy without metadata.

Images are re-encoded from pixels, PDFs are rewritten without document info, XMP, scripts, actions or embedded
files, Office files get empty document properties; plain text must be UTF-8. Anything else is refused.
"""

import io
import unicodedata
import zipfile
from dataclasses import dataclass

import pikepdf
from django.utils.translation import gettext as _

from parley.core.exceptions import ApplicationError
from parley.files.services import image_clean

DOCUMENT_IMAGE_MAX_PIXELS = 4096

OFFICE_TYPES = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
}


class UnsupportedType(ApplicationError):
    status = 415


@dataclass(frozen=True)
class CleanDocument:
    data: bytes
    content_type: str
    extension: str


def sniff(data: bytes) -> str | None:
    """The type key of `data` by its leading bytes, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    ):
        return "image"
    if data.startswith(b"PK\x03\x04"):
        return "office"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t\f" for ch in text[:4096]):
        return None
    return "text"


def document_clean(*, data: bytes, allowed: list[str]) -> CleanDocument:
    kind = sniff(data)
    if kind is None or kind not in allowed:
        raise UnsupportedType(_("This type of file cannot be sent here."), {"allowed": allowed})
    if kind == "image":
        clean, content_type = image_clean(data=data, max_bytes=len(data), max_pixels=DOCUMENT_IMAGE_MAX_PIXELS, keep_png=True)
        return CleanDocument(clean, content_type, "png" if content_type == "image/png" else "jpg")
    if kind == "pdf":
        return CleanDocument(_pdf_clean(data), "application/pdf", "pdf")
    if kind == "office":
        return _office_clean(data)
    return CleanDocument(data, "text/plain", "txt")


def _pdf_clean(data: bytes) -> bytes:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for key in ("/Metadata", "/OpenAction", "/AA", "/AcroForm"):
                if key in pdf.Root:
                    del pdf.Root[key]
            if "/Names" in pdf.Root:
                for key in ("/JavaScript", "/EmbeddedFiles"):
                    if key in pdf.Root.Names:
                        del pdf.Root.Names[key]
            for page in pdf.pages:
                for key in ("/AA", "/Metadata"):
                    if key in page.obj:
                        del page.obj[key]
            out = io.BytesIO()
            pdf.remove_unreferenced_resources()
            pdf.save(out, fix_metadata_version=False, deterministic_id=True)
            return out.getvalue()
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError, OSError):
        raise UnsupportedType(_("The PDF cannot be read (damaged or password-protected).")) from None


_EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
    b'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/"/>'
)
_EMPTY_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
    b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"/>'
)
_EMPTY_CUSTOM = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
    b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"/>'
)


def _office_clean(data: bytes) -> CleanDocument:
    """Rewrite the package with empty core/app/custom properties (author, company, editing time...)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            names = source.namelist()
            if "[Content_Types].xml" not in names:
                raise UnsupportedType(_("This type of file cannot be sent here."))
            kind = next((OFFICE_TYPES[p] for p in OFFICE_TYPES if any(n.startswith(p) for n in names)), None)
            if kind is None:
                raise UnsupportedType(_("This type of file cannot be sent here."))
            if sum(info.file_size for info in source.infolist()) > 200 * 1024 * 1024:
                raise UnsupportedType(_("The document unpacks to too much data."))
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
                for name in names:
                    if name == "docProps/core.xml":
                        target.writestr(name, _EMPTY_CORE)
                    elif name == "docProps/app.xml":
                        target.writestr(name, _EMPTY_APP)
                    elif name == "docProps/custom.xml":
                        target.writestr(name, _EMPTY_CUSTOM)
                    else:
                        target.writestr(name, source.read(name))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError):
        raise UnsupportedType(_("The document cannot be read.")) from None
    return CleanDocument(out.getvalue(), kind[0], kind[1])


def clean_filename(name: str, extension: str) -> str:
    """A display name: no path, no control characters, the extension of what the file really is."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:120] or "document"
    return f"{stem}.{extension}"
