from __future__ import annotations

import pytest

from foia.mail import safe_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("a\\b.pdf", "b.pdf"),
        ("C:\\Users\\x\\evil.exe", "evil.exe"),
        ("evil\x00.pdf", "evil.pdf"),
        ("\r\nX-Injected: 1.pdf", "X-Injected_ 1.pdf"),
        ("line\nbreak.txt", "linebreak.txt"),
        (".bashrc", "bashrc"),
        ("...hidden.pdf", "hidden.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ('a<b>c:"d"|e?f*.pdf', "a_b_c__d__e_f_.pdf"),
        ("  spaced   name .pdf  ", "spaced name .pdf"),
        ("trailing.", "trailing"),
        ("NUL.txt", "_NUL.txt"),
        ("Résumé – final.docx", "Résumé – final.docx"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name, "fallback.bin") == expected


@pytest.mark.parametrize("name", [None, "", "..", ".", "/", "\\", "../", "\x00\r\n", "   ", "dir/"])
def test_empty_results_use_fallback(name):
    assert safe_filename(name, "attachment-1.pdf") == "attachment-1.pdf"


def test_long_names_keep_their_extension():
    result = safe_filename("x" * 500 + ".pdf", "f")
    assert len(result) == 200 and result.endswith(".pdf") and result.startswith("xxx")


def test_long_multibyte_names_fit_filesystem_limits():
    result = safe_filename("é" * 300 + ".pdf", "f")
    assert result.endswith(".pdf")
    assert len(result.encode("utf-8")) <= 240


def test_long_name_with_fake_extension_is_cut():
    result = safe_filename("a" * 100 + "." + "b" * 300, "f")
    assert len(result) == 200 and result.startswith("a" * 100 + ".")
