"""Validate the knowledge base as a whole: every problem, with file and line.

The schema (:mod:`~dyadwatch.knowledge.schema`) checks each record alone while loading. This
module adds the checks that need several records or the codebook:

- actors: a code defined once; country and agent type in the CAMEO codebook;
- events: an id used once; source and target actors defined (and in office on the date:
  a warning); instruments defined; the CAMEO code in the codebook; no date in the future;
  the anchor ids of FORMAT.md present; ``cert-YYYY`` ids dated in year YYYY;
- instruments: every instrument of DESIGN.md present; a timeline in order with no gaps and
  no overlaps; evidence ids that name events (and, as a warning, events that list the
  instrument); a state not public before its evidence;
- citations (:mod:`~dyadwatch.knowledge.quality`): no raw IP, test/staging or mirror host;
  no placeholder title; a ``published`` date (or ``unknown``); no page published long after
  the fact without a ``late_reason``; aggregator copies reported, and at most a set share of
  events relying only on them;
- indicators: a series defined once; each observation's series defined, its unit and scope
  the series' own (units and scopes are never mixed in one series), its period in the
  series' frequency, one row per (series, period, vintage), known_at not before the period
  begins; no row whose note or title says the value is from memory (issue 18).

Examples
--------
>>> problems = validate(load())
>>> [str(p) for p in problems if p.severity == "error"]
[]
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from dyadwatch.codebooks import cameo
from dyadwatch.knowledge.loader import (
    KnowledgeBase,
    Located,
    Problem,
    Severity,
    display_path,
    load,
)
from dyadwatch.knowledge.quality import (
    QualityLists,
    citation_flags,
    load_quality,
    relies_only_on_aggregators,
)
from dyadwatch.knowledge.schema import (
    ANCHOR_IDS,
    INSTRUMENT_IDS,
    InstrumentRecord,
    end_of_precision,
    period_bounds,
)


def validate(
    kb: KnowledgeBase | None = None,
    *,
    today: date | None = None,
    codebook: Callable[[], Any] = cameo,
    quality: QualityLists | None = None,
) -> list[Problem]:
    """Every problem in ``kb`` (default: the shipped knowledge base), in file order.

    Parameters
    ----------
    kb
        A loaded knowledge base (:func:`dyadwatch.knowledge.loader.load`).
    today
        Dates after this are "in the future" (default: today, UTC).
    codebook
        Returns the CAMEO codebook (``dyadwatch.codebooks.cameo``); injectable for tests.
    quality
        The citation quality lists (default: the shipped ``quality.yaml``).

    Returns
    -------
    list[Problem]
        Loading problems and cross-record problems; ``severity == "error"`` ones fail CI.

    Examples
    --------
    >>> [p for p in validate() if p.severity == "error"]
    []
    """
    kb = kb if kb is not None else load()
    today = today or datetime.now(UTC).date()
    book = codebook()
    problems = list(kb.problems)
    problems += _check_actors(kb, book)
    problems += _check_events(kb, book, today)
    problems += _check_effects(kb)
    problems += _check_citations(kb, quality or load_quality())
    problems += _check_instruments(kb)
    problems += _check_vocabulary(kb)
    problems += _check_indicators(kb)
    problems += _check_indicator_provenance(kb)
    return sorted(problems, key=lambda p: (p.file or "", p.line or 0))


def errors(problems: list[Problem]) -> list[Problem]:
    """Only the problems that fail validation (not the warnings)."""
    return [p for p in problems if p.severity == "error"]


def _duplicates(items: list[Located[Any]], key: Callable[[Any], str], what: str) -> list[Problem]:
    first: dict[str, Located[Any]] = {}
    out = []
    for item in items:
        k = key(item.record)
        if k in first:
            prev = first[k]
            out.append(
                item.problem(
                    f"duplicate {what} '{k}' (first defined at "
                    f"{display_path(prev.file)}:{prev.line})"
                )
            )
        else:
            first[k] = item
    return out


def _check_actors(kb: KnowledgeBase, book: Any) -> list[Problem]:
    out = _duplicates(kb.actors, lambda r: r.code, "actor code")
    for a in kb.actors:
        r = a.record
        if not book.is_country(r.country):
            out.append(a.problem(f"{r.code}: '{r.country}' is not a CAMEO country code", "country"))
        if r.agent_type not in book.agent_types:
            out.append(
                a.problem(f"{r.code}: '{r.agent_type}' is not a CAMEO agent type", "agent_type")
            )
    return out


def _check_events(kb: KnowledgeBase, book: Any, today: date) -> list[Problem]:
    out = _duplicates(kb.events, lambda r: r.id, "event id")
    actors = {a.record.code: a.record for a in kb.actors}
    instruments = {i.record.id for i in kb.instruments} | set(INSTRUMENT_IDS)
    for e in kb.events:
        r = e.record
        for role in ("source", "target"):
            code = getattr(r, role)
            if code is None:
                continue
            actor = actors.get(code)
            if actor is None:
                out.append(
                    e.problem(f"{r.id}: unknown actor '{code}' (define it in actors/)", role)
                )
            elif not actor.valid_on(r.date):
                out.append(
                    e.problem(
                        f"{r.id}: actor {code} is not valid on {r.date} "
                        f"(valid {actor.valid_from or '…'} to {actor.valid_to or '…'})",
                        role,
                        severity="warning",
                    )
                )
        for i, inst in enumerate(r.instruments):
            if inst not in instruments:
                out.append(
                    e.problem(
                        f"{r.id}: unknown instrument '{inst}' "
                        f"(instrument ids: {', '.join(INSTRUMENT_IDS)})",
                        "instruments",
                        i,
                    )
                )
        if not book.is_event_code(r.cameo):
            repaired = book.normalise_event_code(r.cameo)
            hint = f" (did you mean '{repaired}'?)" if repaired else ""
            out.append(e.problem(f"{r.id}: '{r.cameo}' is not a CAMEO event code{hint}", "cameo"))
        if r.date > today:
            out.append(e.problem(f"{r.id}: date {r.date} is in the future", "date"))
        if r.id.startswith("cert-") and (
            not r.id[5:].isdigit() or len(r.id) != 9 or int(r.id[5:]) != r.date.year
        ):
            out.append(
                e.problem(
                    f"{r.id}: a certification id is cert-YYYY with YYYY the year of its date "
                    f"({r.date.year})",
                    "id",
                )
            )
    if kb.events:
        ids = {e.record.id for e in kb.events}
        where = display_path(kb.files_of("events")[0]) if kb.files_of("events") else None
        for anchor in ANCHOR_IDS:
            if anchor not in ids:
                message = f"anchor event '{anchor}' is missing (FORMAT.md; rules may use it)"
                out.append(Problem(where, None, message, "warning"))
    return out


EFFECT_SEVERITY: Severity = "error"
"""How ``kb validate`` treats an event without an editor's effect and rationale: an error now
that every event has both (a warning while editors were annotating)."""


def _check_effects(kb: KnowledgeBase) -> list[Problem]:
    """Every event has an editor's ``relation_effect`` with a rationale; episodes exist."""
    out = _duplicates(kb.episodes, lambda r: r.id, "episode id")
    episodes = {e.record.id for e in kb.episodes}
    used: set[str] = set()
    for e in kb.events:
        r = e.record
        if r.relation_effect is None:
            out.append(
                e.problem(
                    f"{r.id}: no relation_effect (the editor's -10…+10 judgement of what the "
                    "event did to cooperation between the governments; docs/measurement.md)",
                    "id",
                    severity=EFFECT_SEVERITY,
                )
            )
        elif r.effect_rationale is None:
            out.append(
                e.problem(
                    f"{r.id}: relation_effect {r.relation_effect:g} has no effect_rationale "
                    "(one line: why this effect)",
                    "relation_effect",
                    severity=EFFECT_SEVERITY,
                )
            )
        if r.domain == "other" and r.relation_effect not in (None, 0):
            out.append(
                e.problem(
                    f"{r.id}: domain other (outside the security relationship) has no relational "
                    f"effect: write relation_effect: 0, not {r.relation_effect:g}",
                    "relation_effect",
                )
            )
        if r.effect_rationale is not None and r.relation_effect is None:
            out.append(e.problem(f"{r.id}: effect_rationale without a relation_effect", "id"))
        if r.episode is not None:
            used.add(r.episode)
            if r.episode not in episodes:
                out.append(
                    e.problem(
                        f"{r.id}: unknown episode '{r.episode}' (define it in episodes/*.yaml)",
                        "episode",
                    )
                )
    for ep in kb.episodes:
        if ep.record.id not in used:
            out.append(
                ep.problem(f"episode '{ep.record.id}' has no event", "id", severity="warning")
            )
    return out


