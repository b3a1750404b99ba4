"""analysis.textsafe: control characters shown, text never a formula, OOXML escapes."""

from __future__ import annotations

import io

import openpyxl
import pytest

from analysis import textsafe


class TestVisible:
    def test_each_control_character_as_hex(self):
        assert textsafe.visible("a\x1b[2Jb") == "a\\x1b[2Jb"
        assert textsafe.visible("1\x00") == "1\\x00"
        assert textsafe.visible("\x7f\x9b") == "\\x7f\\x9b"
        assert textsafe.visible("a\tb\nc") == "a\\x09b\\x0ac"

    def test_keep_and_plain_text(self):
        assert textsafe.visible("a\tb\nc\x07", keep="\t\n") == "a\tb\nc\\x07"
        assert textsafe.visible("Huyện Sơn Động") == "Huyện Sơn Động"
        assert textsafe.visible(12) == "12"


class TestExcelText:
    @pytest.mark.parametrize("text, escaped", [
        ("son_dong_my_xa_01", "son_dong_my_x005f_xa_01"),
        ("a_x000D_b", "a_x005f_x000D_b"),
        ("plain_code", "plain_code"),
    ])
    def test_escape_and_back(self, text, escaped):
        assert textsafe.excel_text(text) == escaped
        assert textsafe.unescape_text(escaped) == text

    def test_template_reexports_the_same_functions(self):
        from analysis.data import template

        assert template.excel_text is textsafe.excel_text
        assert template.unescape_text is textsafe.unescape_text


def test_harden_workbook_types_formulas_as_text():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "=HYPERLINK(\"http://x\",\"y\")"
    ws["A2"] = textsafe.cell_value("a\x1bb")
    ws["A3"] = 3
    ws["A4"] = "son_dong_my_xa_01"
    assert ws["A1"].data_type == "f"
    with pytest.raises(openpyxl.utils.exceptions.IllegalCharacterError):
        ws["A5"] = "a\x1bb"  # why cell_value exists
    textsafe.harden_workbook(wb)
    buf = io.BytesIO()
    wb.save(buf)
    back = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    assert back["A1"].data_type == "s" and back["A1"].value == "=HYPERLINK(\"http://x\",\"y\")"
    assert back["A2"].value == "a\\x1bb"
    assert back["A3"].value == 3 and back["A3"].data_type == "n"
    assert back["A4"].value == "son_dong_my_x005f_xa_01"  # shown as «…_xa_01» by Excel


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\\x0dx"), ("Sơn Động", "Sơn Động"), (-1, -1), (None, None),
])
def test_csv_text(value, expected):
    assert textsafe.csv_text(value) == expected
