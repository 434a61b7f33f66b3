"""A small mutation check: do the unit tests notice when the action code changes behaviour?

Each mutation below is a one-line, behaviour-changing edit to the action, context, flow or
feedback code. For
each, the code is copied to a temporary directory, the edit applied there (the working tree is
never touched), and the unit tests of the actions run against the copy. A mutation the tests do
not fail on is a gap in the tests: the script lists it and exits 1.

    make mutation          # or: .venv/bin/python -m bot.tools.mutation_check [-k context]

Add a mutation when a bug slipped past the tests: it keeps the test that now catches it honest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
# What the action tests need: the code, the test package and its fixtures, the domain.
COPIED = ("actions", "bot", "tests/__init__.py", "tests/conftest.py", "tests/actions", "domain.yml")
TESTS = "tests/actions"


@dataclass(frozen=True)
class Mutation:
    path: str
    before: str  # must occur exactly once in the file
    after: str
    why: str  # the behaviour it breaks


MUTATIONS = (
    Mutation(
        "actions/context.py",
        'elif _last_answer(tracker).get("aspect") and _last_answer(tracker).get("roles"):',
        'elif _last_answer(tracker).get("roles"):',
        '"more" after a whole role card repeats it instead of saying that is all',
    ),
    Mutation(
        "actions/context.py",
        'if last.get("kind") == "duties"',
        'if last.get("kind") == "comparison"',
        '"more" after one aspect of a comparison gives a role card, not the whole table',
    ),
    Mutation(
        "actions/context.py",
        "pair = [earlier[0], roles[0]] if roles[0] != earlier[0] else earlier",
        "pair = [earlier[0], roles[0]]",
        '"what about <a role already compared>?" compares the role with itself',
    ),
    Mutation(
        "actions/context.py",
        'if roles and _last_answer(tracker).get("kind") == "comparison" and earlier:',
        'if roles and _last_answer(tracker).get("kind") == "comparison" or earlier:',
        '"what about X?" after a role card compares instead of describing X',
    ),
    Mutation(
        "actions/context.py",
        'return [SlotSet("roles", [roles[0]]), SlotSet("topic", None), *events]',
        'return [SlotSet("roles", [roles[0]]), *events]',
        '"what about X?" keeps the old topic, so "tell me more" continues the wrong answer',
    ),
    Mutation(
        "actions/context.py",
        'topic = kb.topics.get(tracker.get_slot("topic") or "")',
        'topic = kb.topics.get(tracker.get_slot("topic") or "follow_up")',
        '"why?" with no topic answers for follow-up instead of saying there is nothing',
    ),
    Mutation(
        "actions/checklist.py",
        "topic_of_flow(READINESS_FORM if readiness else STALLED_DEAL_FORM)",
        "topic_of_flow(STALLED_DEAL_FORM)",
        '"why?" during the readiness check answers about following up',
    ),
    Mutation(
        "actions/feedback.py",
        'SKIP_INTENTS = ("deny", "stop")',
        'SKIP_INTENTS = ("deny",)',
        '"stop" in the feedback form is stored as the comment',
    ),
    Mutation(
        "actions/feedback.py",
        '"entry_ids": answer.get("entry_ids", []),',
        '"entry_ids": [],',
        "feedback no longer names the knowledge-base entries it rates",
    ),
    Mutation(
        "actions/feedback.py",
        '== "feedback_positive" else "down"',
        '== "feedback_positive" else "up"',
        "👎 is recorded as 👍",
    ),
)


def _copy(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "node_modules", "vendor")
    for name in COPIED:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _apply(root: Path, mutation: Mutation) -> None:
    path = root / mutation.path
    code = path.read_text(encoding="utf-8")
    found = code.count(mutation.before)
    if found != 1:  # the code moved on: the mutation must be rewritten, not silently skipped
        raise SystemExit(f"{mutation.path}: {mutation.before!r} occurs {found} times, not once")
    path.write_text(code.replace(mutation.before, mutation.after), encoding="utf-8")


def _run_tests(root: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path, ahead of the editable install of the project.
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", TESTS]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)


def _imports_the_copy(root: Path) -> bool:
    env = {**os.environ, "PYTHONPATH": str(root)}
    probe = [sys.executable, "-c", "import actions.context as m; print(m.__file__)"]
    result = subprocess.run(probe, cwd=root, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip().startswith(str(root))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only mutations whose file contains this")
    args = parser.parse_args(argv)
    mutations = [m for m in MUTATIONS if args.k in m.path]
    survived = []
    with tempfile.TemporaryDirectory(prefix="mutation-") as temp:
        clean = Path(temp) / "clean"
        _copy(clean)
        if not _imports_the_copy(clean):
            print("the tests would not run against the copy (check PYTHONPATH)", file=sys.stderr)
            return 2
        baseline = _run_tests(clean)
        if baseline.returncode != 0:  # a mutation "caught" by already failing tests proves nothing
            print(baseline.stdout[-3000:], "the unmutated tests fail: fix them first", sep="\n")
            return 2
        for number, mutation in enumerate(mutations, start=1):
            root = Path(temp) / f"mutant-{number}"
            _copy(root)
            _apply(root, mutation)
            started = time.monotonic()
            result = _run_tests(root)
            caught = result.returncode != 0
            seconds = time.monotonic() - started
            verdict = "caught  " if caught else "SURVIVED"
            print(f"{verdict} {mutation.path}: {mutation.why} ({seconds:.0f}s)")
            if not caught:
                survived.append(mutation)
    print(f"{len(mutations) - len(survived)} of {len(mutations)} mutations caught by {TESTS}")
    return 1 if survived else 0


if __name__ == "__main__":
    raise SystemExit(main())
