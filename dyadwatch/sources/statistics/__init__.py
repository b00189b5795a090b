"""Statistics sources: official download formats in, ``indicators`` chunks out.

One module per publisher format (see :mod:`dyadwatch.sources.statistics.base` for what they
share: one vintage per file, ``known_at`` given or assumed, bad rows set aside):

- ``cdc_vsrr`` (:mod:`.cdc`) — CDC/NCHS VSRR provisional drug overdose death counts;
- ``cbp_seizures`` (:mod:`.cbp`) — CBP drug seizure statistics, nationwide and AMO;
- ``sesnsp_victims`` and ``inegi_sesnsp`` (:mod:`.sesnsp`) — SESNSP victims by state and
  month, and the national INEGI-vs-SESNSP homicide table;
- ``foreign_assistance`` (:mod:`.foreign_assistance`) — ForeignAssistance.gov country totals.

Example::

    dyadwatch ingest cbp_seizures ~/Downloads/nationwide-drugs-fy21-fy24.csv
"""
