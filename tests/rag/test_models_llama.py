"""The embedded llama.cpp backend with a real (the smallest packaged) model: warming the fixed
system prompt into llama.cpp's cache must not change what the model writes."""
from __future__ import annotations

import pytest

from rag import prompts
from rag.llm import LlamaCpp, LLMSpec, build_backend
from rag.models import model_path

SYSTEM = prompts.ANSWER_SYSTEM_SMALL
QUESTIONS = [
    "[1] The talks were held in Istanbul on 16 May and lasted under two hours.\n\nQuestion: Where were the talks held?",
    "[1] The delegation was led by the defence minister.\n[2] The two sides agreed to swap 1,000 prisoners each."
    "\n\nQuestion: How many prisoners did each side agree to swap?",
]


def test_local_backends_warm_the_engines_system_prompt(tmp_path):
    small = build_backend(LLMSpec.parse("local"), threads=2, timeout=5, retries=0, cache_dir=tmp_path)
    big = build_backend(LLMSpec.parse("local:1.5b"), threads=2, timeout=5, retries=0, cache_dir=tmp_path)
    assert small.prefix == prompts.ANSWER_SYSTEM_SMALL and small.small
    assert big.prefix == (prompts.ANSWER_SYSTEM_SMALL if big.small else prompts.ANSWER_SYSTEM)


@pytest.mark.slow
def test_a_warmed_prefix_changes_nothing_the_model_writes(tmp_path):
    path = model_path("smollm", tmp_path / "cache")
    warmed = LlamaCpp(path, "gguf:smollm", threads=2, timeout=120, prefix=SYSTEM)
    warmed.warm_up()
    replies = []
    for user in QUESTIONS:       # each on a fresh model: nothing in its cache
        cold = LlamaCpp(path, "gguf:smollm", threads=2, timeout=120)
        cold.warm_up()
        expected = "".join(cold.stream(SYSTEM, user, max_tokens=24))
        got = "".join(warmed.stream(SYSTEM, user, max_tokens=24))   # the second reuses the first's prefix
        assert got == expected
        replies.append(got)
    assert all(r.strip() for r in replies) and replies[0] != replies[1]


@pytest.mark.parametrize("threads, cores, load, own, expected", [
    (2, 2, 0.1, 0.0, 2),      # a quiet machine, newsrag idle until now
    (2, 2, 1.9, 1.7, 2),      # busy with nothing but our own answers (an eval, back to back)
    (2, 2, 1.2, 0.0, 1),      # another program holds a core
    (2, 2, 16.0, 0.4, 1),     # a shared machine, oversubscribed
    (4, 8, 3.0, 0.0, 4),      # plenty of cores free: the configured number, no more
    (1, 2, 0.0, 0.0, 1),      # one thread asked for: one
    (6, 8, 4.0, 1.0, 5),      # 8 cores, 3 busy with others: 5 free
])
def test_threads_for_uses_the_cores_others_leave_free(threads, cores, load, own, expected):
    from rag.llm import threads_for

    assert threads_for(threads, cores, load, own) == expected
