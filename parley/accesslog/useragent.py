"""A small User-Agent parser: browser family and major version, operating system and its version.

Why our own: the access log needs only "Firefox 132 on Windows 10", not a device database; ua-parser and
user-agents pull in a regex corpus of several hundred kB and are not in the environment. The rules below are
checked in order, because browsers name each other (Edge says "Chrome" and "Safari", Chrome on iOS says "Safari").
Only the major version is kept: the minor and build numbers add nothing to "which browsers do we have to support"
and make a visitor easier to single out.

The input is cut to MAX_LENGTH characters first and every pattern is linear (no nested quantifiers), so a
hostile header costs microseconds.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_LENGTH = 512


@dataclass(frozen=True)
class UserAgent:
    browser: str
    browser_version: str
    os: str
    os_version: str


# (family, pattern whose first group is the version); the first match wins.
_BROWSERS: list[tuple[str, re.Pattern[str]]] = [
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"\b(?:OPR|OPT|Opera)/(\d+)")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/(\d+)")),
    ("Yandex Browser", re.compile(r"\bYaBrowser/(\d+)")),
    ("Vivaldi", re.compile(r"\bVivaldi/(\d+)")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome Headless", re.compile(r"\bHeadlessChrome/(\d+)")),
    ("Chromium", re.compile(r"\bChromium/(\d+)")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"\bVersion/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/")),
    ("Internet Explorer", re.compile(r"\bMSIE (\d+)")),
    ("Internet Explorer", re.compile(r"\bTrident/\d+.*?\brv:(\d+)")),
]
# Programs and crawlers, named by the token they send (curl/8.5.0 -> "curl 8").
_TOOLS = re.compile(
    r"\b(curl|Wget|python-requests|python-httpx|aiohttp|Go-http-client|okhttp|Java|node-fetch|axios|"
    r"HTTPie|PostmanRuntime|Googlebot|bingbot|DuckDuckBot|Applebot|YandexBot|Baiduspider)/(\d+)",
    re.IGNORECASE,
)
_BOT = re.compile(r"bot\b|crawler|spider|slurp", re.IGNORECASE)

_WINDOWS = {"10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista", "5.1": "XP"}


def _os(ua: str) -> tuple[str, str]:
    if match := re.search(r"\b(iPhone|iPad|iPod)\b[^)]*?\bOS (\d+)", ua):
        return ("iPadOS" if match.group(1) == "iPad" else "iOS"), match.group(2)
    if match := re.search(r"\bAndroid (\d+)", ua):
        return "Android", match.group(1)
    if "Android" in ua:
        return "Android", ""
    if match := re.search(r"\bWindows NT (\d+\.\d+)", ua):
        return "Windows", _WINDOWS.get(match.group(1), "")
    if "Windows" in ua:
        return "Windows", ""
    if "CrOS" in ua:
        return "ChromeOS", ""
    if match := re.search(r"\bMac OS X (\d+)[_.](\d+)", ua):
        major, minor = match.groups()
        return "macOS", f"{major}.{minor}" if major == "10" else major
    if "Macintosh" in ua:
        return "macOS", ""
    if "Linux" in ua or "X11" in ua:
        return "Linux", ""
    if "FreeBSD" in ua or "OpenBSD" in ua:
        return "BSD", ""
    return "Other", ""


def _browser(ua: str) -> tuple[str, str]:
    if match := _TOOLS.search(ua):
        return match.group(1), match.group(2)
    if _BOT.search(ua):
        return "Bot", ""
    for family, pattern in _BROWSERS:
        if match := pattern.search(ua):
            return family, match.group(1)
    return "Other", ""


def parse_user_agent(header: str | None) -> UserAgent:
    """Browser family, major version and operating system of a User-Agent header ("Other" where unknown)."""
    return _parse((header or "")[:MAX_LENGTH])


@lru_cache(maxsize=512)  # a site sees few distinct headers: a hit costs well under a microsecond, a miss ~20 µs
def _parse(ua: str) -> UserAgent:
    if not ua.strip():
        return UserAgent("Other", "", "Other", "")
    browser, browser_version = _browser(ua)
    os_name, os_version = _os(ua)
    return UserAgent(browser, browser_version, os_name, os_version)
