"""The web application: a JSON API under ``/api/`` and a dashboard (``dyadwatch serve``).

Modules: :mod:`~.app` (the application factory), :mod:`~.routes` (JSON API),
:mod:`~.pages` (dashboard), :mod:`~.data` (cached answers over a store), :mod:`~.errors`
(the one error shape), :mod:`~.tokens` and :mod:`~.auth` (API tokens), :mod:`~.charts`
(inline SVG). Import :func:`create_app` from :mod:`dyadwatch.present.api.app`.
"""
