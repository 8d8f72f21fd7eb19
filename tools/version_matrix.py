"""`make matrix`: ansible-test sanity and a smoke of the integration tests with older ansible-core and
ansible-rulebook releases (tests/version-matrix.txt), so that meta/runtime.yml's requires_ansible and the
README's "Tested with" are facts rather than hopes.

Each release pair gets a small virtualenv under .venv-matrix/ (kept between runs, rebuilt when its
requirements change) and a copy of the collection at build/matrix/<minor>/ansible_collections/zhmc/
notifications, as ansible-test needs it. The smoke runs a handful of integration tests with that
virtualenv's python, so that ansible-galaxy, ansible-doc, ansible-playbook and ansible-rulebook are the
release under test (the tests take them from beside sys.executable).
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MATRIX_FILE = REPO / "tests" / "version-matrix.txt"
VENVS = REPO / ".venv-matrix"
TEST_DEPS = ["pytest", "pytest-timeout", "psutil", "jsonschema", "-e", str(REPO / "tools" / "hmcsim")]
SMOKE = {
    "smoke": [
        "tests/integration/test_packaging.py",
        "tests/integration/test_modules.py::test_os_command_reply_clears_the_held_message",
        "tests/integration/test_modules.py::test_session_reuse_shows_no_secret_even_at_vvv",
        "tests/integration/test_session_hidden.py",
    ],
    "rulebook": [
        "tests/integration/test_rulebooks.py::test_held_message_responder",
    ],
}
"""The integration tests of each step: "smoke" installs the tarball, renders its docs and runs modules with
the release's ansible-galaxy, ansible-doc and ansible-playbook; "rulebook" runs a shipped rulebook with the
release's ansible-rulebook through the source to a playbook and its roles."""


def read_matrix(path=MATRIX_FILE):
    """[(ansible-core minor, ansible-rulebook version or 'newest', {steps})] from the matrix file."""
    entries = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            core, rulebook, steps = line.split()
            entries.append((core, rulebook, set(steps.split(","))))
    return entries


def requirements(core, rulebook):
    rulebook_req = "ansible-rulebook" if rulebook == "newest" else f"ansible-rulebook=={rulebook}"
    return [f"ansible-core=={core}.*", rulebook_req, "-r", str(REPO / "requirements.txt"), *TEST_DEPS]


def ensure_venv(core, rulebook, python):
    """The virtualenv of one pair, built once; its stamp records the requirements it was built with."""
    venv = VENVS / f"core-{core}"
    wanted = " ".join(requirements(core, rulebook))
    stamp = venv / ".stamp"
    if stamp.exists() and stamp.read_text() == wanted:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *requirements(core, rulebook)], check=True)
    stamp.write_text(wanted)
    return venv


def collection_copy(core):
    """The files git knows (dev-only folders left out, as `make sanity` does) at the path ansible-test needs."""
    target = REPO / "build" / "matrix" / core / "ansible_collections" / "zhmc" / "notifications"
    shutil.rmtree(target.parents[2], ignore_errors=True)
    target.mkdir(parents=True)
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           check=True, capture_output=True, text=True).stdout.split()
    for name in files:
        if name.split("/", 1)[0] in ("tools", "benchmarks") or name.startswith("tests/hmcsim/"):
            continue
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    return target


def run_step(title, command, env, cwd):
    print(f"== {title}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    code = subprocess.run(command, env=env, cwd=cwd, check=False).returncode
    print(f"== {title}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {time.monotonic() - started:.0f} s",
          flush=True)
    return code == 0


def test_pair(core, rulebook, python, steps):
    venv = ensure_venv(core, rulebook, python)
    bin_dir = venv / "bin"
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    versions = subprocess.run([str(bin_dir / "python"), "-c", "import ansible.release, importlib.metadata as m; "
                               "print(ansible.release.__version__, m.version('ansible-rulebook'))"],
                              check=True, capture_output=True, text=True).stdout.split()
    label = f"ansible-core {versions[0]} / ansible-rulebook {versions[1]}"
    results = []
    if "sanity" in steps:
        subprocess.run([str(bin_dir / "python"), str(REPO / "tests/sanity/install_get_pip.py")], check=True)
        copy = collection_copy(core)
        # pep8 and pylint are left to the newest ansible-test (make sanity): older ones pin older pycodestyle and
        # pylint releases and configurations (E126-E128, the name "_" disallowed) that judge style, which does
        # not depend on the ansible-core release the way module docs, imports and argument specs do.
        results.append(run_step(f"{label}: sanity", [str(bin_dir / "ansible-test"), "sanity", "--venv",
                                                     "--python", "3.11", "--color", "no", "--skip-test", "pep8",
                                                     "--skip-test", "pylint"],
                                env, copy))
    tests = [test for step in ("smoke", "rulebook") if step in steps for test in SMOKE[step]]
    if tests:
        results.append(run_step(f"{label}: integration", [str(bin_dir / "python"), "-m", "pytest", "-q", "-p",
                                                          "no:cacheprovider", *tests], env, REPO))
    return label, all(results)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="ansible-core minor(s) to test (default: all)")
    parser.add_argument("--steps", help="comma-separated subset of the matrix file's steps (sanity, smoke, rulebook)")
    args = parser.parse_args(argv)
    python = os.environ.get("PYTHON") or "python3"
    summary = []
    for core, rulebook, steps in read_matrix():
        if args.only and core not in args.only:
            continue
        if args.steps:
            steps &= set(args.steps.split(","))
        summary.append(test_pair(core, rulebook, python, steps))
    for label, ok in summary:
        print(f"matrix: {label}: {'passed' if ok else 'FAILED'}")
    failed = sum(1 for _label, ok in summary if not ok)
    print(f"matrix: {len(summary) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
