"""A small Prometheus registry: counters and histograms with labels, text format 0.0.4.

Kept in process (one per process, built by the composition root); a scrape of
each instance gives its own figures, as Prometheus expects.
"""

from __future__ import annotations

import bisect
from typing import Iterable

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Counter:
    def __init__(self, name: str, help: str, labels: Iterable[str] = ()) -> None:
        self.name, self.help, self.labels = name, help, tuple(labels)
        self.values: dict[tuple[str, ...], float] = {}

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        self.values[labels] = self.values.get(labels, 0.0) + amount

    def render(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        out += [f"{self.name}{_labels(self.labels, k)} {v:g}" for k, v in sorted(self.values.items())]
        return out


class Gauge(Counter):
    def set(self, *labels: str, value: float) -> None:
        self.values[labels] = value

    def render(self) -> list[str]:
        return [line.replace(" counter", " gauge") if line.startswith("# TYPE") else line for line in super().render()]


class Histogram:
    def __init__(self, name: str, help: str, labels: Iterable[str] = (), buckets: tuple[float, ...] = _BUCKETS) -> None:
        self.name, self.help, self.labels, self.buckets = name, help, tuple(labels), buckets
        self.values: dict[tuple[str, ...], list[float]] = {}

    def observe(self, value: float, *labels: str) -> None:
        row = self.values.get(labels)
        if row is None:
            row = self.values[labels] = [0.0] * (len(self.buckets) + 2)
        row[bisect.bisect_left(self.buckets, value)] += 1
        row[-1] += value

    def render(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for key, row in sorted(self.values.items()):
            running = 0.0
            for bound, count in zip(self.buckets, row):
                running += count
                le = 'le="%g"' % bound
                out.append(f"{self.name}_bucket{_labels(self.labels, key, le)} {running:g}")
            total = running + row[len(self.buckets)]
            inf = 'le="+Inf"'
            out.append(f"{self.name}_bucket{_labels(self.labels, key, inf)} {total:g}")
            out.append(f"{self.name}_sum{_labels(self.labels, key)} {row[-1]:g}")
            out.append(f"{self.name}_count{_labels(self.labels, key)} {total:g}")
        return out


class Registry:
    def __init__(self) -> None:
        self._metrics: dict[str, Counter | Histogram] = {}

    def counter(self, name: str, help: str, labels: Iterable[str] = ()) -> Counter:
        return self._metrics.setdefault(name, Counter(name, help, labels))  # type: ignore[return-value]

    def gauge(self, name: str, help: str, labels: Iterable[str] = ()) -> Gauge:
        return self._metrics.setdefault(name, Gauge(name, help, labels))  # type: ignore[return-value]

    def histogram(self, name: str, help: str, labels: Iterable[str] = ()) -> Histogram:
        return self._metrics.setdefault(name, Histogram(name, help, labels))  # type: ignore[return-value]

    def render(self) -> str:
        lines: list[str] = []
        for metric in self._metrics.values():
            lines += metric.render()
        return "\n".join(lines) + "\n"
