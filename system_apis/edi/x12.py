"""ANSI X12 syntax: read an interchange into its envelopes, and write one.

Only the syntax layer lives here (docs/edi.md says why the hub has its own):
separators come from the fixed-width ISA segment (element separator at
offset 3, repetition separator ISA11 at 82, component separator ISA16 at
104, segment terminator at 105), segments are split once with ``str.split``
(a 10,000-line 850 is about 40,000 segments: milliseconds), and the envelope
is checked as a translator checks it:

    ISA (106 characters) ... IEA   IEA01 = groups, IEA02 = ISA13    else TA1 code
      GS ... GE                    GE01 = sets, GE02 = GS06         else AK9 code
        ST ... SE                  SE01 = segments ST..SE, SE02 = ST02  else AK5 code

An error of the interchange envelope raises ``EnvelopeError`` (the whole
interchange is rejected, nothing in it is used); a group's or a set's error
is recorded on it (``Group.error``, ``TransactionSet.error``) so the others
are still read, as a 997 acknowledges each one. What a set means (850) is
``mapping``'s business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ISA_LENGTH = 106
SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{1,2}$")


@dataclass(frozen=True)
class Separators:
    element: str = "*"
    component: str = ">"
    repetition: str = "^"
    segment: str = "~"


@dataclass(frozen=True)
class SetError:
    """Where a transaction set is wrong, as 997 AK3/AK4/AK5 say it."""

    ak5: str
    """AK5 syntax error code: 1 not supported, 2 trailer missing, 3 control numbers differ,
    4 segment count wrong, 5 segment errors."""
    segment: str
    position: int
    """The segment's position in the set, ST being 1."""
    ak3: str = ""
    """AK304 segment error code: 1 unrecognized, 2 unexpected, 3 mandatory missing, 8 element errors."""
    element: int | None = None
    ak4: str = ""
    """AK403 element error code: 1 mandatory missing, 2 conditional missing, 4 too short, 5 too long,
    6 invalid character, 7 invalid code, 8 invalid date."""
    value: str = ""
    detail: str = ""


@dataclass
class TransactionSet:
    code: str
    control: str
    segments: list[list[str]]
    """From ST to SE inclusive, each a list of elements with the segment id first."""
    error: SetError | None = None


@dataclass
class Group:
    functional_id: str
    sender: str
    receiver: str
    control: str
    version: str
    sets: list[TransactionSet] = field(default_factory=list)
    error: str = ""
    """AK905 code when the group envelope is wrong: 4 control numbers differ, 5 set count wrong."""


@dataclass
class Interchange:
    separators: Separators
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control: str
    version: str
    usage: str
    """ISA15: P production, T test."""
    groups: list[Group] = field(default_factory=list)


class Unreadable(ValueError):
    """Not an X12 interchange at all: no ISA to read separators or a sender from."""


class EnvelopeError(ValueError):
    """The interchange envelope is wrong: a TA1 code, the segment named, and who sent it."""

    def __init__(self, ta1: str, segment: str, detail: str, interchange: Interchange) -> None:
        super().__init__(detail)
        self.ta1, self.segment, self.detail, self.interchange = ta1, segment, detail, interchange


def separators_of(text: str) -> Separators:
    if not text.startswith("ISA") or len(text) < 4:
        raise Unreadable("An X12 interchange starts with an ISA segment.")
    element = text[3]
    if element.isalnum() or element.isspace():
        raise Unreadable(f"ISA's element separator {element!r} is not a delimiter.")
    parts = text[:200].split(element, 16)
    if len(parts) < 17 or len(parts[16]) < 2:
        raise Unreadable("The ISA segment has fewer than 16 elements.")
    component, segment = parts[16][0], parts[16][1]
    repetition = parts[11] if len(parts[11]) == 1 and not parts[11].isalnum() else "^"
    return Separators(element=element, component=component, repetition=repetition, segment=segment)


def parse(raw: bytes | str) -> Interchange:
    """The interchange with its groups and sets; raises ``Unreadable`` or ``EnvelopeError``."""
    text = (raw.decode("latin-1") if isinstance(raw, (bytes, bytearray)) else raw).lstrip()
    seps = separators_of(text)
    split = [s.strip("\r\n") for s in text.split(seps.segment)]
    segments = [s.split(seps.element) for s in split if s.strip()]
    isa = segments[0]
    if len(isa) < 17:
        raise Unreadable("The ISA segment ends before its 16th element.")
    interchange = Interchange(seps, isa[5].strip(), isa[6].strip(), isa[7].strip(), isa[8].strip(),
                              isa[13].strip(), isa[12].strip(), isa[15].strip() if len(isa) > 15 else "")
    if len(split[0]) + 1 != ISA_LENGTH or len(isa) != 17:
        raise EnvelopeError("022", "ISA", f"The ISA segment is {len(split[0]) + 1} characters with "
                            f"{len(isa) - 1} elements; it must be {ISA_LENGTH} with 16.", interchange)
    if not interchange.control.isdigit() or len(isa[13]) != 9:
        raise EnvelopeError("018", "ISA", "ISA13 (interchange control number) must be nine digits.", interchange)
    if segments[-1][0] != "IEA":
        raise EnvelopeError("023", "IEA", "The interchange has no IEA trailer.", interchange)
    iea = segments[-1]
    _read_groups(segments[1:-1], interchange)
    if len(iea) < 3 or iea[2].strip() != interchange.control:
        raise EnvelopeError("001", "IEA", f"IEA02 {iea[2] if len(iea) > 2 else ''!r} is not ISA13 "
                            f"{interchange.control!r}.", interchange)
    if iea[1].strip() != str(len(interchange.groups)):
        raise EnvelopeError("021", "IEA", f"IEA01 says {iea[1]!r} groups; the interchange has "
                            f"{len(interchange.groups)}.", interchange)
    return interchange


