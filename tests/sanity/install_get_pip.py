"""Put the offline get-pip stand-in where the installed ansible-test looks for its cached bootstrap script."""

import shutil
import types
from pathlib import Path

from ansible_test._internal.python_requirements import get_venv_packages

HERE = Path(__file__).resolve().parent


def main():
    pip_version = get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"]
    target = Path.home() / ".ansible" / "test" / "cache" / f"get_pip_{pip_version.replace('.', '_')}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "offline_get_pip.py", target)
    print(f"offline get-pip stand-in for pip {pip_version}: {target}")


if __name__ == "__main__":
    main()
