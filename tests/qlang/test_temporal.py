"""Temporal literals, display and arithmetic, as KX's reference ("Datatypes", "Cast", temporal data) states."""

from __future__ import annotations

import pytest

from rdq.qlang._session import Session

CASES = [
    # Datatypes: a date is the count of days since 2000.01.01; literals print as they are written
    ("2015.01.22", "2015.01.22"),
    ("type 2015.01.22", "-14h"),
    ("2015.01.22+1", "2015.01.23"),  # "x+1 / Add one day"
    ("2015.01.22-7", "2015.01.15"),  # "x-7 / Subtract 7 days"
    ("2015.01.22 mod 7", "5"),  # 2000.01.01 was a Saturday (0); 2015.01.22 a Thursday (5)
    ("2020.01.01 0N 2020.01.03", "2020.01.01 0N 2020.01.03"),
    ("0Nd", "0Nd"),
    ("0N 0Nd", "0N 0Nd"),
    ("2000.01 2000.02m", "2000.01 2000.02m"),
    ("2000.01m+13", "2001.02m"),
    ("2020.01.01D10:00", "2020.01.01D10:00:00.000000000"),
    ("2020.01.01T10:00", "2020.01.01T10:00:00.000"),
    ("0D00:00:00", "0D00:00:00.000000000"),
    ("12:30", "12:30"),
    ("12:30:00", "12:30:00"),
    ("03:30:00.000", "03:30:00.000"),
    ("type 12:30", "-17h"),
    ("12:30+1", "12:31"),
    ("2020.01.03-2020.01.01", "2i"),
    ("2020.01.01D10:00-2020.01.01", "0D10:00:00.000000000"),
    ("2020.01.01+0D10:00", "2020.01.01D10:00:00.000000000"),
    ("0D01:00*2", "0D02:00:00.000000000"),
    ("2020.01.01<2020.01.02", "1b"),
    ("0Nd+1", "0Nd"),
]


@pytest.mark.parametrize(("src", "expected"), CASES)
def test_temporal(src: str, expected: str) -> None:
    assert Session().display(src) == expected


CAST_CASES = [
    # "Cast" / temporal data: `int$ of a date is its day count; extractors give ints
    ("`int$2015.01.22", "5500i"),
    ("`year$2015.01.22", "2015i"),
    ("`mm$2015.01.22", "1i"),
    ("`dd$2015.01.22", "22i"),
    ("`hh$03:30:00.000", "3i"),
    ("`mm$03:30:00.000", "30i"),  # of a time, `mm$ is the minutes
    ("`int$03:30:00.000", "12600000i"),
    ("`date$1", "2000.01.02"),
    ("`date$2020.01.01D10:00", "2020.01.01"),
    ("`month$2020.03.05", "2020.03m"),
    ("`time$2020.01.01D10:00", "10:00:00.000"),
    ("`minute$12:30:45", "12:30"),
    ('"D"$"2020.01.01"', "2020.01.01"),
    ('"D"$("2020.01.01";"x")', "2020.01.01 0N"),
]


@pytest.mark.parametrize(("src", "expected"), CAST_CASES)
def test_temporal_cast(src: str, expected: str) -> None:
    assert Session().display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("string 0N", '""'),  # the brief/KX: `string 0N` is the empty string
        ("string 2020.01.01", '"2020.01.01"'),
        ("string 2000.01m", '"2000.01"'),
        ("string 12:30", '"12:30"'),
    ],
)
def test_string_of_temporal_and_null(src: str, expected: str) -> None:
    assert Session().display(src) == expected
