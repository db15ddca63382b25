"""Prometheus metrics on ``prometheus_client``: counters, gauges and histograms with labels.

One ``Registry`` per process (built by the composition root); its metrics keep the
call style the code uses (``counter.inc(*labels, amount=)``, ``gauge.set(*labels,
value=)``, ``histogram.observe(value, *labels)``), each label set's child cached so a
hot-path increment is one dict lookup and the library's own locked add.

Multiprocess mode: when a role runs several worker processes, ``hub serve`` points
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's own variable, read by the library
at import) at a fresh per-role directory before the workers start; every worker
writes its values there and a scrape of any worker answers the sum of all
(``multiprocess_mode`` names how a gauge combines). Process metrics (memory, CPU,
open files) come from the library's collectors in one process, and per worker as
``hub_worker_*{pid}`` gauges in multiprocess mode (``sample_process``).

Figures read from shared state (the database) at scrape time are ``live`` collectors: the
scraped process refreshes them (``before_scrape``) and renders them itself, outside the
multiprocess files, so a role's workers never add up or repeat them
(``hub_inventory_lag_p95_seconds``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from bisect import bisect_left
from typing import Awaitable, Callable, Iterable, Iterator

from prometheus_client import (
    CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector, disable_created_metrics, generate_latest,
    multiprocess,
)
from prometheus_client import Counter as _Counter, Gauge as _Gauge, Histogram as _Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus_client's own variable (not a hub setting): the CLI sets it for its workers."""

log = logging.getLogger(__name__)
disable_created_metrics()  # no *_created series: they double the output and nobody graphs them


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class _Metric:
    __slots__ = ("metric", "labels", "_children")

    def __init__(self, metric: _Counter | _Gauge | _Histogram, labels: tuple[str, ...]) -> None:
        self.metric, self.labels = metric, labels
        self._children: dict[tuple[str, ...], object] = {}

    def child(self, labels: tuple[str, ...]):  # noqa: ANN201
        found = self._children.get(labels)
        if found is None:
            found = self._children[labels] = self.metric.labels(*labels) if self.labels else self.metric
        return found

    @property
    def values(self) -> dict[tuple[str, ...], float]:
        """This process's value per label set (tests and operators' snapshots)."""
        return {labels: child._value.get() for labels, child in self._children.items()}  # type: ignore[attr-defined]


class Counter(_Metric):
    __slots__ = ("_values",)

    def __init__(self, metric: _Counter | _Gauge | _Histogram, labels: tuple[str, ...]) -> None:
        super().__init__(metric, labels)
        self._values: dict[tuple[str, ...], object] = {}

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        """The child's value itself, cached per label set: what the library's ``inc`` does
        after its checks (an amount is never negative here), without them (the edge's hot path)."""
        value = self._values.get(labels)
        if value is None:
            value = self._values[labels] = self.child(labels)._value  # type: ignore[attr-defined]
        value.inc(amount)  # type: ignore[attr-defined]


class Gauge(_Metric):
    __slots__ = ()

    def set(self, *labels: str, value: float) -> None:
        self.child(labels).set(value)  # type: ignore[attr-defined]


class Histogram(_Metric):
    __slots__ = ("_parts",)

    def __init__(self, metric: _Counter | _Gauge | _Histogram, labels: tuple[str, ...]) -> None:
        super().__init__(metric, labels)
        self._parts: dict[tuple[str, ...], tuple] = {}

    def observe(self, value: float, *labels: str) -> None:
        """The library's ``observe`` without its checks and exemplars: the sum, and the first
        bucket whose upper bound holds `value` (found by bisection; the last bound is +Inf)."""
        parts = self._parts.get(labels)
        if parts is None:
            child = self.child(labels)
            parts = self._parts[labels] = (child._sum, child._upper_bounds, child._buckets)  # type: ignore[attr-defined]
        total, bounds, buckets = parts
        total.inc(value)
        buckets[bisect_left(bounds, value)].inc(1)

    def bounds(self, *labels: str) -> tuple[float, ...]:
        """The upper bounds of the buckets of `labels` (the last is +Inf)."""
        return tuple(self.child(labels)._upper_bounds)  # type: ignore[attr-defined]

    def observe_many(self, counts: list[int], total: float, *labels: str) -> None:
        """Observations tallied elsewhere: ``counts[i]`` in the i-th bucket, summing to `total`."""
        child = self.child(labels)
        child._sum.inc(total)  # type: ignore[attr-defined]
        for bucket, count in zip(child._buckets, counts):  # type: ignore[attr-defined]
            if count:
                bucket.inc(count)

    @property
    def values(self) -> dict[tuple[str, ...], float]:
        """The count of observations per label set."""
        return {labels: sum(b.get() for b in child._buckets)  # type: ignore[attr-defined]
                for labels, child in self._children.items()}


