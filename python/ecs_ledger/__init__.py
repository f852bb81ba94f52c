"""ecs-ledger for Python: the ``ecs-ledger`` command, installed with this
package, and a pytest plugin that runs it for your tests.

The plugin (loaded by pytest on its own, through the ``pytest11`` entry
point) provides the ``ecs_ledger_server`` fixture: an ``ecs-ledger serve``
with a manual clock on a free loopback port, in a temporary directory, with
generated access keys::

    def test_release(ecs_ledger_server):
        ecs = Client(ecs_ledger_server.tea_config())
        ...

Outside pytest, :class:`EcsLedgerServer` is the same server as a context
manager.
"""
from ._binary import binary
from ._server import AccessKey, ApiError, EcsLedgerServer, ServerError

__all__ = ["AccessKey", "ApiError", "EcsLedgerServer", "ServerError", "binary", "__version__"]


def _version():
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return "unknown"
    try:
        return version("ecs-ledger")
    except PackageNotFoundError:
        return "unknown"


__version__ = _version()
