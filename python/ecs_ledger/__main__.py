"""``python -m ecs_ledger ARGS...`` runs the installed ``ecs-ledger`` command."""
import os
import subprocess
import sys

from ._binary import binary


def main():
    command = [binary(), *sys.argv[1:]]
    if os.name == "posix":
        os.execv(command[0], command)
    sys.exit(subprocess.call(command))


if __name__ == "__main__":
    main()
