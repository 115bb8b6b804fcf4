"""Parsing untrusted XML exports: no entity expansion, no external references.

A quick pass over the prolog (stopped at the root element) refuses any
document that declares entities or points at an external DTD; the document
is then parsed with the C ElementTree parser. Helpers read elements by local
name, whatever the namespace prefix (Garmin ns3:, Strava gpxtpx:, none).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.parsers import expat

from retrotrack.errors import ReadError


class _RootReached(Exception):
    pass


class _Refused(Exception):
    pass


def check_prolog(data: bytes, name: str) -> None:
    """ReadError if the document declares entities or an external DTD (billion laughs, XXE)."""

    def doctype(doctype_name, system_id, public_id, has_internal_subset):
        if system_id or public_id:
            raise _Refused("an external DTD")

    def entity(*_args):
        raise _Refused("entity declarations")

    def root(*_args):
        raise _RootReached

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except _RootReached:
        return
    except _Refused as exc:
        raise ReadError(name, f"refusing XML with {exc} (entity expansion and external files are not allowed)") from None
    except expat.ExpatError:
        return  # the real parse reports it


def parse_xml(data: bytes, name: str, warnings: list[str] | None = None) -> ET.Element:
    """The root element of an XML document; ReadError naming the file if it is not well-formed.

    With a `warnings` list, a document damaged part-way (a sync cut off, a
    battery died mid-write) gives the elements before the damage, and the
    problem is added to the list.
    """
    check_prolog(data, name)
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        problem = f"not well-formed XML ({exc})"
        if warnings is None:
            raise ReadError(name, problem) from None
    root = _parse_up_to_damage(data)
    if root is None or len(root) == 0:
        raise ReadError(name, problem)
    warnings.append(f"the file is cut off or damaged ({problem.removeprefix('not well-formed XML (')[:-1]}); read what comes before it")
    return root


def _parse_up_to_damage(data: bytes) -> ET.Element | None:
    """The root element with whatever was parsed before the first error, or None if none started."""
    parser = ET.XMLPullParser(events=("start",))
    root = None
    try:
        for start in range(0, len(data), 1 << 16):
            parser.feed(data[start:start + (1 << 16)])
            for _event, element in parser.read_events():
                if root is None:
                    root = element
    except ET.ParseError:
        pass
    return root


_LOCAL: dict[str, str] = {}


def local_name(tag) -> str:
    """Lower-case tag name without its namespace ("{ns}TrackPointExtension" -> "trackpointextension")."""
    try:
        return _LOCAL[tag]
    except KeyError:
        if not isinstance(tag, str):
            return ""
        name = _LOCAL[tag] = tag.rpartition("}")[2].rpartition(":")[2].lower()
        return name
    except TypeError:
        return ""


def child_text(element: ET.Element, name: str) -> str | None:
    """Stripped text of the first direct child with this local name."""
    for child in element:
        if local_name(child.tag) == name:
            return (child.text or "").strip()
    return None


def looks_like_xml(head: bytes, root_names: tuple[str, ...]) -> bool:
    """Whether the first bytes are an XML document whose root is one of these (lower-case local names)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not text.startswith(b"<"):
        return False
    names = b"|".join(re.escape(n.encode()) for n in root_names)
    return re.search(rb"<(?:[\w.-]+:)?(?:" + names + rb")[\s>/]", text) is not None
