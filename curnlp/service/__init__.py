"""``curnlp serve``: routing over HTTP for operators and other systems.

* :mod:`curnlp.service.config`: the settings of one service (:class:`ServeConfig`) and its limits;
* :mod:`curnlp.service.holder`: the Router a worker serves, its loading and hot reload;
* :mod:`curnlp.service.feedback`: the SQLite store of operators' final labels, :func:`read_feedback`;
* :mod:`curnlp.service.metrics`: Prometheus counters and histograms (one registry for all workers);
* :mod:`curnlp.service.app`: the ASGI application (FastAPI): endpoints, errors, the operator's page;
* :mod:`curnlp.service.server`: uvicorn in this process or in N worker processes, signals.

Nothing here is imported by ``import curnlp``: the web stack (FastAPI, uvicorn,
prometheus-client; the ``serve`` extra) loads only when ``curnlp serve`` runs, except
:mod:`curnlp.service.feedback`, which needs only the standard library and pandas.
"""
