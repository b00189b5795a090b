"""Citation quality: each ``kb validate`` flag on a small generated knowledge base, the
quality lists themselves, and ``kb coverage`` on generated and real knowledge bases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dyadwatch.errors import ConfigError
from dyadwatch.knowledge.coverage import coverage
from dyadwatch.knowledge.loader import load
from dyadwatch.knowledge.quality import (
    FLAG_KINDS,
    QUALITY_CLASSES,
    citation_class,
    host_flags,
    load_quality,
    placeholder_reason,
)
from dyadwatch.knowledge.validate import CITATION_SEVERITY, validate
from dyadwatch.present.cli.main import cli
from tests.sample.test_kb_validate import make_kb

pytestmark = pytest.mark.sample


def event(eid: str, day: str, *sources: str, extra: str = "") -> str:
    """One event of MEX:SRE against USA:DEA with the given (already indented) sources."""
    return (
        f"- id: {eid}\n"
        f"  date: {day}\n"
        "  source: MEX:SRE\n"
        "  target: USA:DEA\n"
        '  cameo: "172"\n'
        "  instruments: [foreign_agent_law]\n"
        "  summary: >-\n"
        "    Mexico restricted the work of foreign agents.\n"
        "  sources:\n" + "".join(sources) + "  verified: true\n"
        "  relation_effect: -5\n"
        "  effect_rationale: >-\n"
        "    A restriction on the partner's agents curtails cooperation.\n" + extra
    )


def cite(url: str, title: str = "Mexico limits foreign agents", published: str = "2020-12-16",
         late_reason: str | None = None, publisher: str = "Reuters") -> str:  # fmt: skip
    out = f"    - url: {url}\n      title: {json.dumps(title)}\n      publisher: {publisher}\n"
    if published:
        out += f"      published: {published}\n"
    if late_reason:
        out += f"      late_reason: {late_reason}\n"
    return out


GOOD_URL = "https://www.reuters.com/world/mexico-limits-foreign-agents-2020-12-16/"
GOOD = cite(GOOD_URL)


def problems(root: Path) -> list[tuple[str, int | None, str, str]]:
    return [(p.file or "", p.line, p.severity, p.message) for p in validate(load(root))]


def the(found: list[tuple[str, int | None, str, str]], needle: str) -> tuple[int | None, str]:
    hits = [(line, sev) for _, line, sev, msg in found if needle in msg]
    assert len(hits) == 1, f"expected one problem with {needle!r}, got {hits}: {found}"
    return hits[0]


def kb_with(tmp_path: Path, *events: str) -> Path:
    return make_kb(tmp_path, {"events/events.yaml": "\n".join(events)})


def test_a_clean_citation_has_no_flag(tmp_path: Path) -> None:
    root = kb_with(tmp_path, event("2020-12-15-a", "2020-12-15", GOOD))
    found = [p for p in problems(root) if "sources[" in p[3] or "aggregator" in p[3]]
    assert found == []


@pytest.mark.parametrize(
    ("url", "needle", "kind"),
    [
        ("http://20.210.105.67/txt/time/1985.html", "raw IP address", "ip_host"),
        ("http://[2001:db8::1]/page", "raw IP address", "ip_host"),
        ("https://uat.apnews.com/article/x", "test/staging copy (uat.", "test_host"),
        ("https://digital-stage.newsnationnow.com/x", "(digital-stage.", "test_host"),
        ("https://www.staging.example.org/x", "(staging.", "test_host"),
        ("http://stats.nohib.com/la-xpm-1996-03-01", "mirror copy (stats.", "mirror_host"),
        ("http://pyxis.nohib.com./la-xpm-1998", "mirror copy (pyxis.", "mirror_host"),
        ("https://pledgetimes.com/x", "pledgetimes.com is on the aggregator", "aggregator_host"),
    ],
)  # fmt: skip
def test_each_host_flag_names_the_line_of_the_url(
    tmp_path: Path, url: str, needle: str, kind: str
) -> None:
    root = kb_with(tmp_path, event("2020-12-15-a", "2020-12-15", GOOD, cite(url)))
    found = problems(root)
    line, severity = the(found, needle)
    assert line == 14  # the second citation's url line
    assert severity == CITATION_SEVERITY[kind]


def test_an_allowed_host_and_a_mirror_label_deeper_in_the_host_are_not_flagged() -> None:
    q = load_quality()
    assert host_flags("https://www.video.example.org/a", q) == []
    assert host_flags("https://stats.example.org/a", q)[0].kind == "mirror_host"
    assert host_flags("https://example.org/uat", q) == []


@pytest.mark.parametrize(
    ("title", "url"),
    [
        ("[URL slug] mexico cienfuegos drug charges dropped", "https://x.org/a"),
        ("Untitled", "https://x.org/a"),
        ("mexico cienfuegos charges dropped", "https://x.org/2020/mexico-cienfuegos-charges-dropped.html"),
    ],
)  # fmt: skip
def test_placeholder_titles_are_flagged_on_the_title_line(
    tmp_path: Path, title: str, url: str
) -> None:
    root = kb_with(tmp_path, event("2020-12-15-a", "2020-12-15", cite(url, title=title)))
    line, severity = the(problems(root), "is a placeholder")
    assert line == 11
    assert severity == CITATION_SEVERITY["placeholder_title"]


def test_a_headline_the_editor_says_was_not_seen_is_its_own_warning(tmp_path: Path) -> None:
    title = "(headline not shown in the found excerpt) Reuters dispatch, 9 Nov 2012"
    root = kb_with(tmp_path, event("2020-12-15-a", "2020-12-15", cite(GOOD_URL, title=title)))
    found = problems(root)
    line, severity = the(found, "says the headline was not seen")
    assert line == 11 and severity == CITATION_SEVERITY["title_not_seen"] == "warning"
    assert not [m for *_, m in found if "is a placeholder" in m]


def test_what_issue_18_requires_is_an_error() -> None:
    for kind in ("ip_host", "test_host", "mirror_host", "placeholder_title", "late_citation",
                 "aggregator_share"):  # fmt: skip
        assert CITATION_SEVERITY[kind] == "error", kind
    assert set(FLAG_KINDS) <= set(CITATION_SEVERITY)


def test_a_real_title_that_matches_its_slug_in_title_case_is_not_a_placeholder() -> None:
    q = load_quality()
    url = "https://www.specialagents.org/murder-of-kiki-camarena"
    assert placeholder_reason("Murder of Kiki Camarena", url, q) is None
    assert placeholder_reason("murder of kiki camarena", url, q) is not None


def test_a_missing_published_date_is_flagged_and_unknown_is_allowed(tmp_path: Path) -> None:
    root = kb_with(
        tmp_path,
        event("2020-12-15-a", "2020-12-15", cite("https://www.reuters.com/a", published="")),
        event("2020-12-16-b", "2020-12-16", cite("https://www.reuters.com/b", published="unknown")),
    )
    line, severity = the(problems(root), "no 'published' date")
    assert line == 10 and severity == CITATION_SEVERITY["missing_published"]


def test_a_late_citation_needs_a_reason(tmp_path: Path) -> None:
    late = cite("https://www.reuters.com/late", published="2021-01-20")
    excused = cite(
        "https://www.reuters.com/late2", published="2021-01-20", late_reason="only account found"
    )
    on_time = cite("https://www.reuters.com/ok", published="2021-01-14")  # 30 days: allowed
    root = kb_with(tmp_path, event("2020-12-15-a", "2020-12-15", late, excused, on_time))
    found = problems(root)
    line, severity = the(found, "days after the fact became public")
    assert line == 13  # the published line of the first citation
    assert severity == CITATION_SEVERITY["late_citation"]
    assert "36 days" in next(m for *_, m in found if "days after" in m)


def test_late_is_counted_from_known_at_and_from_the_end_of_a_month(tmp_path: Path) -> None:
    monthly = event(
        "2020-12-a", "2020-12-01", cite("https://www.reuters.com/m", published="2021-01-25")
    ).replace("  source:", "  precision: month\n  source:", 1)
    known_later = event(
        "2020-10-01-b", "2020-10-01", cite("https://www.reuters.com/k", published="2021-01-25")
    ).replace("  source:", "  known_at: 2021-01-10\n  source:", 1)
    found = problems(kb_with(tmp_path, monthly, known_later))
    assert not [m for *_, m in found if "days after" in m]


def test_events_resting_only_on_copies_and_their_share(tmp_path: Path) -> None:
    farm = cite("https://pledgetimes.com/mexico-limits")
    mirror = cite("http://stats.nohib.com/la-xpm-2020-12-16")
    root = kb_with(
        tmp_path,
        event("2020-12-15-a", "2020-12-15", farm, mirror),
        event("2020-12-16-b", "2020-12-16", farm, GOOD),
    )
    found = problems(root)
    line, severity = the(found, "every citation is an aggregator or mirror copy")
    assert line == 9 and severity == CITATION_SEVERITY["aggregator_only"]
    _, severity = the(found, "rely only on aggregator copies")
    assert severity == CITATION_SEVERITY["aggregator_share"]
    assert "1 of 2 events (50.0%)" in next(m for *_, m in found if "rely only on" in m)


def test_citation_classes() -> None:
    q = load_quality()
    assert citation_class("https://www.justice.gov/opa/pr/x", q) == "official"
    assert citation_class("https://www.gob.mx/sre/prensa/x", q) == "official"
    assert citation_class("https://webharvest.gov/peth04/x", q) == "archive"
    assert citation_class("https://web.archive.org/web/2001/http://x.com/", q) == "archive"
    assert citation_class("https://www.latimes.com/archives/la-xpm-1985", q) == "original"
    assert citation_class("https://wikisum.wiki/wiki/X", q) == "aggregator"
    assert citation_class("http://20.210.105.67/txt/x", q) == "aggregator"
    assert citation_class("https://uat.apnews.com/x", q) == "aggregator"


def test_every_quality_list_entry_has_a_reason_and_a_bad_file_is_refused(tmp_path: Path) -> None:
    q = load_quality()
    for entries in (q.test_subdomains, q.mirror_subdomains, q.archives, q.aggregators):
        assert entries and all(len(reason) > 5 for reason in entries.values())
    assert not set(q.archives) & set(q.aggregators)
    bad = tmp_path / "quality.yaml"
    bad.write_text("aggregators:\n  - domain: example.org\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"aggregators\[0\] needs 'domain' and a one-line"):
        load_quality(bad)


def test_coverage_counts_classes_flags_and_copy_only_events(tmp_path: Path) -> None:
    root = kb_with(
        tmp_path,
        event(
            "2020-12-15-a", "2020-12-15", cite("https://pledgetimes.com/x", title="[URL slug] x")
        ),
        event("2021-01-14-b", "2021-01-14", GOOD, cite("https://www.justice.gov/x", published="")),
    )
    report = coverage(load(root))
    assert report["events"] == 2
    assert report["events_by_year"] == {"2020": 1, "2021": 1}
    assert report["events_by_instrument"] == {"foreign_agent_law": 2}
    assert report["citations"] == 3
    assert report["citations_by_class"] == {
        "original": 1,
        "official": 1,
        "archive": 0,
        "aggregator": 1,
    }
    assert report["flags"]["aggregator_host"] == 1
    assert report["flags"]["placeholder_title"] == report["placeholder_titles"] == 1
    assert report["flags"]["missing_published"] == 1
    assert report["titles_not_seen"] == report["flags"]["title_not_seen"] == 0
    assert report["events_only_aggregator"] == 1
    assert report["share_events_only_aggregator"] == 0.5
    assert report["events_only_aggregator_ids"] == ["2020-12-15-a"]
    assert report["events_with_effect"] == 2


def test_kb_coverage_json_on_the_real_knowledge_base() -> None:
    result = CliRunner().invoke(cli, ["kb", "coverage", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    kb = load()
    assert report["events"] == len(kb.events)
    assert sum(report["events_by_year"].values()) == report["events"]
    assert set(report["citations_by_class"]) == set(QUALITY_CLASSES)
    assert sum(report["citations_by_class"].values()) == report["citations"]
    assert report["citations"] == sum(len(e.record.sources) for e in kb.events)
    assert sum(report["citation_share_by_class"].values()) == pytest.approx(1, abs=1e-3)
    assert set(report["flags"]) == set(FLAG_KINDS)
    assert report["events_only_aggregator"] == len(report["events_only_aggregator_ids"])
    assert 0 <= report["share_events_only_aggregator"] <= 1


def test_kb_coverage_of_one_file_and_as_a_table() -> None:
    one = json.loads(
        CliRunner().invoke(cli, ["kb", "coverage", "--json", "--file", "1985-2016.yaml"]).output
    )
    assert one["files"] == ["1985-2016.yaml"]
    assert 0 < one["events"] < coverage()["events"]
    table = CliRunner().invoke(cli, ["kb", "coverage"])
    assert table.exit_code == 0 and "citation_share_by_class.aggregator" in table.output


EARLY_FILES = ("1985-2016.yaml", "sweep-1985-2005.yaml")


def test_the_early_record_is_sourced_and_annotated() -> None:
    """Regression for issue 18's audit on the 1985-2016 files: no IP, test, mirror or
    aggregator copy, no placeholder, every page dated (or ``unknown``) and none late without a
    reason, every event with the editor's effect and rationale."""
    report = coverage(files=EARLY_FILES)
    assert report["files"] == sorted(EARLY_FILES)
    for kind in ("ip_host", "test_host", "mirror_host", "aggregator_host", "placeholder_title",
                 "missing_published", "late_citation"):  # fmt: skip
        assert report["flags"][kind] == 0, kind
    assert report["events_only_aggregator"] == 0
    assert report["events_with_effect"] == report["events"]
    kb = load()
    early = [e.record for e in kb.events if e.file.name in EARLY_FILES]
    assert all(e.effect_rationale for e in early)
    sweep = [e.record for e in kb.events if e.file.name == "sweep-1985-2005.yaml"]
    assert len(sweep) >= 35
    assert all(1985 <= e.date.year <= 2005 and e.verified for e in sweep)
    assert all(s.publisher and s.published is not None for e in sweep for s in e.sources)
    assert len({i for e in sweep for i in e.instruments}) >= 5
