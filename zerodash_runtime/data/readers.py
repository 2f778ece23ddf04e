"""Turn an object's bytes into a pandas DataFrame: CSV (streamed, in chunks) or Parquet, chosen by the key's
extension.

pandas and pyarrow are imported here, on first load, so an app without datasets never pays for them.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from zerodash_runtime.data import limits
from zerodash_runtime.data.state import DataLoadError

if TYPE_CHECKING:
    import pandas as pd

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)
SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES
CSV_CHUNK_ROWS = 131_072
FIX_CSV = "fix the file and upload it again"


def read_frame(
    body: Any, key: str, location: str, columns: Sequence[str] | None, size: int | None = None
) -> pd.DataFrame:
    """The object's table; `size` (the object's ContentLength) lets a file too big for the memory left be refused
    before a byte of it is read."""
    budget = limits.memory_budget()
    if key.endswith(PARQUET_SUFFIXES):
        _check_size(size, limits.PARQUET_MEMORY_FACTOR, budget, location)
        return _read_parquet(body, location, columns, budget)
    _check_size(size, limits.CSV_MEMORY_FACTOR, budget, location)
    guarded = _GuardedStream(body, location, gzip=key.endswith(".gz"), budget=budget)
    return _read_csv(io.BufferedReader(guarded, buffer_size=1 << 16), location, columns, compression=None)


def _too_big(location: str, what: str, needed: float, budget: int) -> DataLoadError:
    return DataLoadError(
        f"{location} is too big for this task's memory ({what}, needs about {limits.describe_bytes(needed)}, "
        f"{limits.describe_bytes(budget)} available): give the app more memory (its `memory` setting), "
        "upload a smaller file, or raise DATA_MAX_BYTES"
    )


def _check_size(size: int | None, factor: float, budget: int | None, location: str) -> None:
    if size is not None and budget is not None and size * factor > budget:
        raise _too_big(location, f"{limits.describe_bytes(size)} file", size * factor, budget)


class _GuardedStream(io.RawIOBase):
    """The object's bytes (gunzipped for .gz) as pandas reads them, refused as soon as a line is longer than
    DATA_MAX_LINE_BYTES or the text grows past the memory budget: pandas would otherwise buffer a 200 MB line
    (or inflate a gzip bomb) whole. Two C-level searches per read: no cost per line."""

    def __init__(self, body: Any, location: str, *, gzip: bool, budget: int | None) -> None:
        super().__init__()
        import gzip as gzip_module

        self._body = gzip_module.GzipFile(fileobj=body, mode="rb") if gzip else body
        self._location = location
        self._max_line = limits.max_line_bytes()
        self._budget = budget
        self._run = 0  # bytes since the last newline
        self._total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # Reads no longer than a line may be: a longer line then always spans a read, where _run measures it.
        data = self._body.read(min(len(buffer), self._max_line))
        count = len(data)
        buffer[:count] = data
        self._total += count
        first = data.find(b"\n")
        if first < 0:
            self._run += count
        else:
            self._run += first
            if self._run <= self._max_line:
                self._run = count - data.rfind(b"\n") - 1
        if self._run > self._max_line:
            limit = limits.describe_bytes(self._max_line)
            raise DataLoadError(
                f"{self._location} has a line longer than {limit} (near byte {self._total - count + max(first, 0):,}): "
                "a field this long cannot be shown; fix the file (a missing quote or newline?) or raise "
                "DATA_MAX_LINE_BYTES"
            )
        if self._budget is not None and self._total * limits.CSV_MEMORY_FACTOR > self._budget:
            what = f"more than {limits.describe_bytes(self._total)} of text" + (
                " once unzipped" if gzip_file(self._body) else ""
            )
            raise _too_big(self._location, what, self._total * limits.CSV_MEMORY_FACTOR, self._budget)
        return count


def gzip_file(body: Any) -> bool:
    import gzip

    return isinstance(body, gzip.GzipFile)


def _read_csv(body: Any, location: str, columns: Sequence[str] | None, compression: str | None) -> pd.DataFrame:
    import pandas as pd

    # The StreamingBody goes to pandas as a file: pandas pulls it in chunks, so the raw bytes and a parsed copy
    # are never in memory at once. No `usecols` (list or function alike): with it pandas' C parser skips its
    # field-count check, so a row with more fields than the header would load silently. Instead every column is
    # parsed, CSV_CHUNK_ROWS rows at a time, and each chunk cut to the wanted columns at once: a 98 MB CSV, 3 of
    # its 8 columns kept, peaks at +107 MB (+84 MB with usecols, +207 MB reading every column in one go).
    parts: list[pd.DataFrame] = []
    try:
        with pd.read_csv(body, compression=compression, chunksize=CSV_CHUNK_ROWS) as reader:
            for chunk in reader:
                if not parts:
                    _check_first_chunk(chunk, location, columns)
                kept = chunk if columns is None else chunk[list(columns)]
                _check_field_lengths(kept, location)
                parts.append(kept)
    except pd.errors.EmptyDataError as error:
        raise DataLoadError(f"{location} is empty: upload a CSV with a header row and data rows") from error
    except pd.errors.ParserError as error:
        raise DataLoadError(f"{location} is not valid CSV ({_parser_reason(error)}): {FIX_CSV}") from error
    except UnicodeDecodeError as error:
        raise DataLoadError(f"{location} is not UTF-8 text: save the CSV as UTF-8 and upload it again") from error
    except (EOFError, OSError, zlib.error) as error:  # gzip: truncated, or not gzip at all
        raise DataLoadError(
            f"{location} cannot be unzipped ({type(error).__name__}: {error}): compress it again with gzip and "
            "upload it"
        ) from error
    if not parts:  # pandas yields one empty chunk for a header without rows; none is not expected
        raise DataLoadError(f"{location} is empty: upload a CSV with a header row and data rows")
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _check_field_lengths(chunk: pd.DataFrame, location: str) -> None:
    """A quoted field may span many short lines: the kept text columns are held to DATA_MAX_LINE_BYTES too."""
    import pandas as pd

    limit = limits.max_line_bytes()
    for name in chunk.columns:
        column = chunk[name]
        if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
            continue
        longest = column.astype("str").str.len().max()
        if pd.notna(longest) and longest > limit:
            raise DataLoadError(
                f"{location}: column {name} has a value of {int(longest):,} characters, longer than "
                f"{limits.describe_bytes(limit)}: a value this long cannot be shown; fix the file (a missing quote?) "
                "or raise DATA_MAX_LINE_BYTES"
            )


def _check_first_chunk(chunk: pd.DataFrame, location: str, columns: Sequence[str] | None) -> None:
    import pandas as pd

    header = [str(name) for name in chunk.columns]
    if not isinstance(chunk.index, pd.RangeIndex):
        # More fields on the first data row than in the header: pandas takes the extra leading fields as the
        # index (and pads the later rows) instead of raising as it does for any later row.
        saw = len(header) + chunk.index.nlevels
        raise DataLoadError(
            f"{location} is not valid CSV (first data row: expected {len(header)} fields, saw {saw}): {FIX_CSV}"
        )
    _check_columns(chunk, location, columns, header)  # fail before reading the rest of a file that cannot do


def _parser_reason(error: Exception) -> str:
    """pandas' "Error tokenizing data. C error: Expected 3 fields in line 5, saw 4" as "line 5: expected 3
    fields, saw 4"; any other parser error as pandas words it."""
    message = str(error).strip()
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if found:
        expected, line, saw = found.groups()
        return f"line {line}: expected {expected} fields, saw {saw}"
    return message.splitlines()[-1] if message else type(error).__name__


