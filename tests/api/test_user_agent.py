"""The client of a user agent in coarse names: browser family, system and device type."""

from __future__ import annotations

import pytest

from api.user_agent import Client, client
from tests.api.test_reporting import (
    CHROME_ANDROID_PHONE,
    CHROME_ANDROID_TABLET,
    CHROME_WINDOWS,
    FIREFOX_LINUX,
    SAFARI_IPAD,
    SAFARI_IPHONE,
)

EDGE_WINDOWS = CHROME_WINDOWS + " Edg/131.0.0.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/18.1 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (CHROME_WINDOWS, Client("Chrome", "Windows", "desktop")),
        (EDGE_WINDOWS, Client("Edge", "Windows", "desktop")),
        (FIREFOX_LINUX, Client("Firefox", "Linux", "desktop")),
        (SAFARI_MAC, Client("Safari", "Mac OS X", "desktop")),
        (SAFARI_IPHONE, Client("Mobile Safari", "iOS", "mobile")),
        (SAFARI_IPAD, Client("Mobile Safari", "iOS", "tablet")),
        (CHROME_ANDROID_PHONE, Client("Chrome Mobile", "Android", "mobile")),
        (CHROME_ANDROID_TABLET, Client("Chrome", "Android", "tablet")),
        ("", Client("Other", "Other", "other")),
        ("GStreamer/1.22 webrtcbin", Client("Other", "Other", "other")),
    ],
)
def test_clients_of_user_agents(agent: str, expected: Client) -> None:
    assert client(agent) == expected


def test_a_huge_header_is_cut_before_parsing() -> None:
    assert client("x" * 100_000).browser == "Other"
