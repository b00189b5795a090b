"""Every error dyadwatch raises on purpose, under one root.

Library code raises these; each edge translates them exactly once: the CLI prints one line
(``error: <message>``) and exits non-zero, the API answers with one JSON error shape. A
message says what went wrong *and* what to do next.

::

    DyadwatchError
    ├── UsageError                  a bad argument or parameter (CLI flag, API query, Python arg)
    ├── ConfigError                 dyadwatch.toml or an environment variable is invalid
    ├── CodebookError               a code is not in the codebook (CAMEO, country, agent type)
    ├── SourceError
    │   ├── UnknownSourceError      no source by that name (with a did-you-mean)
    │   ├── ArtifactError           an input file cannot be read as the source's format
    │   └── DownloadError           a download failed after its retries
    ├── StoreError
    │   ├── NotAStoreError          the directory exists but is not a dyadwatch store
    │   ├── StoreLockedError        another process holds the writer lock
    │   └── MigrationError          the store's schema is newer than this dyadwatch
    ├── RowRejected                 one input row is invalid (quarantined unless strict)
    ├── KnowledgeBaseError          the curated knowledge base does not validate
    ├── RuleError                   a rule file or rule condition is invalid
    │   └── UnknownMetricError      a condition names a metric that does not exist
    ├── AnalysisError               an analysis cannot be computed from the data given
    └── NetworkFormatError          a network file cannot be read as the format claimed
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DyadwatchError(Exception):
    """Root of every error dyadwatch raises on purpose."""


class UsageError(DyadwatchError):
    """A bad argument or parameter."""


class ConfigError(DyadwatchError):
    """A setting in dyadwatch.toml or the environment is invalid."""


class CodebookError(DyadwatchError):
    """A code is not in its codebook."""


class SourceError(DyadwatchError):
    """A source cannot discover, download or read its artifacts."""


class UnknownSourceError(SourceError):
    """No source is registered under the given name."""


class ArtifactError(SourceError):
    """An input file cannot be read as the format its source expects."""


class DownloadError(SourceError):
    """A download failed after its retries."""


class StoreError(DyadwatchError):
    """The store cannot be opened, read or written."""


class NotAStoreError(StoreError):
    """The directory exists but is not a dyadwatch store."""


class StoreLockedError(StoreError):
    """Another process holds the store's writer lock."""


class MigrationError(StoreError):
    """The store's schema cannot be migrated to this version of dyadwatch."""


class RowRejected(DyadwatchError):
    """One input row is invalid; carries where and why so it can be quarantined."""

    def __init__(self, reason: str, *, line: int | None = None, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


class KnowledgeBaseError(DyadwatchError):
    """The curated knowledge base does not validate."""


class RuleError(DyadwatchError):
    """A rule file or a rule's condition is invalid."""


class UnknownMetricError(RuleError):
    """A rule condition names a metric that does not exist."""


class AnalysisError(DyadwatchError):
    """An analysis cannot be computed from the data it was given."""


class NetworkFormatError(DyadwatchError):
    """A network file cannot be read as the format it claims to be."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` Did you mean X?`` for the closest choice, or ``""`` if none is close.

    >>> did_you_mean("gdlet", ["gdelt", "curated"])
    ' Did you mean gdelt?'
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]}?" if close else ""
