"""The chaos run's report: the ledger, the client-visible error rate per fault window and the
memory of every role, as Markdown (printed, and kept as report.md in the run's directory)."""

from __future__ import annotations

import os
import platform
import sys
from collections import defaultdict

from plan import Fault, Ledger, ledger_table, windows

GROUPS = {"orders": ("order.storefront", "order.partner", "order.edi", "shop.order"),
          "reads": ("product.hit", "product.miss", "basket", "order.read"), "stock": ("stock.event",),
          "returns": ("order.return",)}  # the return itself; its shipped wait is a read


def _cell(window, kinds) -> str:  # noqa: ANN001
    n = sum(window.by_kind.get(k, (0, 0))[0] for k in kinds)
    e = sum(window.by_kind.get(k, (0, 0))[1] for k in kinds)
    return f"{e}/{n}" if n else "-"


def report(chaos, load, plan: list[Fault], book: Ledger, found: list[str], drained: float,  # noqa: ANN001
           left: dict[str, int], load_avg: tuple[float, float, float], seconds: float) -> str:
    t = load.tally
    kind = "Soak run (no fault)" if getattr(chaos.args, "soak", False) else "Chaos run"
    lines = [f"# {kind}: {seconds / 60:g} min, {chaos.args.rate:g} orders/s offered, seed {chaos.args.seed}", "",
             f"{sys.implementation.name} {platform.python_version()}, {os.cpu_count()} cores (shared with other "
             f"work); load average {load_avg[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end. "
             f"Drain after the load: {drained:.0f} s; still owed then: "
             f"{', '.join(f'{k} {v}' for k, v in left.items() if v) or 'nothing'}.", "",
             "## Ledger", "", *ledger_table(book), ""]
    lines += ["**Balanced.**" if not found else "**NOT balanced:**", *[f"- {p}" for p in found], ""]
    if book.details:
        lines += ["Details:", *[f"- {d}" for d in book.details[:20]], ""]
    if t.refused:
        lines += [f"Final refusals seen by the clients ({len(t.refused)}; a refused order is not 'accepted'):",
                  *[f"- {r}" for r in t.refused[:10]], ""]
    if t.returns_failed:
        lines += [f"Returns not placed ({len(t.returns_failed)}): {'; '.join(t.returns_failed[:5])}", ""]
    lines += ["## Client-visible errors per fault window (errors/requests; every attempt counts, a retried order "
              "counts each try)", "", "| window | from s | to s | back after s | orders | reads | stock events | "
              "returns | all | errors by status and problem code (0: no answer) |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    back = {(f["at"], f["target"]): f["back_after_s"] for f in chaos.fault_log}  # plan: the faults as done
    for w in windows(plan, t.outcomes, seconds):
        rate = f"{100 * w.errors / w.requests:.1f} %" if w.requests else "-"
        lines.append(f"| {w.name} | {w.start:.0f} | {w.end:.0f} | "
                     f"{back.get((w.start, w.name.split()[-1]), '-')} | "
                     + " | ".join(_cell(w, kinds) for kinds in GROUPS.values()) + f" | {rate} | "
                     + ", ".join(f"{s}: {n}" for s, n in sorted(w.statuses.items())) + " |")
    lines += ["", "## Memory (VmRSS of each member's process session, sampled every 5 s)", "",
              "| member | lives | RSS at first ready MiB | RSS at the end MiB | longest life s | growth MiB/h "
              "(longest life, after its first 20 s) | growth MiB/h (its second half) |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    by_member = defaultdict(list)
    for life in chaos.lives.values():
        if life.samples:
            by_member[life.member].append(life)
    for member, lives in sorted(by_member.items()):
        longest = max(lives, key=lambda life: life.seconds)
        growth = [longest.growth_per_hour(skip=skip) for skip in (20, longest.seconds / 2)]
        lines.append(f"| {member} | {len(lives)} | {lives[0].samples[0][1] / 1024:.0f} | "
                     f"{lives[-1].samples[-1][1] / 1024:.0f} | {longest.seconds:.0f} | "
                     + " | ".join('-' if g is None else f'{g / 1024:+.0f}' for g in growth) + " |")
    return "\n".join(lines) + "\n"