CITATION_SEVERITY: dict[str, Severity] = {
    "ip_host": "error",
    "test_host": "error",
    "mirror_host": "error",
    "placeholder_title": "error",
    "title_not_seen": "warning",
    "aggregator_host": "warning",
    "missing_published": "warning",
    "late_citation": "error",
    "title_names_later_year": "error",
    "aggregator_only": "warning",
    "aggregator_share": "error",
}
"""How ``kb validate`` treats each citation flag (``quality.FLAG_KINDS``), an event that
relies only on aggregator copies (``aggregator_only``), and a knowledge base where more than
``aggregator_only_max_share`` of events do (``aggregator_share``).

Errors: what issue 18 requires of every citation (no raw-IP, test or mirror host, no
placeholder title, no late page without a reason) and of the whole record (the aggregator
share). Warnings: an aggregator copy where no better page was found (the share is the bound),
a headline the editor openly says was not seen, and a missing ``published`` date (knowledge
bases written before the field existed, and generated test ones, lack it)."""


def _check_citations(kb: KnowledgeBase, quality: QualityLists) -> list[Problem]:
    """Where each cited page lives, its title, its date; events that rest only on copies."""
    out: list[Problem] = []
    only_copies = 0
    for e in kb.events:
        r = e.record
        for i, source in enumerate(r.sources):
            for flag in citation_flags(source, r, quality):
                out.append(
                    e.problem(
                        f"{r.id}: sources[{i}]: {flag.message}",
                        "sources",
                        i,
                        flag.field,
                        severity=CITATION_SEVERITY.get(flag.kind, "error"),
                    )
                )
        if relies_only_on_aggregators(r, quality):
            only_copies += 1
            out.append(
                e.problem(
                    f"{r.id}: every citation is an aggregator or mirror copy; cite at least one "
                    "original publisher, official or archived page",
                    "sources",
                    severity=CITATION_SEVERITY["aggregator_only"],
                )
            )
    if kb.events and only_copies / len(kb.events) > quality.aggregator_only_max_share:
        where = display_path(kb.files_of("events")[0]) if kb.files_of("events") else None
        out.append(
            Problem(
                where,
                None,
                f"{only_copies} of {len(kb.events)} events "
                f"({only_copies / len(kb.events):.1%}) rely only on aggregator copies; at most "
                f"{quality.aggregator_only_max_share:.0%} may (dyadwatch kb coverage lists them)",
                CITATION_SEVERITY["aggregator_share"],
            )
        )
    return out


