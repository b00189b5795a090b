"""Partner release packages: share the picture without sources and methods, and mark each copy.

A release is a directory (and a zip of it) for one recipient, as of one day, for one dyad:

``events.csv`` / ``events.parquet``
    The dyad's events public by that day whose ``handling`` is ``public``. Sensitive-handling
    events are withheld entirely, and the columns in :data:`DROPPED_FIELDS` — the sources'
    own keys, pipeline internals and the analyst's assessments, i.e. sources and methods —
    are removed from every row. ``event_id`` is the copy's own pseudonym of each event
    (below), never the stored id, so the withheld source keys cannot be recovered from it.
``index-<freq>.csv``
    The cooperation–conflict index, per source and fused.
``findings.csv``
    The rules as of that day: status and explanation.
``README.txt``, ``manifest.json``
    What is inside and which fields were left out; the SHA-256 of every file. Neither says
    whether any event was withheld (``disclose_withheld=True`` says how many).

Nothing in a package is computed from withheld data: the index and the findings are computed
from a private temporary store that holds only the released events (plus the indicator and
instrument-state datasets and the volume denominators, which carry no handling marks), so a
count or a rule cannot betray a withheld event.

Each copy is marked in five ways, from the store's secret release key (``<store>/release.key``,
created with the first release, readable by its owner only) and the copy's id:

1. visibly: the column ``release_copy`` on every row of every table, the copy in the Parquet
   metadata, a marking line naming the recipient at the top of the README;
2. keyed ids: each event's ``event_id`` is an HMAC of the stored id under the copy's key,
   different in every copy and meaningless without the key;
3. row order: events are listed in the order of another HMAC of the copy's key;
4. column order: after ``release_copy`` and ``event_id``, the events' columns come in an
   order of the copy's own (a harmless per-copy variation: readers use the header);
5. the register: every copy is entered in the store's release register (:func:`register`).

:func:`identify` weighs every one of these against the register, reports where they disagree
(a rewritten marking column is a conflict, not a verdict) and says how sure it is. See
``docs/release.md`` for the threat model: a partner who edits a file before passing it on.
"""

from dyadwatch.present.release.build import (
    DROPPED_FIELDS,
    Release,
    build_release,
    drop_list,
    register,
    shipped_defaults,
    verify,
)
from dyadwatch.present.release.identify import (
    CERTAIN,
    STRONG,
    WEAK,
    Identification,
    Match,
    Signal,
    identify,
)
from dyadwatch.present.release.marks import (
    COPY_ID_BYTES,
    FIXED_COLUMNS,
    KEY_FILE,
    MARK_COLUMN,
    column_order,
    copy_key,
    keyed_id,
    release_key,
)

__all__ = [
    "CERTAIN",
    "COPY_ID_BYTES",
    "DROPPED_FIELDS",
    "FIXED_COLUMNS",
    "KEY_FILE",
    "MARK_COLUMN",
    "STRONG",
    "WEAK",
    "Identification",
    "Match",
    "Release",
    "Signal",
    "build_release",
    "column_order",
    "copy_key",
    "drop_list",
    "identify",
    "keyed_id",
    "register",
    "release_key",
    "shipped_defaults",
    "verify",
]
