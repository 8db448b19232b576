"""The client a candidate uses, in coarse names: browser family, operating system and device type
(desktop, mobile, tablet or other), parsed from the user agent with ua-parser (the uap-core
rules). Only these names are stored, never the user agent string itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ua_parser import parse

DeviceType = Literal["desktop", "mobile", "tablet", "other"]
MAX_USER_AGENT = 1000  # longer headers are cut before parsing (the rules are regexes)

_DESKTOP_OS = {
    "Windows", "Mac OS X", "Linux", "Ubuntu", "Debian", "Fedora", "Red Hat", "SUSE", "Mint",
    "Chrome OS", "FreeBSD", "OpenBSD", "NetBSD", "Solaris",
}  # fmt: skip
_MOBILE_OS = {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Firefox OS"}
_TABLET = re.compile(r"iPad|Tablet|Kindle|Silk|PlayBook|Nexus (7|9|10)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Client:
    browser: str  # ua-parser's family: "Chrome", "Chrome Mobile", "Firefox", "Mobile Safari"…
    os: str
    device: DeviceType


def device_type(user_agent: str, os_family: str, device_family: str) -> DeviceType:
    """Tablets first: iPads and Android devices whose browser omits the "Mobile" token (the
    convention Android browsers follow for tablets); then phones; then desktop systems. An
    iPad that asks for the desktop site sends a Mac's user agent and counts as a desktop."""
    if _TABLET.search(device_family) or _TABLET.search(user_agent):
        return "tablet"
    if os_family == "Android":
        return "mobile" if "Mobile" in user_agent else "tablet"
    if os_family in _MOBILE_OS or device_family in ("iPhone", "iPod", "Generic Smartphone"):
        return "mobile"
    if os_family in _DESKTOP_OS:
        return "desktop"
    return "other"


@lru_cache(maxsize=1024)
def client(user_agent: str) -> Client:
    user_agent = user_agent[:MAX_USER_AGENT]
    r = parse(user_agent)
    browser = r.user_agent.family if r.user_agent else "Other"
    os_family = r.os.family if r.os else "Other"
    device_family = r.device.family if r.device else "Other"
    return Client(
        browser=browser[:100],
        os=os_family[:100],
        device=device_type(user_agent, os_family, device_family),
    )