def _read_parquet(body: Any, location: str, columns: Sequence[str] | None, budget: int | None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Parquet keeps its schema in a footer, so the reader must seek, which a StreamingBody cannot: the
    # (compressed, small next to the DataFrame) file is read into memory, keeping one S3 client and its settings.
    raw = body.read()
    if not raw:
        raise DataLoadError(f"{location} is empty: write it with pandas.DataFrame.to_parquet and upload it again")
    try:
        parquet = pq.ParquetFile(io.BytesIO(raw))
        schema = parquet.schema_arrow
        header = list(schema.names)
        wanted = header if columns is None else [name for name in header if name in columns]
        _check_flat(schema, wanted, location)
        _check_inflated(parquet, wanted, location, budget)
        table = parquet.read(columns=wanted)
    except (pa.ArrowInvalid, OSError) as error:
        raise DataLoadError(
            f"{location} is not a valid Parquet file ({error}): write it again and upload it"
        ) from error
    _check_text_lengths(table, location)
    return _check_columns(table.to_pandas(), location, columns, header)


def _check_flat(schema: Any, wanted: list[str], location: str) -> None:
    """A nested column (struct, list, map) is not a table column: say which and what it is, not a KeyError."""
    import pyarrow as pa

    nested_kinds = (
        ("a struct", pa.types.is_struct),
        ("a map", pa.types.is_map),
        ("a list", lambda kind: pa.types.is_list(kind) or pa.types.is_large_list(kind)),
        ("a list", pa.types.is_fixed_size_list),
        ("a union", pa.types.is_union),
    )
    for name in wanted:
        kind = schema.field(name).type
        nested = next((what for what, test in nested_kinds if test(kind)), None)
        if nested:
            raise DataLoadError(
                f"{location}: column {name} is {nested} ({kind}), expected plain values (text, numbers or dates): "
                "flatten it before writing the file"
            )


def _check_inflated(parquet: Any, wanted: list[str], location: str, budget: int | None) -> None:
    """Refuse before decompressing when the wanted columns would not fit (the footer says how big they are)."""
    import pyarrow as pa

    if budget is None:
        return
    # The pages' uncompressed size is still dictionary- or run-length-encoded (3M equal values take a few bytes):
    # a column takes at least its rows times its width in memory (a pointer or offset for text).
    metadata = parquet.metadata
    size = 0
    for name in wanted:
        kind = parquet.schema_arrow.field(name).type
        width = kind.bit_width // 8 if pa.types.is_primitive(kind) and kind.bit_width >= 8 else 8
        size += metadata.num_rows * width
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for index in range(row_group.num_columns):
            column = row_group.column(index)
            kind = parquet.schema_arrow.field(column.path_in_schema.split(".")[0]).type
            if column.path_in_schema.split(".")[0] in wanted and not pa.types.is_primitive(kind):
                size += column.total_uncompressed_size  # text: its characters, on top of the pointers
    if size * limits.PARQUET_MEMORY_FACTOR > budget:
        raise _too_big(
            location, f"{limits.describe_bytes(size)} once decompressed", size * limits.PARQUET_MEMORY_FACTOR, budget
        )


def _check_text_lengths(table: Any, location: str) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    limit = limits.max_line_bytes()
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.combine_chunks().dictionary, kind.value_type
        if not (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind)
        ):
            continue
        longest = pc.max(pc.binary_length(column)).as_py()
        if longest is not None and longest > limit:
            raise DataLoadError(
                f"{location}: column {name} has a value of {limits.describe_bytes(longest)}, longer than "
                f"{limits.describe_bytes(limit)}: a value this long cannot be shown; fix the file or raise "
                "DATA_MAX_LINE_BYTES"
            )


def _check_columns(
    frame: pd.DataFrame, location: str, columns: Sequence[str] | None, header: list[str]
) -> pd.DataFrame:
    if columns is None:
        return frame
    missing = [name for name in columns if name not in header]
    if missing:
        raise DataLoadError(
            f"{location} lacks the column(s) {', '.join(missing)} (found: {', '.join(header) or 'none'}): "
            "fix the file or the Dataset's columns"
        )
    return frame[list(columns)]
