"""Shrink a failing input while it still fails the same way (same signature)."""

from __future__ import annotations

from dataclasses import replace

from fuzz import fitstruct as fs
from fuzz import harness as H
from fuzz.mutators import _points

BUDGET = 60


def _fails_same(harness: H.Harness, job: H.Job, data: bytes, signature: str, spent: list[int]) -> bool:
    spent[0] += 1
    out = harness.run([replace(job, data=data)])[0]
    return out.signature == signature


def minimize(o: H.Outcome, harness: H.Harness, corpus=None, budget: int = BUDGET) -> bytes | None:
    """A smaller input with the same failure signature (or the original bytes; None for file-path jobs)."""
    job = o.job
    if job.data is None:
        return None
    data = job.data
    if len(data) <= 2048 or o.category == "hang":
        return data
    saved_keep = harness.keep_failures
    harness.keep_failures = None
    spent = [0]
    try:
        low = job.name.lower()
        if low.endswith(".fit"):
            data = _shrink_fit(harness, job, data, o.signature, spent, budget)
        elif low.endswith((".gpx", ".xml")):
            data = _shrink_gpx(harness, job, data, o.signature, spent, budget)
    finally:
        harness.keep_failures = saved_keep
    return data


def _shrink_fit(harness, job, data, sig, spent, budget) -> bytes:
    # 1. the shortest prefix at a structural boundary that still fails
    points = [p for p in fs.parse_layout(data).boundaries() if p > 0]
    lo, hi = 0, len(points) - 1
    best = data
    while lo < hi and spent[0] < budget // 2:
        mid = (lo + hi) // 2
        cand = data[: points[mid]]
        if _fails_same(harness, job, cand, sig, spent):
            best, hi = cand, mid
        else:
            lo = mid + 1
    data = best
    # 2. drop runs of messages (ddmin-like), sizes and CRCs fixed
    layout = fs.parse_layout(data)
    if not layout.chains:
        return data
    chunks = fs.message_chunks(data, layout.chains[0])
    n = 2
    while len(chunks) > 2 and spent[0] < budget:
        size = max(1, len(chunks) // n)
        removed = False
        for start in range(0, len(chunks), size):
            if spent[0] >= budget:
                break
            keep = chunks[:start] + chunks[start + size :]
            # keep definitions: the data messages after them need them
            dropped = chunks[start : start + size]
            keep = chunks[:start] + [c for c in dropped if c and c[0] & 0x40 and not c[0] & 0x80] + chunks[start + size :]
            if len(keep) == len(chunks):
                continue
            cand = fs.rebuild(data, layout, keep, 0, fix_crc=True)
            if _fails_same(harness, job, cand, sig, spent):
                data, chunks, removed = cand, keep, True
                layout = fs.parse_layout(data)
                if not layout.chains:
                    return data
                chunks = fs.message_chunks(data, layout.chains[0])
                break
        if not removed:
            if size == 1:
                break
            n *= 2
    return data


def _shrink_gpx(harness, job, data, sig, spent, budget) -> bytes:
    n = 2
    while spent[0] < budget:
        pts = _points(data)
        if len(pts) <= 1:
            break
        size = max(1, len(pts) // n)
        removed = False
        for start in range(0, len(pts), size):
            if spent[0] >= budget:
                break
            a = pts[start].start()
            b = pts[min(len(pts), start + size) - 1].end()
            cand = data[:a] + data[b:]
            if _fails_same(harness, job, cand, sig, spent):
                data, removed = cand, True
                break
        if not removed:
            if size == 1:
                break
            n *= 2
    return data
