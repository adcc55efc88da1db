"""Turning untrusted file names (from mail attachments, uploads) into names safe to store and serve."""

from __future__ import annotations

import os
import re
import unicodedata

MAX_CHARS = 200
# Most filesystems cap a name at 255 bytes; stay below that for multi-byte names.
MAX_UTF8_BYTES = 240
# Characters Windows refuses and that mean something in shells or Content-Disposition.
_RESERVED = re.compile(r'[<>:"|?*]')
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_MAX_EXTENSION = 16


def _fits(name: str) -> bool:
    return len(name) <= MAX_CHARS and len(name.encode("utf-8")) <= MAX_UTF8_BYTES


def _shorten(name: str) -> str:
    stem, ext = os.path.splitext(name)
    if len(ext) > _MAX_EXTENSION:  # not a real extension, just a long name with a dot in it
        stem, ext = name, ""
    while stem and not _fits(stem + ext):
        stem = stem[:-1]
    return (stem.rstrip(" .") + ext) if stem else ext.lstrip(".")


def safe_filename(name: str | None, fallback: str) -> str:
    """A storage-safe version of an untrusted file name, or ``fallback`` when nothing usable remains.

    - directory components are dropped (both ``/`` and ``\\`` count as separators);
    - control and format characters are removed (NUL, CR, LF, tab, bidi overrides such as U+202E);
    - ``<>:"|?*`` become ``_``; leading dots and surrounding spaces are stripped (no hidden files, no ``..``);
    - the result is at most 200 characters (and 240 UTF-8 bytes), keeping the extension;
    - Windows device names (``CON``, ``NUL.txt``...) get a ``_`` prefix.

    ``fallback`` is trusted (the caller makes it, e.g. ``attachment-1.pdf``) and returned as is.
    """
    if not name:
        return fallback
    name = unicodedata.normalize("NFC", str(name))
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = re.split(r"[/\\]", name)[-1]
    name = _RESERVED.sub("_", name)
    name = " ".join(name.split())  # collapse runs of whitespace (other than the removed controls)
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        return fallback
    if not _fits(name):
        name = _shorten(name)
        if not name:
            return fallback
    if name.split(".", 1)[0].upper() in _WINDOWS_DEVICES:
        name = "_" + name
        if not _fits(name):
            name = _shorten(name)
    return name or fallback
