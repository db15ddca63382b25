"""The chaos run's pure parts: the fault schedule, the error rate per fault window, the memory
growth per role and the ledger's comparison. No I/O here (tests/bench/test_chaos.py)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# The roles a fault may SIGKILL: the hub's own processes. The load balancer (haproxy) and the
# sandbox (the vendors' stand-in, whose records are the ledger's evidence) are never killed.
KILLABLE = ("gateway-1", "gateway-2", "experience", "process", "system", "worker-1", "worker-2")


@dataclass(frozen=True)
class Fault:
    at: float  # seconds from the start of the load
    kind: str  # kill | redis | postgres
    target: str  # the member killed, or the store restarted


def schedule(seconds: float, every: float = 30.0, members: Sequence[str] = KILLABLE,
             rng: random.Random | None = None) -> list[Fault]:
    """A SIGKILL of a random member every ``every`` s (never the same one twice in a row), and one
    Redis and one PostgreSQL restart halfway between two kills, after a third and two thirds of the
    run (the free half-slots nearest to those). Nothing in the last ``every`` s of the load: the
    last fault's window is a whole one."""
    rng = rng or random.Random()
    faults: list[Fault] = []
    last = None
    at = every
    while at <= seconds - every:
        target = rng.choice([m for m in members if m != last] or list(members))
        faults.append(Fault(at, "kill", target))
        last, at = target, at + every
    halves = [h for h in (every / 2 + every * k for k in range(int(seconds // every))) if h <= seconds - every / 2]
    for kind, share in (("redis", 1 / 3), ("postgres", 2 / 3)):
        taken = {f.at for f in faults}
        free = [h for h in halves if h not in taken]
        if free:
            faults.append(Fault(min(free, key=lambda h: abs(h - seconds * share)), kind, kind))
    return sorted(faults, key=lambda f: f.at)


@dataclass
class Outcome:
    at: float  # seconds from the start of the load
    kind: str  # the request kind: order.storefront, product.hit, basket, stock, return ...
    ok: bool  # a 2xx; False: any other status or no answer at all
    status: int = 0  # the HTTP status, 0 for no answer (refused, reset, timed out)
    code: str = ""  # of an error: the problem's ``code`` when the answer was a problem document

    @property
    def label(self) -> str:
        """How the report names an error: its status, then its problem code if it had one."""
        return f"{self.status} {self.code}" if self.code else str(self.status)


@dataclass
class Window:
    name: str
    start: float
    end: float
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (requests, errors)
    statuses: dict[str, int] = field(default_factory=dict)  # of the errors: Outcome.label -> count

    @property
    def requests(self) -> int:
        return sum(n for n, _ in self.by_kind.values())

    @property
    def errors(self) -> int:
        return sum(e for _, e in self.by_kind.values())


def windows(faults: Sequence[Fault], outcomes: Iterable[Outcome], seconds: float) -> list[Window]:
    """One window before the first fault ("baseline"), then one per fault, from it to the next."""
    bounds = [Window("baseline", 0.0, faults[0].at if faults else seconds)]
    for i, f in enumerate(faults):
        end = faults[i + 1].at if i + 1 < len(faults) else max(seconds, f.at)
        bounds.append(Window(f"{f.kind} {f.target}" if f.kind == "kill" else f"restart {f.target}", f.at, end))
    for o in outcomes:
        for w in bounds:
            if w.start <= o.at < w.end or (w is bounds[-1] and o.at >= w.end):
                n, e = w.by_kind.get(o.kind, (0, 0))
                w.by_kind[o.kind] = (n + 1, e + (not o.ok))
                if not o.ok:
                    w.statuses[o.label] = w.statuses.get(o.label, 0) + 1
                break
    return bounds


@dataclass
class Life:
    """One process life of a member: RSS samples (seconds, KiB) from ready to its end."""
    member: str
    pid: int
    samples: list[tuple[float, int]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.samples[-1][0] - self.samples[0][0] if len(self.samples) > 1 else 0.0

    def growth_per_hour(self, skip: float = 0.0) -> float | None:
        """KiB/h: the least-squares slope of the samples after the first ``skip`` s (its warm-up)."""
        if not self.samples:
            return None
        t0 = self.samples[0][0]
        points = [(t, kib) for t, kib in self.samples if t - t0 >= skip]
        if len(points) < 3 or points[-1][0] - points[0][0] < 10:
            return None
        mt = sum(t for t, _ in points) / len(points)
        mk = sum(k for _, k in points) / len(points)
        den = sum((t - mt) ** 2 for t, _ in points)
        return sum((t - mt) * (k - mk) for t, k in points) / den * 3600 if den else None


@dataclass
class Ledger:
    """What the load sent and what each system of record shows afterwards, per order channel."""
    sent: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)  # distinct orders the client saw a 2xx for
    in_hub: dict[str, int] = field(default_factory=dict)  # orders the hub took (a client that gave up included)
    posted: dict[str, int] = field(default_factory=dict)  # of those, in the ERP once (sandbox records)
    released: dict[str, int] = field(default_factory=dict)  # of those, released once
    lost: list[str] = field(default_factory=list)  # a 2xx seen by the client, no order in the hub
    erp_duplicates: list[str] = field(default_factory=list)  # order ids with 2+ ERP sales orders
    erp_strangers: list[str] = field(default_factory=list)  # ERP sales orders of no accepted order
    release_duplicates: list[str] = field(default_factory=list)
    returns_accepted: int = 0  # a 201 seen by the client
    hub_returns: int = 0  # the returns the hub holds (a client that gave up included)
    returns_lost: list[str] = field(default_factory=list)  # a 201 seen, no return in the hub
    refunds_issued: int = 0  # the hub's returns with the refund issued
    refunds_at_provider: int = 0  # the payment provider's refunds (sandbox)
    credit_memos: int = 0  # ERP credit memos of those returns (one each)
    memo_duplicates: list[str] = field(default_factory=list)
    refund_duplicates: list[str] = field(default_factory=list)  # card authorizations refunded twice
    deliveries: int = 0  # the hub's webhook delivery rows for the run's subscription
    delivered: int = 0  # of those, marked delivered by the hub
    received: int = 0  # of those, verified by the receiver (distinct webhook ids)
    outbox_left: int = 0
    stream_entries: dict[str, int] = field(default_factory=dict)  # Redis stream -> entries not done
    dead_letters: list[str] = field(default_factory=list)  # "id topic key: reason" of open ones
    details: list[str] = field(default_factory=list)  # evidence for the report, not compared


def problems(ledger: Ledger) -> list[str]:
    """Every inequality of the ledger, one line each; empty when it balances."""
    out = []
    for channel, sent in ledger.sent.items():
        acc, took = ledger.accepted.get(channel, 0), ledger.in_hub.get(channel, 0)
        if acc > sent or took > sent:
            out.append(f"{channel}: {acc} accepted and {took} taken by the hub of {sent} sent")
        for name, got in (("posted to the ERP", ledger.posted), ("released", ledger.released)):
            if got.get(channel, 0) != took:
                out.append(f"{channel}: {took} taken by the hub but {got.get(channel, 0)} {name}")
    for name, ids in (("accepted (2xx) but not in the hub", ledger.lost),
                      ("returns accepted (201) but not in the hub", ledger.returns_lost),
                      ("card authorizations refunded twice", ledger.refund_duplicates),
                      ("ERP sales orders twice", ledger.erp_duplicates),
                      ("ERP sales orders of no accepted order", ledger.erp_strangers),
                      ("released twice", ledger.release_duplicates),
                      ("credit memos twice", ledger.memo_duplicates), ("open dead letters", ledger.dead_letters)):
        if ids:
            out.append(f"{name}: {len(ids)} ({', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''})")
    if not (ledger.hub_returns == ledger.refunds_issued == ledger.refunds_at_provider == ledger.credit_memos):
        out.append(f"refunds: {ledger.hub_returns} returns in the hub, {ledger.refunds_issued} issued by the hub, "
                   f"{ledger.refunds_at_provider} at the payment provider, {ledger.credit_memos} credit memos")
    if not (ledger.deliveries == ledger.delivered == ledger.received):
        out.append(f"webhooks: {ledger.deliveries} deliveries, {ledger.delivered} delivered, "
                   f"{ledger.received} received")
    if ledger.outbox_left:
        out.append(f"outbox: {ledger.outbox_left} message(s) still there")
    if ledger.stream_entries:
        out.append(f"Redis streams: entries not done: {ledger.stream_entries}")
    return out


def ledger_table(ledger: Ledger) -> list[str]:
    """The ledger as Markdown table rows (what docs/performance.md carries)."""
    rows = ["| channel | sent | accepted (2xx seen) | taken by the hub | posted (ERP, once) | released (once) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    channels = list(ledger.sent)
    for channel in [*channels, "all"]:
        pick = (lambda d: sum(d.get(c, 0) for c in channels)) if channel == "all" else (lambda d: d.get(channel, 0))
        rows.append(f"| {channel} | {pick(ledger.sent)} | {pick(ledger.accepted)} | {pick(ledger.in_hub)} | "
                    f"{pick(ledger.posted)} | {pick(ledger.released)} |")
    rows += ["", "| returns accepted (201 seen) | returns in the hub | refunds issued (hub) | refunds (provider) | "
                 "credit memos (ERP) | "
                 "webhook deliveries | delivered (hub) | received (verified) | outbox + stream entries left | "
                 "open dead letters |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
             f"| {ledger.returns_accepted} | {ledger.hub_returns} | {ledger.refunds_issued} | "
             f"{ledger.refunds_at_provider} | "
             f"{ledger.credit_memos} | {ledger.deliveries} | {ledger.delivered} | {ledger.received} | "
             f"{ledger.outbox_left + sum(ledger.stream_entries.values())} | {len(ledger.dead_letters)} |"]
    return rows
