"""The User-Agent parser on real headers of current browsers, tools and crawlers."""

import time

import pytest

from parley.accesslog.useragent import parse_user_agent

CASES = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        ("Firefox", "132", "Windows", "10"),
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        ("Chrome", "131", "Windows", "10"),
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
        "Edg/131.0.2903.51",
        ("Edge", "131", "Windows", "10"),
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
        ("Safari", "17", "macOS", "10.15"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.6 Mobile/15E148 Safari/604.1",
        ("Safari", "17", "iOS", "17"),
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 "
        "Mobile/15E148 Safari/604.1",
        ("Chrome", "120", "iPadOS", "16"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 "
        "Chrome/121.0.0.0 Mobile Safari/537.36",
        ("Samsung Internet", "25", "Android", "14"),
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0",
        ("Opera", "115", "Linux", ""),
    ),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        ("Chrome", "130", "ChromeOS", ""),
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
        ("Chrome Headless", "156", "Linux", ""),
    ),
    ("Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko", ("Internet Explorer", "11", "Windows", "7")),
    ("curl/8.5.0", ("curl", "8", "Other", "")),
    ("python-httpx/0.28.1", ("python-httpx", "0", "Other", "")),
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ("Googlebot", "2", "Other", ""),
    ),
    ("Mozilla/5.0 (compatible; SomeNewCrawlerBot; +https://example.test/bot)", ("Bot", "", "Other", "")),
    ("", ("Other", "", "Other", "")),
    ("\x00\xff garbage", ("Other", "", "Other", "")),
]


@pytest.mark.parametrize(("header", "expected"), CASES)
def test_it_names_browser_major_version_and_os(header, expected):
    agent = parse_user_agent(header)
    assert (agent.browser, agent.browser_version, agent.os, agent.os_version) == expected


def test_none_is_other():
    assert parse_user_agent(None).browser == "Other"


def test_a_huge_hostile_header_is_parsed_quickly():
    header = "Mozilla/5.0 (" + "Trident/7.0 rv:" * 20_000 + "x"
    started = time.perf_counter()
    parse_user_agent(header)
    assert time.perf_counter() - started < 0.05
