"""dyadwatch: watch a bilateral security relationship, with evidence, as of any date.

The package is laid out by the data's journey (see DESIGN.md)::

    sources -> (coding) -> normalise -> store -> analyse -> policy -> present

Nothing heavy is imported here; import the stage you need.
"""

__version__ = "0.1.0"