def _read_groups(segments: list[list[str]], interchange: Interchange) -> None:
    group: Group | None = None
    current: TransactionSet | None = None
    for seg in segments:
        tag = seg[0]
        if current is not None and tag not in ("SE", "GE"):
            current.segments.append(seg)
            continue
        if tag == "GS" and group is None:
            group = Group(*(el(seg, i) for i in (1, 2, 3, 6, 8)))
        elif tag == "ST" and group is not None and current is None:
            current = TransactionSet(el(seg, 1), el(seg, 2), [seg])
            group.sets.append(current)
        elif tag == "SE" and current is not None:
            current.segments.append(seg)
            current.error = current.error or _trailer_error(current, seg)
            current = None
        elif tag == "GE" and group is not None:
            if current is not None:
                current.error = SetError("2", "SE", len(current.segments) + 1, "3",
                                         detail=f"Transaction set {current.control} has no SE trailer.")
                current = None
            group.error = _group_error(group, seg)
            interchange.groups.append(group)
            group = None
        else:
            raise EnvelopeError("024", tag, f"Segment {tag} is out of place in the interchange envelope.",
                                interchange)
    if group is not None:
        raise EnvelopeError("024", "GE", f"Functional group {group.control} has no GE trailer.", interchange)


def _trailer_error(ts: TransactionSet, se: list[str]) -> SetError | None:
    position = len(ts.segments)
    if el(se, 2) != ts.control:
        return SetError("3", "SE", position, "8", 2, "7", el(se, 2),
                        f"SE02 {el(se, 2)!r} is not ST02 {ts.control!r}.")
    if el(se, 1) != str(position):
        return SetError("4", "SE", position, "8", 1, "7", el(se, 1),
                        f"SE01 says {el(se, 1)!r} segments; the set has {position}.")
    return None


def _group_error(group: Group, ge: list[str]) -> str:
    if el(ge, 2) != group.control:
        return "4"
    if el(ge, 1) != str(len(group.sets)):
        return "5"
    return ""


def el(seg: list[str], i: int) -> str:
    return seg[i].strip() if len(seg) > i else ""


# --- writing ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Party:
    qualifier: str
    id: str
    gs_id: str


def render(seps: Separators, sender: Party, receiver: Party, *, interchange: int, group: int,
           functional_id: str, version: str, stamp: tuple[str, str], sets: list[tuple[str, int, list[list[str]]]],
           usage: str = "P", preamble: tuple[list[str], ...] = ()) -> str:
    """One interchange of one group: ``sets`` are (code, ST02, body segments without ST/SE);
    ``stamp`` is (CCYYMMDD, HHMM); ``preamble`` goes before the group (a TA1). No sets: no
    group. Counts and trailers are computed here, never by a caller."""
    date, time = stamp
    isa = ["ISA", "00", " " * 10, "00", " " * 10, sender.qualifier.ljust(2), sender.id.ljust(15)[:15],
           receiver.qualifier.ljust(2), receiver.id.ljust(15)[:15], date[2:], time, seps.repetition,
           "00401" if version.startswith("004") else version[:5], f"{interchange:09d}", "0", usage, seps.component]
    out = [isa, *preamble]
    if sets:
        out.append(["GS", functional_id, sender.gs_id, receiver.gs_id, date, time, str(group), "X", version])
    for code, control, body in sets:
        st02 = f"{control:04d}"
        out.append(["ST", code, st02])
        out.extend(body)
        out.append(["SE", str(len(body) + 2), st02])
    if sets:
        out.append(["GE", str(len(sets)), str(group)])
    out.append(["IEA", "1" if sets else "0", f"{interchange:09d}"])
    return "".join(_join(seps, seg) + seps.segment + "\n" for seg in out)


def _join(seps: Separators, seg: list[str]) -> str:
    if seg[-1]:
        return seps.element.join(seg)
    end = len(seg) - 1
    while end > 1 and not seg[end - 1]:
        end -= 1  # trailing empty elements are never sent
    return seps.element.join(seg[:end])
