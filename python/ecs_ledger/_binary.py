"""Where the ``ecs-ledger`` executable is."""
import os
import shutil
import sys
import sysconfig

ENV = "ECS_LEDGER_BIN"
NAME = "ecs-ledger.exe" if os.name == "nt" else "ecs-ledger"


def binary():
    """The path of the ``ecs-ledger`` executable: ``$ECS_LEDGER_BIN`` when set
    (a development build, say), else the one installed with this package
    (the environment's scripts directory, the user scheme's, beside the
    interpreter), else the first on ``PATH``. Raises FileNotFoundError."""
    chosen = os.environ.get(ENV)
    if chosen:
        if not os.path.isfile(chosen):
            raise FileNotFoundError(f"{ENV}={chosen!r} is not a file")
        return chosen
    directories = [sysconfig.get_path("scripts")]
    try:
        directories.append(sysconfig.get_path("scripts", f"{os.name}_user"))
    except KeyError:
        pass
    directories.append(os.path.dirname(sys.executable))
    for directory in directories:
        if directory:
            path = os.path.join(directory, NAME)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    found = shutil.which(NAME)
    if found:
        return found
    raise FileNotFoundError(
        f"no {NAME} executable: install the ecs-ledger package, or set {ENV} to one")
