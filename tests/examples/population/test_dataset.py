"""The page's view of the runtime's dataset: loading, failed, or the per-country index its `prepare` built."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.examples.conftest import EXAMPLES, imported_from
from tests.examples.population.helpers import SAMPLE_FRAME
from zerodash_runtime.data import DataNotReady
from zerodash_runtime.data import DataState as LoadState

with imported_from(EXAMPLES / "population"):
    from dataset import Status, gapminder, state_of
    from population import PopulationData


@dataclass
class FakeDataset:
    """Stands in for zerodash_runtime.data.Dataset: `prepared` raises DataNotReady until a value is set."""

    current: Any = None
    state: LoadState = field(default_factory=LoadState)

    def prepared(self) -> Any:
        if self.current is None:
            raise DataNotReady("not yet")
        return self.current


def test_the_index_is_the_datasets_prepare_so_it_is_built_at_load() -> None:
    assert gapminder.prepare is PopulationData


def test_loading_dataset_is_shown_as_loading() -> None:
    assert state_of(FakeDataset()).status is Status.LOADING  # type: ignore[arg-type]


def test_failed_first_load_is_shown_with_the_runtimes_reason() -> None:
    dataset = FakeDataset(state=LoadState(Status.FAILED, error="s3://b/population/gapminder.csv not found"))

    state = state_of(dataset)  # type: ignore[arg-type]

    assert (state.status, state.error) == (Status.FAILED, "s3://b/population/gapminder.csv not found")


def test_loaded_dataset_shows_its_prepared_index_shared_by_every_request() -> None:
    dataset = FakeDataset(current=PopulationData(SAMPLE_FRAME))

    first, second = state_of(dataset), state_of(dataset)  # type: ignore[arg-type]

    assert first.status is Status.READY
    assert first.countries == ("Canada", "Chile")
    assert first.data is second.data is dataset.current


def test_reloaded_dataset_shows_the_new_index() -> None:
    dataset = FakeDataset(current=PopulationData(SAMPLE_FRAME))
    state_of(dataset)  # type: ignore[arg-type]

    dataset.current = PopulationData(SAMPLE_FRAME[SAMPLE_FRAME["country"] == "Chile"])

    assert state_of(dataset).countries == ("Chile",)  # type: ignore[arg-type]