def _check_timeline(inst: Located[InstrumentRecord]) -> list[Problem]:
    out = []
    states = inst.record.states
    rid = inst.record.id
    for i in range(1, len(states)):
        prev, cur = states[i - 1], states[i]
        if cur.valid_from <= prev.valid_from:
            out.append(
                inst.problem(
                    f"{rid}: state '{cur.state}' from {cur.valid_from} overlaps "
                    f"'{prev.state}' from {prev.valid_from} (states must be in date order)",
                    "states",
                    i,
                    "from",
                )
            )
        elif prev.to is not None and prev.to < cur.valid_from:
            out.append(
                inst.problem(
                    f"{rid}: gap between '{prev.state}' (to {prev.to}) and '{cur.state}' "
                    f"(from {cur.valid_from}); add a state for the gap",
                    "states",
                    i,
                    "from",
                )
            )
        elif prev.to is not None and prev.to > cur.valid_from:
            out.append(
                inst.problem(
                    f"{rid}: '{prev.state}' (to {prev.to}) overlaps '{cur.state}' "
                    f"(from {cur.valid_from})",
                    "states",
                    i - 1,
                    "to",
                )
            )
        if prev.state == cur.state and prev.to is None:
            out.append(
                inst.problem(
                    f"{rid}: state '{cur.state}' repeats the state before it; merge them",
                    "states",
                    i,
                    "state",
                    severity="warning",
                )
            )
    return out


def _check_instruments(kb: KnowledgeBase) -> list[Problem]:
    out = _duplicates(kb.instruments, lambda r: r.id, "instrument id")
    present = {i.record.id for i in kb.instruments}
    where = next(iter(kb.files_of("instruments")), None)
    shown = display_path(where) if where else display_path(kb.root / "instruments.yaml")
    for missing in INSTRUMENT_IDS:
        if missing not in present:
            out.append(Problem(shown, None, f"instrument '{missing}' has no state timeline"))
    events = {e.record.id: e.record for e in kb.events}
    for inst in kb.instruments:
        out += _check_timeline(inst)
        for si, state in enumerate(inst.record.states):
            for ei, eid in enumerate(state.evidence):
                ev = events.get(eid)
                if ev is None:
                    out.append(
                        inst.problem(
                            f"{inst.record.id}: evidence '{eid}' is not an event id",
                            "states",
                            si,
                            "evidence",
                            ei,
                        )
                    )
                    continue
                if inst.record.id not in ev.instruments:
                    out.append(
                        inst.problem(
                            f"{inst.record.id}: evidence event '{eid}' does not list "
                            f"'{inst.record.id}' among its instruments",
                            "states",
                            si,
                            "evidence",
                            ei,
                            severity="warning",
                        )
                    )
            if state.known_at is not None and state.evidence:
                first = min(
                    (events[e].known_at_effective for e in state.evidence if e in events),
                    default=None,
                )
                if first is not None and state.known_at < first.replace(hour=0, minute=0):
                    out.append(
                        inst.problem(
                            f"{inst.record.id}: state '{state.state}' known_at "
                            f"{state.known_at.date()} is before any of its evidence was public",
                            "states",
                            si,
                            "known_at",
                        )
                    )
    return out


