"""The pytest plugin (entry point ``pytest11``, loaded by pytest once this
package is installed).

Fixtures:

``ecs_ledger_server``
    a running :class:`~ecs_ledger.EcsLedgerServer` (manual clock, generated
    keys, a temporary directory), stopped cleanly after its scope: a test
    fails in teardown if the server does not exit 0 on SIGTERM.

``ecs_ledger_factory``
    ``start(**options)`` starts more servers, each with
    :class:`~ecs_ledger.EcsLedgerServer`'s options (``durations``, ``seed``,
    ``extra_args``...); all are stopped after its scope.

Both have the scope of the ``ecs_ledger_scope`` ini option: ``function``
(the default: a fresh ledger per test), ``class``, ``module``, ``package``
or ``session``. ``ecs_ledger_bin`` (or the ``ECS_LEDGER_BIN`` environment
variable) runs another ``ecs-ledger`` executable than the installed one.
"""
import os

import pytest

from ._binary import ENV as BIN_ENV
from ._server import EcsLedgerServer

def pytest_addoption(parser):
    parser.addini("ecs_ledger_scope", default="function",
                  help="scope of the ecs_ledger_server and ecs_ledger_factory fixtures "
                       "(function, class, module, package, session)")
    parser.addini("ecs_ledger_bin", default="",
                  help="the ecs-ledger executable to run (default: $ECS_LEDGER_BIN, else the installed one)")


def _scope(fixture_name, config):
    # pytest itself refuses a value that is not a scope, naming it.
    return config.getini("ecs_ledger_scope") or "function"


def _binary(config):
    return config.getini("ecs_ledger_bin") or os.environ.get(BIN_ENV) or None


def _close(server):
    code = server.close()
    if code != 0:
        pytest.fail(f"ecs-ledger serve exited {code} on SIGTERM (log and data kept in {server.directory})",
                    pytrace=False)


@pytest.fixture(scope=_scope)
def ecs_ledger_factory(pytestconfig):
    """``start(**options)`` -> a running EcsLedgerServer; all stopped after."""
    started = []

    def start(**options):
        options.setdefault("binary", _binary(pytestconfig))
        server = EcsLedgerServer(**options).start()
        started.append(server)
        return server

    yield start
    failures = []
    for server in reversed(started):
        try:
            _close(server)
        except BaseException as e:  # stop every server before reporting
            failures.append(e)
    if failures:
        raise failures[0]


@pytest.fixture(scope=_scope)
def ecs_ledger_server(ecs_ledger_factory):
    """A running ``ecs-ledger serve`` with a manual clock: ``.endpoint``,
    ``.key`` / ``.admin_key``, ``.advance(seconds)``, ``.advance_to(time)``,
    ``.tea_config()``, ``.health()``, ``.metrics()``."""
    return ecs_ledger_factory()
