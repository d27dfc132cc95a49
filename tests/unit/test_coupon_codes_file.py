"""Reading a shop's file of codes (`cartnudge coupons import`): a CSV with a `code` column
or one code per line, blank lines anywhere, and never a column name taken for a code."""

from __future__ import annotations

import pytest

from cli.coupons import read_codes
from cli.errors import CommandError


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("code,note\nA-1,first\nB-2,second\n", ["A-1", "B-2"]),
        ("\n\nCode\nA-1\n\nB-2\n", ["A-1", "B-2"]),  # blank lines before the header too
        ("SUMMERCODE10\nA-1\n", ["SUMMERCODE10", "A-1"]),  # a code may hold "code"
        ("A-1\r\n  B-2  \r\n", ["A-1", "B-2"]),
    ],
)
def test_codes_are_read_from_either_shape(text: str, codes: list[str]) -> None:
    assert read_codes(text) == codes


@pytest.mark.parametrize(
    "first", ["coupon_code", "Codes", "discount code", "kod,tutar", "kod;tutar"]
)
def test_a_first_line_that_names_columns_is_refused_not_imported(first: str) -> None:
    with pytest.raises(CommandError) as refused:
        read_codes(f"{first}\nA-1\n")

    assert f"line 1 ({first!r}) looks like column names" in str(refused.value)
    assert str(refused.value).startswith("nothing imported")


def test_a_semicolon_csv_with_a_code_column_is_read() -> None:
    assert read_codes("code;note\nA-1;ilk\nB-2;ikinci\n") == ["A-1", "B-2"]
