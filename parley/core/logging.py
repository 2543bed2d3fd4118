"""A logging filter that keeps IP addresses, e-mail addresses and tokens out of log lines."""

import logging
import re

_IPV4 = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b")
_IPV6 = re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{0,4}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TOKEN_PATH = re.compile(r"(/(?:invite|reset)/)[^/\s\"']+(?:/[^/\s\"']+)?")


def scrub(text: str) -> str:
    text = _EMAIL.sub("<email>", text)
    text = _TOKEN_PATH.sub(r"\1<token>", text)
    text = _IPV4.sub(r"\1.0", text)
    return _IPV6.sub("<ipv6>", text)


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        # Django attaches the request to error records; its repr can carry cookies and addresses.
        if hasattr(record, "request"):
            record.request = None
        return True
