"""The access log is a file store, not a model, so it has no registry declaration of its own; this describes it
for the register of processing activities (P13, P30) and the privacy notice (P31)."""

from django.utils.translation import gettext_noop

from parley.privacy.registry import LEGITIMATE_INTEREST

ACCESS_LOG = {
    "store": "Access log files: PARLEY_ACCESS_LOG_DIR/access-YYYY-MM-DD.log (JSON lines), separate from the database",
    "category": gettext_noop("access log"),
    "fields": [
        "date and time",
        "request method and path (no query string; link tokens replaced)",
        "status and duration",
        "browser family and major version",
        "operating system",
        "referrer origin (scheme and host only)",
        "client IP address shortened before writing: IPv4 to /24, IPv6 to /48 (P18)",
    ],
    "purpose": gettext_noop("Operating and securing the service: finding errors, abuse and attacks"),
    "legal_basis": LEGITIMATE_INTEREST,
    # The register shows this text; the privacy notice shows a translated line with the configured number of days
    # instead (parley.privacy.notice._access_log_retention).
    "retention": "PARLEY_ACCESS_LOG_DAYS days (default 14); whole day files are deleted by the hourly housekeeping",
}
