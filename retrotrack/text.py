"""Times and distances as people read them: 7:05, 1:02:03.4, "2.4 km"; the direction detector's
evidence in words; and JSON as files hold it.

Every figure is rounded half up on the decimal value as written (21.85 s is 21.9 s), so a
time reads the same on a page, in a reason and in results.csv.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal


def half_up(value: float, places: str) -> Decimal:
    """`value` rounded half up to `places` ("1", "0.1", "0.01") on its shortest decimal form
    (1023.45 -> 1023.5, where binary rounding of 1023.45 * 10 gives 10234)."""
    return Decimal(repr(float(value))).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def fmt_clock(seconds: float, decimals: int = 0) -> str:
    """m:ss or h:mm:ss, with `decimals` decimals of a second."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    scale = 10**decimals
    total = int(half_up(seconds, f"1e-{decimals}") * scale)
    whole, frac = divmod(total, scale)
    h, rem = divmod(int(whole), 3600)
    m, s = divmod(rem, 60)
    tail = f".{frac:0{decimals}d}" if decimals else ""
    return f"{sign}{h}:{m:02d}:{s:02d}{tail}" if h else f"{sign}{m}:{s:02d}{tail}"


def far_text(d_m: float) -> str:
    """A long way, in km: "12 km", "2.4 km"."""
    return f"{d_m / 1000:,.0f} km" if d_m >= 10_000 else f"{d_m / 1000:.1f} km"


def round_m(d: float) -> int:
    """A distance along a race as a reason gives it: to 10 m, to 50 m from a kilometre."""
    step = 10 if d < 1000 else 50
    return int(step * round(max(d, 0.0) / step))


METHOD_WORDS = {"heading": "device heading", "gait": "cadence and step length", "contact": "ground contact time"}


def method_words(method: str) -> str:
    """The detector's evidence (DirectionTrack.method, "heading+gait+contact") as reports say it."""
    if method == "none":
        return "none (no signals to tell)"
    return ", ".join(METHOD_WORDS.get(part, part) for part in method.split("+"))


def json_text(doc: dict) -> str:
    """`doc` as strict JSON (no NaN), indented, non-ASCII as written, ending in a newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
