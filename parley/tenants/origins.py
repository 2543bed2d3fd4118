"""Website origins that may embed a tenant's widget: `scheme://host[:port]`, as browsers send them in `Origin`."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

MAX_ORIGINS = 50
MAX_ORIGIN_LENGTH = 300
_DEFAULT_PORTS = {"http": 80, "https": 443}
_host_validator = URLValidator(schemes=["http", "https"])


class OriginError(ValueError):
    """Why a line is not an origin (a sentence for the admin)."""


def normalise_origin(value: str) -> str:
    """`value` as a browser would send it in the Origin header: scheme and host in lower case, the host in
    ASCII (punycode), the default port dropped, no trailing slash. Raises OriginError saying what is wrong."""
    value = value.strip()
    example = "https://www.example.com"
    try:
        parts = urlsplit(value)
    except ValueError:
        raise OriginError(_("this is not a web address, e.g. %(example)s") % {"example": example}) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not value.lower().startswith(f"{scheme}://"):
        raise OriginError(_("an origin starts with https:// or http://, e.g. %(example)s") % {"example": example})
    if "@" in parts.netloc:
        raise OriginError(_("remove the user name and password (the part up to “@”)."))
    if parts.path not in ("", "/"):
        raise OriginError(_("remove the path “%(path)s”: an origin ends after the host name (and port).") % {"path": parts.path})
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise OriginError(_("remove the query (?…) and the fragment (#…): an origin ends after the host name (and port)."))
    host = parts.hostname or ""
    if not host:
        raise OriginError(_("the host name is missing, e.g. %(example)s") % {"example": example})
    if "*" in host:
        raise OriginError(_("wildcards are not allowed; list every website on its own line."))
    try:
        port = parts.port
    except ValueError:
        port = None
        port_ok = False
    else:
        port_ok = port is None or 1 <= port <= 65535
    if not port_ok or (port is None and parts.netloc.rstrip("]").endswith(":")):
        raise OriginError(_("the port must be a number from 1 to 65535."))
    if ":" in host:  # IPv6 literal
        netloc = f"[{host}]"
    else:
        try:
            netloc = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise OriginError(_("“%(host)s” is not a valid host name.") % {"host": host}) from None
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    origin = f"{scheme}://{netloc}"
    try:
        _host_validator(origin)
    except ValidationError:
        raise OriginError(_("“%(host)s” is not a valid host name.") % {"host": host}) from None
    return origin


def clean_origins(text: str) -> str:
    """Validate and normalise the origins an admin typed, one per line: blank lines and duplicates dropped.
    Raises ValidationError naming the first bad line."""
    origins: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        shown = line if len(line) <= 60 else line[:59] + "…"
        try:
            if len(line) > MAX_ORIGIN_LENGTH:
                raise OriginError(_("an origin has at most %(n)s characters.") % {"n": MAX_ORIGIN_LENGTH})
            origin = normalise_origin(line)
        except OriginError as exc:
            raise ValidationError(
                _("Line %(number)s (“%(line)s”): %(error)s") % {"number": number, "line": shown, "error": exc},
                code="invalid_origin",
            ) from None
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise ValidationError(_("At most %(n)s websites, one per line.") % {"n": MAX_ORIGINS}, code="too_many_origins")
    return "\n".join(origins)
