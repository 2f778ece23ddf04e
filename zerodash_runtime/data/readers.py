"""Turn an object's bytes into a pandas DataFrame: CSV (streamed, in chunks) or Parquet, chosen by the key's
extension.

pandas and pyarrow are imported here, on first load, so an app without datasets never pays for them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from zerodash_runtime.data.state import DataLoadError

if TYPE_CHECKING:
    import pandas as pd

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)
SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES
CSV_CHUNK_ROWS = 131_072
FIX_CSV = "fix the file and upload it again"


def read_frame(body: Any, key: str, location: str, columns: Sequence[str] | None) -> pd.DataFrame:
    if key.endswith(PARQUET_SUFFIXES):
        return _read_parquet(body, location, columns)
    return _read_csv(body, location, columns, compression="gzip" if key.endswith(".gz") else None)


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
                parts.append(chunk if columns is None else chunk[list(columns)])
    except pd.errors.EmptyDataError as error:
        raise DataLoadError(f"{location} is empty: upload a CSV with a header row and data rows") from error
    except pd.errors.ParserError as error:
        raise DataLoadError(f"{location} is not valid CSV ({_parser_reason(error)}): {FIX_CSV}") from error
    except UnicodeDecodeError as error:
        raise DataLoadError(f"{location} is not UTF-8 text: save the CSV as UTF-8 and upload it again") from error
    if not parts:  # pandas yields one empty chunk for a header without rows; none is not expected
        raise DataLoadError(f"{location} is empty: upload a CSV with a header row and data rows")
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


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


def _read_parquet(body: Any, location: str, columns: Sequence[str] | None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Parquet keeps its schema in a footer, so the reader must seek, which a StreamingBody cannot: the
    # (compressed, small next to the DataFrame) file is read into memory, keeping one S3 client and its settings.
    raw = body.read()
    if not raw:
        raise DataLoadError(f"{location} is empty: write it with pandas.DataFrame.to_parquet and upload it again")
    try:
        parquet = pq.ParquetFile(io.BytesIO(raw))
        header = list(parquet.schema_arrow.names)
        table = parquet.read(columns=None if columns is None else [name for name in header if name in columns])
    except (pa.ArrowInvalid, OSError) as error:
        raise DataLoadError(
            f"{location} is not a valid Parquet file ({error}): write it again and upload it"
        ) from error
    return _check_columns(table.to_pandas(), location, columns, header)


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
