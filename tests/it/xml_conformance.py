#!/usr/bin/env python3
"""Cases for tests/it/xml_conformance.rs from the W3C XML Conformance Test Suite.

Usage: xml_conformance.py <xmlconf dir>

Walks the suite's test catalogs, takes every test document that is UTF-8
(or ASCII) and not XML 1.1, removes its XML declaration (and byte order
mark), and embeds it where wsuscat really parses package.xml: (a) as the
content of an <Update> of a minimal package.xml, and (b) inside
<FileLocations>. Each whole package.xml gets the verdict of a
namespace-aware expat (the oracle). Prints one JSON object per line:
{"id", "where", "expat": "accept"|"reject", "why", "xml"}.
"""
import json
import os
import re
import sys
import xml.parsers.expat

NS = "http://schemas.microsoft.com/msus/2004/02/OfflineSync"
HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>'
    f'<OfflineSyncPackage xmlns="{NS}" MinimumClientVersion="5.8.0.2678" '
    'PackageId="{00000000-0000-0000-0000-000000000000}" PackageVersion="1.1" '
    'ProtocolVersion="1.0" CreationDate="2026-05-12T08:51:08Z" '
    'SourceId="{00000000-0000-0000-0000-000000000000}">'
)
UPDATE = (
    '<Update CreationDate="2026-05-12T08:51:08Z" DefaultLanguage="en" '
    'UpdateId="{00000000-0000-0000-0000-000000000001}" RevisionNumber="1" RevisionId="1"'
)


def embeddings(doc):
    yield "update", (
        f"{HEAD}<Updates>{UPDATE}>{doc}</Update></Updates>"
        "<FileLocations></FileLocations></OfflineSyncPackage>"
    )
    yield "file_locations", (
        f"{HEAD}<Updates>{UPDATE}/></Updates>"
        f"<FileLocations>{doc}</FileLocations></OfflineSyncPackage>"
    )


def expat_verdict(text):
    # Namespace-aware: with a separator, expat checks prefixes and the xml
    # and xmlns rules. Expat refuses a namespace name that contains its
    # separator (a guard of its own, not an XML rule), so the separator is
    # U+0001, which no XML 1.0 document can contain, rather than a space,
    # which a namespace name may (after normalization).
    parser = xml.parsers.expat.ParserCreate(namespace_separator="\x01")
    try:
        parser.Parse(text.encode("utf-8"), True)
    except xml.parsers.expat.ExpatError as e:
        return "reject", str(e)
    return "accept", ""


DECL = re.compile(r"^<\?xml[ \t\r\n][^>]*\?>")
ENCODING = re.compile(r"""encoding[ \t\r\n]*=[ \t\r\n]*["']([^"']*)["']""")
VERSION11 = re.compile(r"""version[ \t\r\n]*=[ \t\r\n]*["']1\.1["']""")


def document(path):
    """The document's text without its XML declaration, or None when it is
    not a UTF-8 XML 1.0 document."""
    try:
        raw = open(path, "rb").read()
    except OSError:
        return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    text = text.removeprefix("\ufeff")
    decl = DECL.match(text)
    if decl:
        enc = ENCODING.search(decl.group(0))
        if enc and enc.group(1).lower() not in ("utf-8", "us-ascii", "ascii"):
            return None
        if VERSION11.search(decl.group(0)):
            return None
        text = text[decl.end():]
    return text


def tests(root):
    """(id, path) of every TEST in the suite's catalogs."""
    top = open(os.path.join(root, "xmlconf.xml"), encoding="utf-8").read()
    entities = dict(re.findall(r'<!ENTITY\s+(\S+)\s+SYSTEM\s+"([^"]+)"', top))
    seen = set()
    blocks = re.findall(
        r'<TESTCASES[^>]*xml:base="([^"]*)"[^>]*>\s*((?:&[^;]+;\s*)+)</TESTCASES>', top
    )
    for base, refs in blocks:
        for name in re.findall(r"&([^;]+);", refs):
            yield from catalog_tests(root, entities.get(name), base, seen)


def catalog_tests(root, catalog, base, seen):
    """(id, path) of each XML 1.0 TEST in one catalog file, once each."""
    if catalog is None:
        return
    text = open(os.path.join(root, catalog), encoding="utf-8", errors="replace").read()
    for tag in re.findall(r"<TEST\b[^>]*>", text):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if "URI" not in attrs or "ID" not in attrs:
            continue
        if attrs.get("VERSION", "1.0") == "1.1" or "1.1" in attrs.get("RECOMMENDATION", ""):
            continue
        path = os.path.normpath(os.path.join(root, base, attrs["URI"]))
        key = (attrs["ID"], path)
        if key in seen:
            continue
        seen.add(key)
        yield attrs["ID"], path


def main():
    root = sys.argv[1]
    out = sys.stdout
    for test_id, path in tests(root):
        doc = document(path)
        if doc is None:
            continue
        for where, text in embeddings(doc):
            verdict, why = expat_verdict(text)
            out.write(json.dumps(
                {"id": test_id, "where": where, "expat": verdict, "why": why, "xml": text}
            ) + "\n")


if __name__ == "__main__":
    main()
