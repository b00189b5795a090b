"""Parsing event files: sub-blocks, threads and line numbers, and what each must not change.

Arrow parses in 1 MiB blocks and, for a large unquoted file, on its threads. A record longer
than a block, a ragged row in a threaded parse and a file whose lines are not all records
each take a slower path; the rows, the rejects and the line numbers must be the same either
way.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyadwatch.sources import tabular
from dyadwatch.sources.base import LINE_COLUMN
from dyadwatch.sources.tabular import BLOCK_BYTES, parse, record_lines

pytestmark = pytest.mark.unit


def _rows(parsed: tabular.Parsed) -> list[tuple[int, str | None]]:
    return list(
        zip(
            parsed.table.column(LINE_COLUMN).to_pylist(),
            parsed.table.column("a").to_pylist(),
            strict=True,
        )
    )


@pytest.mark.parametrize("quoted", [False, True])
def test_a_record_longer_than_a_block_is_read_and_the_rest_of_the_file_kept(quoted: bool) -> None:
    delimiter = "," if quoted else "\t"
    long = "x" * (2 * BLOCK_BYTES)
    lines = ["a" + delimiter + "b", f"1{delimiter}one", f"2{delimiter}{long}", "3", "4" + delimiter]
    data = ("\n".join(lines) + "\n").encode()
    parsed = parse(data, delimiter=delimiter, quoted=quoted)
    assert _rows(parsed) == [(2, "1"), (3, "2"), (5, "4")]
    assert len(parsed.table.column("b")[1].as_py()) == len(long)
    assert [(r.line, r.reason) for r in parsed.rejects] == [
        (4, "1 field(s), expected 2: a ragged or truncated row")
    ]


def test_a_threaded_parse_numbers_its_ragged_rows_as_a_serial_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = ["a\tb", *[f"{i}\tv{i}" for i in range(5000)]]
    lines[1234] = "ragged"
    lines[4321] = "too\tmany\tfields"
    data = ("\n".join(lines) + "\n").encode()
    serial = parse(data, delimiter="\t")
    monkeypatch.setattr(tabular, "THREADS_FROM_BYTES", 0)
    monkeypatch.setattr(tabular, "BLOCK_BYTES", 4096)  # many blocks, so threads share them
    threaded = parse(data, delimiter="\t")
    assert _rows(threaded) == _rows(serial)
    assert [(r.line, r.reason) for r in threaded.rejects] == [
        (r.line, r.reason) for r in serial.rejects
    ]
    assert [r.line for r in serial.rejects] == [1235, 4322]


lines_of = st.lists(st.sampled_from(["1\tx", "2\ty", "", "\r", "3", "4\tz\t"]), max_size=12).filter(
    lambda lines: any(line.strip("\r") for line in lines)  # a header alone is not a table
)


@settings(max_examples=150, deadline=None)
@given(lines_of, st.booleans(), st.booleans())
def test_rows_carry_their_file_line_with_blank_lines_and_crlf(
    lines: list[str], crlf: bool, final_newline: bool
) -> None:
    if crlf:
        # A lone CR in a CRLF file ends a line for Arrow, not for the line count: such a file
        # is refused (ArtifactError), as it always was; not this property's case.
        lines = [line for line in lines if line != "\r"]
    end = "\r\n" if crlf else "\n"
    text = end.join(["a\tb", *lines]) + (end if final_newline else "")
    parsed = parse(text.encode(), delimiter="\t", trailing_empty_ok=True)
    # Every non-blank line after the header is a record, numbered by its line in the file.
    records = [i + 2 for i, line in enumerate(lines) if line.strip("\r")]
    body = text.encode()[text.encode().find(b"\n") + 1 :]
    assert record_lines(body, False).tolist() == records
    seen = sorted(parsed.table.column(LINE_COLUMN).to_pylist() + [r.line for r in parsed.rejects])
    assert seen == records
    assert parsed.rows_read == len(records)
