"""The chaos run's pure parts (bench/chaos/plan.py): the fault schedule, the error rate per
fault window, the memory growth and the ledger's comparison. The run itself is not a test."""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "chaos"))

import plan  # noqa: E402
from plan import Fault, Ledger, Life, Outcome  # noqa: E402


def test_ten_minutes_kill_every_30_s_and_restart_redis_and_postgres_once_between_kills() -> None:
    faults = plan.schedule(600, 30, rng=random.Random(7))
    kills = [f for f in faults if f.kind == "kill"]
    assert [f.at for f in kills] == [30.0 * k for k in range(1, 20)]  # none in the last 30 s
    assert all(f.target in plan.KILLABLE for f in kills)
    assert all(a.target != b.target for a, b in zip(kills, kills[1:])), "never the same member twice in a row"
    restarts = {f.kind: f.at for f in faults if f.kind != "kill"}
    assert restarts == {"redis": 195.0, "postgres": 405.0}  # half-way between two kills, ~1/3 and ~2/3
    assert [f.at for f in faults] == sorted(f.at for f in faults)
    assert "lb" not in plan.KILLABLE and "sandbox" not in plan.KILLABLE


def test_a_short_run_still_has_both_restarts_apart() -> None:
    faults = plan.schedule(60, 30, rng=random.Random(1))
    assert [(f.at, f.kind) for f in faults] == [(15.0, "redis"), (30.0, "kill"), (45.0, "postgres")]


def test_the_schedule_is_the_seeds() -> None:
    assert plan.schedule(600, rng=random.Random(3)) == plan.schedule(600, rng=random.Random(3))


def test_each_outcome_counts_in_the_window_of_the_fault_before_it() -> None:
    faults = [Fault(30, "kill", "worker-1"), Fault(45, "redis", "redis")]
    outcomes = [Outcome(1, "basket", True, 200), Outcome(31, "order.edi", False, 0),
                Outcome(32, "order.edi", True, 201), Outcome(50, "basket", False, 503, "backend_unavailable"),
                Outcome(70, "basket", True, 200)]  # after the load's end: the last window's
    base, kill, redis = plan.windows(faults, outcomes, 60)
    assert (base.name, base.requests, base.errors) == ("baseline", 1, 0)
    assert (kill.name, kill.by_kind, kill.statuses) == ("kill worker-1", {"order.edi": (2, 1)}, {"0": 1})
    assert (redis.name, redis.start, redis.end, redis.by_kind) == ("restart redis", 45, 60, {"basket": (2, 1)})
    assert redis.statuses == {"503 backend_unavailable": 1}  # an error names its problem's code


def test_memory_growth_is_the_slope_after_the_warm_up() -> None:
    life = Life("worker-1", 1, [(0, 1000), (5, 5000)] + [(t, 10_000 + t) for t in range(20, 80, 5)])
    assert round(life.growth_per_hour(skip=20)) == 3600  # 1 KiB/s; the warm-up's jump left out
    assert Life("x", 2, [(0, 1), (5, 2)]).growth_per_hour() is None  # too short to say


def balanced() -> Ledger:
    four = {"storefront": 10, "shopify": 5, "partner": 5, "edi": 5}
    return Ledger(sent=dict(four), accepted=dict(four), in_hub=dict(four), posted=dict(four), released=dict(four),
                  returns_accepted=2, hub_returns=2, refunds_issued=2, refunds_at_provider=2, credit_memos=2,
                  deliveries=40, delivered=40, received=40)


def test_a_client_that_gave_up_is_no_problem_but_a_lost_order_is() -> None:
    book = balanced()
    book.accepted["storefront"] = 8  # two orders the hub took while their client saw only errors
    assert plan.problems(book) == []
    book.in_hub["storefront"] = 7
    assert plan.problems(book) == ["storefront: 7 taken by the hub but 10 posted to the ERP",
                                   "storefront: 7 taken by the hub but 10 released"]


def test_a_balanced_ledger_has_no_problem_and_a_table() -> None:
    assert plan.problems(balanced()) == []
    table = plan.ledger_table(balanced())
    assert "| all | 25 | 25 | 25 | 25 | 25 |" in table


def test_every_inequality_is_named() -> None:
    book = balanced()
    book.posted["edi"] = 4
    book.erp_duplicates = ["ord_1"]
    book.lost = ["ord_9"]
    book.refund_duplicates = ["pay_auth_1"]
    book.refunds_at_provider = 3
    book.received = 39
    book.outbox_left = 2
    book.stream_entries = {"hub:stream:x:order.accepted": 1}
    book.dead_letters = ["dl_1 order.accepted ord_2: boom"]
    found = plan.problems(book)
    assert found == ["edi: 5 taken by the hub but 4 posted to the ERP",
                     "accepted (2xx) but not in the hub: 1 (ord_9)",
                     "card authorizations refunded twice: 1 (pay_auth_1)",
                     "ERP sales orders twice: 1 (ord_1)",
                     "open dead letters: 1 (dl_1 order.accepted ord_2: boom)",
                     "refunds: 2 returns in the hub, 2 issued by the hub, 3 at the payment provider, 2 credit memos",
                     "webhooks: 40 deliveries, 40 delivered, 39 received",
                     "outbox: 2 message(s) still there",
                     "Redis streams: entries not done: {'hub:stream:x:order.accepted': 1}"]
