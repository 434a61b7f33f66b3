"""The mutation check stays in step with the code it mutates."""

from __future__ import annotations

import pytest

from bot.tools.mutation_check import MUTATIONS, PROJECT_DIR, Mutation


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.why)
def test_each_mutation_applies_to_exactly_one_place(mutation: Mutation) -> None:
    code = (PROJECT_DIR / mutation.path).read_text(encoding="utf-8")
    assert code.count(mutation.before) == 1, f"{mutation.path}: rewrite this mutation"
    assert mutation.after != mutation.before


def test_the_action_and_context_code_is_covered() -> None:
    assert {"actions/context.py", "actions/feedback.py"} <= {m.path for m in MUTATIONS}