def _check_vocabulary(kb: KnowledgeBase) -> list[Problem]:
    """Every state of a timeline is one of the instrument's declared ``vocabulary``.

    Rule files test instrument states by name and pattern (``like "*suspended*"``); a pattern
    that no possible state matches makes "the lever was never used" true by construction, so
    each instrument declares the states it can be in and the timeline may use no other.
    """
    out = []
    for inst in kb.instruments:
        vocabulary = inst.record.vocabulary
        if vocabulary is None:
            out.append(
                inst.problem(
                    f"{inst.record.id}: no `vocabulary` (the states it can be in); rules "
                    "cannot check their state patterns against it",
                    "id",
                    severity="warning",
                )
            )
            continue
        for si, state in enumerate(inst.record.states):
            if state.state not in vocabulary:
                out.append(
                    inst.problem(
                        f"{inst.record.id}: state '{state.state}' is not in its vocabulary "
                        f"({', '.join(vocabulary)}); add it there with its meaning, or fix "
                        "the name",
                        "states",
                        si,
                        "state",
                    )
                )
    return out


def _check_indicators(kb: KnowledgeBase) -> list[Problem]:
    out = _duplicates(kb.series, lambda r: r.id, "series id")
    series = {s.record.id: s.record for s in kb.series}
    seen: Counter[tuple[str, str, str]] = Counter()
    first: dict[tuple[str, str, str], Located[Any]] = {}
    public: dict[tuple[str, str], dict[datetime, str]] = defaultdict(dict)
    for o in kb.observations:
        r = o.record
        s = series.get(r.indicator)
        if s is None:
            out.append(
                o.problem(
                    f"unknown series '{r.indicator}' (define it in indicators/*.yaml)", "indicator"
                )
            )
            continue
        if r.unit != s.unit:
            out.append(
                o.problem(
                    f"{r.indicator} {r.period}: unit '{r.unit}' is not the series unit "
                    f"'{s.unit}'; a different unit is a different series",
                    "unit",
                )
            )
        if r.scope != s.scope:
            out.append(
                o.problem(
                    f"{r.indicator} {r.period}: scope '{r.scope}' is not the series scope "
                    f"'{s.scope}'; a different scope is a different series",
                    "scope",
                )
            )
        try:
            start, _ = period_bounds(r.period, s.frequency)
        except ValueError as exc:
            out.append(o.problem(f"{r.indicator}: {exc}", "period"))
            continue
        begins = end_of_precision(start, "day").replace(hour=0, minute=0, second=0, microsecond=0)
        if r.known_at < begins and not s.forward_looking:
            out.append(
                o.problem(
                    f"{r.indicator} {r.period}: known_at {r.known_at.date()} is before the "
                    "period begins (mark the series forward_looking: true if it is a request "
                    "or forecast)",
                    "known_at",
                )
            )
        key = (r.indicator, r.period, r.vintage)
        seen[key] += 1
        if seen[key] > 1:
            prev = first[key]
            out.append(
                o.problem(
                    f"{r.indicator} {r.period}: vintage '{r.vintage}' given twice (first at "
                    f"{display_path(prev.file)}:{prev.line}); a revision needs a new vintage",
                    "vintage",
                )
            )
        else:
            first[key] = o
        other = public[(r.indicator, r.period)].get(r.known_at)
        if other is not None and other != r.vintage:
            out.append(
                o.problem(
                    f"{r.indicator} {r.period}: vintages '{other}' and '{r.vintage}' became "
                    "public at the same moment; give the later one a later known_at",
                    "known_at",
                )
            )
        public[(r.indicator, r.period)][r.known_at] = r.vintage
    return out


FROM_MEMORY_RE = re.compile(r"\bfrom memory\b", re.IGNORECASE)
"""How an editor marks an indicator value that no found page showed (issue 18's audit)."""


def _check_indicator_provenance(kb: KnowledgeBase) -> list[Problem]:
    """Refuse indicator rows whose ``note`` or ``source_title`` says the value is from memory.

    A figure recalled rather than read on the cited page cannot be checked by anyone; the row
    must cite a page that states it, or go.

    Examples
    --------
    >>> _check_indicator_provenance(load())
    []
    """
    out: list[Problem] = []
    for o in kb.observations:
        r = o.record
        marked = [f for f in ("note", "source_title") if FROM_MEMORY_RE.search(getattr(r, f) or "")]
        if marked:
            out.append(
                o.problem(
                    f"{r.indicator} {r.period}: the {marked[0]} says the value is from memory; "
                    "cite a page that states the figure, or remove the row",
                    marked[0],
                )
            )
    return out


__all__ = ["errors", "validate"]
