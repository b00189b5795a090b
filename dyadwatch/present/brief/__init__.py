"""The brief: one to three pages a person would hand to a principal, as HTML or PDF.

Public API::

    brief(store, path, as_of, *, dyad="USA-MEX", freq="month", sensitive="mark", lang="en",
          previous=None, stale_after_days=None) -> Path
    write_brief(overview, path) -> Path
    render_html(overview) -> str
    render_pdf(overview) -> bytes

Content comes from :func:`dyadwatch.present.overview.overview` (in the brief's language);
layout from :mod:`dyadwatch.present.brief.content`; rendering from
:mod:`dyadwatch.present.brief.render`, its charts from :mod:`dyadwatch.present.charts`.
See docs/brief.md.
"""

from dyadwatch.present.brief.render import (
    FORMATS,
    brief,
    brief_format,
    render_html,
    render_pdf,
    write_brief,
)

__all__ = ["FORMATS", "brief", "brief_format", "render_html", "render_pdf", "write_brief"]
