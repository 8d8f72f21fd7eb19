"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test bootstraps pip in the virtual environments of its sanity tests by downloading a get-pip script
from a host outside the package registries. Where only the registries are reachable that download fails. This
script does the same job with what Python ships: ``ensurepip``, then ``pip install`` of the requested
packages from the configured package index. ``make sanity`` copies it to the cache path ansible-test looks
at first (``~/.ansible/test/cache/get_pip_<version>.py``).
"""

import subprocess
import sys

IGNORED_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main():
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    args = [arg for arg in sys.argv[1:] if arg not in IGNORED_OPTIONS]
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    main()
