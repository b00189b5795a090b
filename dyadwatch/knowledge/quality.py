"""Citation quality: where a cited page lives, and what is wrong with how it is cited.

The lists this module reads are data, kept in ``dyadwatch/knowledge/quality.yaml`` (each
entry with a one-line reason; FORMAT.md, "Citation quality"): test and mirror host labels,
government host suffixes, archives, and aggregators or content farms.

Every citation falls in one **quality class**:

- ``aggregator``: a copy of another outlet's page without its standing — a domain on the
  aggregator list, or a host that is not a publisher's public site (a raw IP address, a
  test/staging label, a mirror label);
- ``archive``: a domain that keeps credited copies of pages or documents (Wayback Machine,
  CRS report copies, Federal Register mirrors);
- ``official``: a government host (``.gov``, ``.mil``, ``.gob.mx`` …);
- ``original``: anything else — the publisher's own page.

and may carry **flags** (:data:`FLAG_KINDS`): ``ip_host``, ``test_host``, ``mirror_host``,
``aggregator_host``, ``placeholder_title``, ``title_not_seen`` (the editor says the headline
was not seen), ``missing_published`` and ``late_citation`` (a
page published more than ``late_days`` after the fact became public, without a
``late_reason``).

Examples
--------
>>> q = load_quality()
>>> citation_class("https://uat.apnews.com/article/x", q)
'aggregator'
>>> [f.kind for f in host_flags("http://20.210.105.67/txt/a.html", q)]
['ip_host']
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import yaml

from dyadwatch.errors import ConfigError
from dyadwatch.knowledge.schema import EventRecord, SourceRef

QualityClass = Literal["original", "official", "archive", "aggregator"]
QUALITY_CLASSES: tuple[QualityClass, ...] = ("original", "official", "archive", "aggregator")
"""The classes of :func:`citation_class`, best first."""

FLAG_KINDS: tuple[str, ...] = (
    "ip_host",
    "test_host",
    "mirror_host",
    "aggregator_host",
    "placeholder_title",
    "title_not_seen",
    "missing_published",
    "late_citation",
)
"""Every flag a citation can carry, in the order ``kb validate`` reports them."""


@dataclass(frozen=True, slots=True)
class QualityLists:
    """The lists of ``quality.yaml``: each maps an entry to its reason."""

    test_subdomains: dict[str, str] = field(default_factory=dict)
    mirror_subdomains: dict[str, str] = field(default_factory=dict)
    allowed_hosts: dict[str, str] = field(default_factory=dict)
    official_suffixes: dict[str, str] = field(default_factory=dict)
    archives: dict[str, str] = field(default_factory=dict)
    aggregators: dict[str, str] = field(default_factory=dict)
    placeholder_titles: tuple[tuple[re.Pattern[str], str], ...] = ()
    unseen_titles: tuple[tuple[re.Pattern[str], str], ...] = ()
    late_days: int = 30
    aggregator_only_max_share: float = 0.05


@dataclass(frozen=True, slots=True)
class CitationFlag:
    """One thing wrong with one citation: its kind, the field it is about, and why."""

    kind: str
    field: str
    message: str


def quality_path() -> Path:
    """The shipped lists: ``dyadwatch/knowledge/quality.yaml``."""
    return Path(str(resources.files("dyadwatch.knowledge").joinpath("quality.yaml")))


def _entries(raw: dict[str, Any], key: str, name: str, path: Path) -> dict[str, str]:
    items = raw.get(key) or []
    if not isinstance(items, list):
        raise ConfigError(f"{path}: '{key}' must be a list; see FORMAT.md, Citation quality")
    out: dict[str, str] = {}
    for i, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get(name), str) and item.get("reason"):
            out[item[name].strip().lower().strip(".")] = str(item["reason"])
        else:
            raise ConfigError(
                f"{path}: {key}[{i}] needs '{name}' and a one-line 'reason' (FORMAT.md, "
                "Citation quality)"
            )
    return out


def load_quality(path: Path | str | None = None) -> QualityLists:
    """Read the quality lists (default: the shipped ``quality.yaml``).

    Parameters
    ----------
    path
        A YAML file with the keys of ``dyadwatch/knowledge/quality.yaml``.

    Returns
    -------
    QualityLists

    Raises
    ------
    ConfigError
        When the file is missing, does not parse, or an entry has no reason.

    Examples
    --------
    >>> "nohib.com" in load_quality().aggregators
    True
    """
    if path is None:
        return _shipped()
    return _read(Path(path))


@cache
def _shipped() -> QualityLists:
    return _read(quality_path())


def _read(path: Path) -> QualityLists:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the citation quality lists {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of lists (FORMAT.md, Citation quality)")
    patterns = {key: _patterns(raw, key, path) for key in ("placeholder_titles", "unseen_titles")}
    return QualityLists(
        test_subdomains=_entries(raw, "test_subdomains", "label", path),
        mirror_subdomains=_entries(raw, "mirror_subdomains", "label", path),
        allowed_hosts=_entries(raw, "allowed_hosts", "host", path),
        official_suffixes=_entries(raw, "official_suffixes", "suffix", path),
        archives=_entries(raw, "archives", "domain", path),
        aggregators=_entries(raw, "aggregators", "domain", path),
        placeholder_titles=patterns["placeholder_titles"],
        unseen_titles=patterns["unseen_titles"],
        late_days=int(raw.get("late_days", 30)),
        aggregator_only_max_share=float(raw.get("aggregator_only_max_share", 0.05)),
    )


def _patterns(raw: dict[str, Any], key: str, path: Path) -> tuple[tuple[re.Pattern[str], str], ...]:
    out = []
    for pattern, reason in _entries(raw, key, "pattern", path).items():
        try:
            out.append((re.compile(pattern, re.IGNORECASE), reason))
        except re.error as exc:
            raise ConfigError(f"{path}: {key} pattern {pattern!r}: {exc}") from exc
    return tuple(out)


def host_of(url: str) -> str:
    """The host of ``url``, lower case, without port or trailing dot.

    >>> host_of("http://Pyxis.Nohib.com./x")
    'pyxis.nohib.com'
    """
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        host = ""
    return host.lower().rstrip(".")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _matches(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _listed(host: str, entries: dict[str, str]) -> tuple[str, str] | None:
    for domain, reason in entries.items():
        if _matches(host, domain):
            return domain, reason
    return None


def host_flags(url: str, quality: QualityLists) -> list[CitationFlag]:
    """Flags of a URL's host: ``ip_host``, ``test_host``, ``mirror_host``, ``aggregator_host``.

    A test label counts anywhere before the last two labels (``uat.apnews.com``,
    ``www.staging.example.org``); a mirror label only as the first label.

    >>> [f.kind for f in host_flags("https://digital-stage.newsnationnow.com/a", load_quality())]
    ['test_host']
    """
    host = host_of(url)
    out: list[CitationFlag] = []
    if not host:
        return out
    if _is_ip(host):
        out.append(
            CitationFlag(
                "ip_host",
                "url",
                f"host {host} is a raw IP address, not a publisher's site: cite the publisher's "
                "own page (keep this one as archived_copy only if it is a faithful copy)",
            )
        )
        return out
    if host in quality.allowed_hosts:
        return out
    labels = host.split(".")
    for label in labels[:-2]:
        if label in quality.test_subdomains:
            out.append(
                CitationFlag(
                    "test_host",
                    "url",
                    f"host {host} is a test/staging copy ({label}.: "
                    f"{quality.test_subdomains[label]}): cite the public page",
                )
            )
            break
    if len(labels) > 2 and labels[0] in quality.mirror_subdomains and not out:
        out.append(
            CitationFlag(
                "mirror_host",
                "url",
                f"host {host} is a mirror copy ({labels[0]}.: "
                f"{quality.mirror_subdomains[labels[0]]}): cite the original publisher's page",
            )
        )
    found = _listed(host, quality.aggregators)
    if found is not None:
        out.append(
            CitationFlag(
                "aggregator_host",
                "url",
                f"{found[0]} is on the aggregator list ({found[1]}): cite the original "
                "publisher's page where one exists",
            )
        )
    return out


def citation_class(url: str, quality: QualityLists) -> QualityClass:
    """The quality class of a cited URL (module docstring).

    >>> q = load_quality()
    >>> [citation_class(u, q) for u in ("https://www.justice.gov/x", "https://www.reuters.com/x",
    ...  "https://web.archive.org/web/2001/http://x.com", "https://stats.nohib.com/x")]
    ['official', 'original', 'archive', 'aggregator']
    """
    host = host_of(url)
    if host_flags(url, quality):
        return "aggregator"
    if _listed(host, quality.archives) is not None:
        return "archive"
    if _listed(host, quality.official_suffixes) is not None:
        return "official"
    return "original"


def _slug_words(url: str) -> str:
    path = unquote(urlsplit(url).path).rstrip("/")
    last = path.rsplit("/", 1)[-1]
    last = re.sub(r"\.(s?html?|php|aspx?|cfm|jsp)$", "", last, flags=re.IGNORECASE)
    return " ".join(re.findall(r"[a-z0-9]+", last.lower()))


def placeholder_reason(title: str, url: str, quality: QualityLists) -> str | None:
    """Why ``title`` is a stand-in rather than the page's title, or None.

    >>> q = load_quality()
    >>> placeholder_reason("[URL slug] mexico cienfuegos", "https://x.com/a", q) is not None
    True
    >>> url = "https://x.com/mexico-cienfuegos-drug-charges"
    >>> placeholder_reason("mexico cienfuegos drug charges", url, q)
    'the title only restates the URL slug in lower case'
    >>> placeholder_reason("Mexico Protests U.S. Crackdown", "https://x.com/a", q) is None
    True
    """
    for pattern, reason in quality.placeholder_titles:
        if pattern.match(title):
            return reason
    words = " ".join(re.findall(r"[a-z0-9]+", title.lower()))
    if title == title.lower() and words and words == _slug_words(url):
        return "the title only restates the URL slug in lower case"
    return None


_YEAR = re.compile(r"(?<!\w)(?:(fiscal\s+year|fy)\s*)?((?:19|20)\d\d)\b", re.IGNORECASE)


def title_year(title: str) -> int | None:
    """The latest calendar year a title names, or None. A fiscal year is not a calendar
    year (the FY2011 determination is made in September 2010), so it does not count.

    >>> title_year("Mexican Drug Certification Issues: U.S. Congressional Action, 1986-1998")
    1998
    >>> title_year("Presidential Determination for Fiscal Year 2011") is None
    True
    >>> title_year("Mexico protests U.S. crackdown") is None
    True
    """
    years = [int(m.group(2)) for m in _YEAR.finditer(title) if not m.group(1)]
    return max(years) if years else None


def citation_flags(
    source: SourceRef, event: EventRecord, quality: QualityLists
) -> list[CitationFlag]:
    """Every flag of one citation of ``event``.

    ``late_citation``: the page was published more than ``quality.late_days`` days after the
    event became public (``known_at``, by default the end of its date at its precision) and
    has no ``late_reason``.

    Examples
    --------
    >>> from datetime import date
    >>> e = EventRecord.model_validate({"id": "a-b", "date": date(2026, 1, 10),
    ...     "source": "USA:DOJ", "cameo": "010", "summary": "Something happened.",
    ...     "sources": [{"url": "https://www.reuters.com/x", "title": "T",
    ...                  "published": date(2026, 2, 23)}], "verified": True})
    >>> [f.kind for f in citation_flags(e.sources[0], e, load_quality())]
    ['late_citation']
    """
    out = host_flags(source.url, quality)
    reason = placeholder_reason(source.title, source.url, quality)
    if reason is not None:
        out.append(
            CitationFlag(
                "placeholder_title",
                "title",
                f"title {source.title!r} is a placeholder ({reason}): give the page's own title",
            )
        )
    unseen = next((r for p, r in quality.unseen_titles if p.match(source.title)), None)
    if unseen is not None:
        out.append(
            CitationFlag(
                "title_not_seen",
                "title",
                f"title {source.title!r} says the headline was not seen ({unseen}): read the "
                "page and give its own title",
            )
        )
    if source.published is None:
        out.append(
            CitationFlag(
                "missing_published",
                "url",
                "no 'published' date (the page's own date, or 'unknown'; it decides from when "
                "the citation is shown)",
            )
        )
    published = source.published_date
    public = event.known_at_effective.date()
    later = title_year(source.title)
    if published is None and later is not None and later > public.year:
        out.append(
            CitationFlag(
                "title_names_later_year",
                "published",
                f"the page's date is unknown but its title names {later}, after the fact "
                f"became public: give 'published', or 'published_not_before: {later}-01-01' "
                "and a 'late_reason'",
            )
        )
    if published is not None and source.late_reason is None:
        lag = (published - public).days
        if lag > quality.late_days:
            out.append(
                CitationFlag(
                    "late_citation",
                    "published",
                    f"page published {published}, {lag} days after the fact became public "
                    f"({public}): cite a page of the time, or say why in 'late_reason'",
                )
            )
    return out


def relies_only_on_aggregators(event: EventRecord, quality: QualityLists) -> bool:
    """True when every citation of ``event`` is of class ``aggregator``.

    An ``archived_copy`` does not rescue a citation: the cited page itself is the copy.
    """
    return all(citation_class(s.url, quality) == "aggregator" for s in event.sources)


__all__ = [
    "FLAG_KINDS",
    "QUALITY_CLASSES",
    "CitationFlag",
    "QualityClass",
    "QualityLists",
    "citation_class",
    "citation_flags",
    "host_flags",
    "host_of",
    "load_quality",
    "placeholder_reason",
    "quality_path",
    "relies_only_on_aggregators",
]