class Registry:
    def __init__(self, multiproc_dir: str | None = None) -> None:
        self._dir = multiproc_dir or multiprocess_dir()
        self._registry = CollectorRegistry(auto_describe=True)
        self._metrics: dict[str, _Metric] = {}
        self._process: dict[str, Gauge] = {}
        self.before_render: list[Callable[[], None]] = []
        """Called at each scrape: gauges read from live state (circuits) refresh here."""
        self.before_scrape: list[Callable[[], Awaitable[None]]] = []
        """Awaited at each ``scrape`` (a failing one is logged and the scrape goes on)."""
        self.live: list[Callable[[], Iterable[Metric]]] = []
        """Families this process renders as they are, never through the multiprocess files."""
        if self._dir is None:
            for collector in (ProcessCollector, PlatformCollector, GCCollector):
                collector(registry=self._registry)
        else:
            self._process = {name: self.gauge(f"hub_worker_{name}", help, mode="liveall") for name, help in (
                ("resident_memory_bytes", "Resident memory of each worker process (bytes)"),
                ("cpu_seconds", "CPU time each worker process used (seconds)"),
                ("open_fds", "Open file descriptors of each worker process"),
                ("start_time_seconds", "When each worker process started (Unix time)"))}

    @property
    def multiprocess(self) -> bool:
        return self._dir is not None

    def counter(self, name: str, help: str, labels: Iterable[str] = ()) -> Counter:
        return self._get(name, Counter, lambda l: _Counter(name, help, l, registry=self._registry), labels)

    def gauge(self, name: str, help: str, labels: Iterable[str] = (), *, mode: str = "max") -> Gauge:
        """``mode``: how workers' values combine in multiprocess mode (max, min, livesum, liveall...)."""
        return self._get(name, Gauge, lambda l: _Gauge(name, help, l, registry=self._registry,
                                                       multiprocess_mode=mode), labels)

    def histogram(self, name: str, help: str, labels: Iterable[str] = (),
                  buckets: tuple[float, ...] = _BUCKETS) -> Histogram:
        return self._get(name, Histogram, lambda l: _Histogram(name, help, l, registry=self._registry,
                                                               buckets=buckets), labels)

    def _get(self, name: str, kind: type, make, labels: Iterable[str]):  # noqa: ANN001, ANN202
        found = self._metrics.get(name)
        if found is None:
            names = tuple(labels)
            found = self._metrics[name] = kind(make(names), names)
        return found

    def sample_process(self) -> None:
        """Multiprocess mode: this worker's process figures into its ``hub_worker_*`` gauges."""
        if not self._process:
            return
        for family in ProcessCollector(registry=None).collect():
            short = family.name.removeprefix("process_")
            gauge = self._process.get(short) or self._process.get(short.removesuffix("_total"))
            if gauge is not None and family.samples:
                gauge.set(value=family.samples[0].value)

    async def scrape(self, timeout: float = 2.0) -> str:
        """``render`` after the ``before_scrape`` refreshes (each bounded by ``timeout``)."""
        for refresh in self.before_scrape:
            try:
                async with asyncio.timeout(timeout):
                    await refresh()
            except Exception as exc:  # a scrape answers what it has; the refresher drops what it could not read
                log.warning("a metrics refresh failed (%s)", type(exc).__name__)
        return self.render()

    def render(self) -> str:
        """The text exposition: every worker's figures in multiprocess mode, plus the
        cache hit ratio derived from the cache counters."""
        for refresh in self.before_render:
            refresh()
        if self._dir is None:
            source = self._registry
        else:
            self.sample_process()
            source = CollectorRegistry()
            multiprocess.MultiProcessCollector(source, path=self._dir)
        return generate_latest(_Derived(source, self.live)).decode()  # type: ignore[arg-type]


async def sample_process_every(registry: Registry, seconds: float) -> None:
    """Multiprocess mode: refresh this worker's ``hub_worker_*`` gauges until cancelled."""
    while True:
        registry.sample_process()
        await asyncio.sleep(seconds)


class _Derived:
    """A source's metrics plus ``hub_cache_hit_ratio`` from ``hub_cache_lookups_total``, and
    the live families."""

    def __init__(self, source: CollectorRegistry, live: list[Callable[[], Iterable[Metric]]]) -> None:
        self._source, self._live = source, live

    def collect(self) -> Iterator[Metric]:
        counts: dict[str, float] = {}
        for family in self._source.collect():
            if family.name == "hub_cache_lookups":
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        result = sample.labels.get("result", "")
                        counts[result] = counts.get(result, 0.0) + sample.value
            yield family
        if counts:
            total = sum(counts.values())
            yield GaugeMetricFamily("hub_cache_hit_ratio", "Cache hits over all cacheable lookups since start",
                                    value=counts.get("HIT", 0.0) / total if total else 0.0)
        for families in self._live:
            yield from families()
