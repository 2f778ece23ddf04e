"""The data library for app authors: datasets from the app's bucket, loaded before serving, kept fresh.

    from zerodash_runtime.data import Dataset

    gapminder = Dataset("gapminder.csv", columns=["country", "year", "pop"])  # key relative to DATA_PREFIX
    df = gapminder.frame()  # the current pandas DataFrame; raises DataNotReady while loading or failed
    gapminder.state         # status (LOADING/READY/FAILED), error, etag, loaded_at, rows

The app's data/ directory is uploaded to s3://BUCKET_NAME/DATA_PREFIX; CSV (.csv, .csv.gz) or Parquet by
extension. Create datasets at module level: the runtime loads them all before serving (/health is 503 until
they are), and reloads one when its object's ETag changes (every DATA_RELOAD_SECONDS, default 60, 0: never).

Work every request would repeat (an index, a lookup table, an aggregate) belongs in `prepare`: it runs as part
of each load, in gunicorn's master before the workers fork, so no worker builds it on its first requests:

    def by_country(frame):  # any function of the DataFrame; what it raises fails that version's load
        return {country: rows for country, rows in frame.groupby("country")}

    gapminder = Dataset("gapminder.csv", columns=["country", "year", "pop"], prepare=by_country)
    gapminder.prepared()["Canada"]  # by_country's result for the current frame; raises DataNotReady like frame()

The frame and the prepared value are swapped in together on a reload. If `prepare` raises, the version is not
loaded, like a file that cannot be read: a first load is FAILED with "<key>: <message>" (/health 503); on a
reload the previous frame and prepared value stay, the reason in `state.error`.
"""

from zerodash_runtime.data.dataset import REGISTRY, Dataset
from zerodash_runtime.data.loading import load_all, start_reloaders
from zerodash_runtime.data.state import DataLoadError, DataNotReady, DataState, Status


def datasets() -> tuple[Dataset, ...]:
    """Every dataset created so far, in creation order."""
    return REGISTRY.all()


__all__ = [
    "DataLoadError",
    "DataNotReady",
    "DataState",
    "Dataset",
    "Status",
    "datasets",
    "load_all",
    "start_reloaders",
]
