"""The shipped gold file against the seed articles, and load_gold on malformed files."""

import json
from pathlib import Path

import pytest

from evals.gold import GoldError, GoldItem, load_gold
from evals.metrics import fold

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "evals" / "gold.jsonl"
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def items() -> list[GoldItem]:
    return load_gold(GOLD)


@pytest.fixture(scope="module")
def articles() -> dict[str, str]:
    return {p.name: fold(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}


def test_counts(items):
    assert len(items) >= 60
    assert sum(not item.answerable for item in items) >= 12
    assert sum(bool(item.history) for item in items) >= 5


def test_ids_unique_and_in_order(items):
    assert [item.id for item in items] == [f"q{i:03d}" for i in range(1, len(items) + 1)]


def test_sources_are_seed_files(items, articles):
    for item in items:
        assert set(item.sources) <= set(articles), item.id


def _is_number_variant(answer: str, answers: tuple[str, ...], text: str) -> bool:
    """'1000' listed beside '1,000' that the article prints: the same number, another form."""
    return any(fold(answer) == fold(other).replace(",", "") and fold(other) in text for other in answers)


def test_every_answer_is_in_a_named_source(items, articles):
    for item in items:
        texts = [articles[s] for s in item.sources]
        for answer in item.answers:
            found = any(fold(answer) in text for text in texts)
            variant = any(_is_number_variant(answer, item.answers, text) for text in texts)
            assert found or variant, f"{item.id}: {answer!r} is not in {item.sources}"


def test_every_named_source_holds_an_answer(items, articles):
    for item in items:
        for source in item.sources:
            assert any(fold(a) in articles[source] for a in item.answers), f"{item.id}: {source}"


def test_unanswerable_entries_are_empty(items):
    for item in items:
        if not item.answerable:
            assert item.answers == () and item.sources == (), item.id


def test_history_is_passed_as_tuples(items):
    followup = next(item for item in items if item.history)
    assert followup.history_list() == [tuple(turn) for turn in followup.history]
    assert next(item for item in items if not item.history).history_list() is None


GOOD = {"id": "q1", "question": "Who?", "answers": ["Fidan"], "sources": ["a.txt"], "answerable": True}


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(**changes) -> str:
    obj = {**GOOD, **changes}
    return json.dumps({k: v for k, v in obj.items() if v is not ...})


def test_load_gold_reads_a_good_file(tmp_path):
    history = [["user", "Who led Ukraine?"], ["assistant", "Umerov [1]."]]
    path = _write(tmp_path, _line(), "", _line(id="q2", history=history))
    items = load_gold(path)
    assert items[0] == GoldItem("q1", "Who?", ("Fidan",), ("a.txt",), True)
    assert items[1].history == (("user", "Who led Ukraine?"), ("assistant", "Umerov [1]."))


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"id": "q2", "question": ', "bad JSON"),
        ('["q2"]', "expected a JSON object"),
        (_line(id="q2", sources=...), "missing field 'sources'"),
        (_line(id="q2", answer="x"), "unknown field 'answer'"),
        (_line(id="q2", answers="Fidan"), "'answers' must be a list"),
        (_line(id="q2", answerable="yes"), "'answerable' must be true or false"),
        (_line(id="q2", question=""), "'question' must be a non-empty string"),
        (_line(id="q2", answerable=False), "answerable is false"),
        (_line(id="q2", answers=[], sources=[]), "needs at least one answer"),
        (_line(id="q1"), "duplicate id 'q1'"),
        (_line(id="q2", history=[["user", "a", "b"]]), "[role, text] pair"),
        (_line(id="q2", history=[["system", "a"]]), "role must be 'user' or 'assistant'"),
        (_line(id="q2", history="user: hi"), "'history' must be a list"),
    ],
)
def test_load_gold_names_the_line_and_the_problem(tmp_path, bad_line, message):
    path = _write(tmp_path, _line(), "", bad_line)
    with pytest.raises(GoldError) as caught:
        load_gold(path)
    assert f"{path}:3:" in str(caught.value)
    assert message in str(caught.value)


def test_load_gold_missing_or_empty_file(tmp_path):
    with pytest.raises(GoldError, match="not found"):
        load_gold(tmp_path / "nope.jsonl")
    with pytest.raises(GoldError, match="no questions"):
        load_gold(_write(tmp_path, ""))


def test_gold_error_is_a_value_error():
    assert issubclass(GoldError, ValueError)
