"""The edge's policies as one declared chain.

Every policy is a small object built from its own configuration, with a name, a
documented failure choice (``fails``: ``"closed"`` refuses the request when the policy
cannot decide, ``"open"`` lets it through on a weaker decision) and two methods:

- ``applies(route)``: whether the policy has anything to do for a route (None: a
  path no route answers). Asked once per route when the edge is built, so a
  policy a route does not need costs that route nothing per request;
- ``enter(exchange)``: run for a request; True when the policy answered the request
  itself (a preflight, a cache hit), which ends the chain. A refusal is raised
  (``shared.errors``) and answered as a problem by the edge.

``ORDER`` below is the one place the order is declared; ``Chain`` puts the policies it
is given in that order, whatever order they were passed in. See docs/edge.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable, ClassVar, Literal, Protocol

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.route import Route

ORDER = ("cors", "framing", "identity", "limits", "cache")
"""cors first: a browser's preflight carries no credential, so it is answered before
identity; framing before identity, so a malformed request costs no key look-up; identity
before limits (limits count per consumer); the cache last, so a cached answer is only
ever served to a caller that passed identity and limits."""
Step = Callable[["Exchange"], Awaitable[bool]]


class Policy(Protocol):
    name: ClassVar[str]
    fails: ClassVar[Literal["open", "closed"]]

    def applies(self, route: Route | None) -> bool: ...

    async def enter(self, exchange: Exchange) -> bool: ...


class Chain:
    def __init__(self, *policies: Policy | None) -> None:
        given = [p for p in policies if p is not None]
        names = [p.name for p in given]
        unknown = set(names) - set(ORDER)
        if unknown or len(set(names)) != len(names):
            raise ValueError(f"policies {names}: each at most once, of {ORDER}")
        self.policies: tuple[Policy, ...] = tuple(sorted(given, key=lambda p: ORDER.index(p.name)))

    def applying(self, route: Route | None) -> tuple[Policy, ...]:
        """The policies `route` needs, in the declared order."""
        return tuple(p for p in self.policies if p.applies(route))

    def steps(self, route: Route | None) -> tuple[Step, ...]:
        """The ``enter`` of every policy `route` needs, in the declared order."""
        return tuple(p.enter for p in self.applying(route))

    def describe(self, route: Route | None) -> list[str]:
        """``name (fails open|closed)`` of the policies `route` gets (docs, tests)."""
        return [f"{p.name} (fails {p.fails})" for p in self.applying(route)]
