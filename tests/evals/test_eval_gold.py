"""The shipped gold files against their folders, and load_gold on malformed files."""

import json
from pathlib import Path

import pytest

from evals.gold import KINDS, GoldError, GoldItem, load_gold
from evals.metrics import contains_gold, fold

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "evals" / "gold.jsonl"
SEEDS = ROOT / "seeds"
CONFUSABLE_GOLD = ROOT / "evals" / "gold-confusable.jsonl"
CONFUSABLE = ROOT / "evals" / "corpora" / "confusable"
# the held-out sets: each written blind by someone who never ran the engine, on a folder of its own
HELDOUT_SETS = ("heldout", *(f"heldout{n}" for n in range(2, 15)))
SETS = {"seeds": (GOLD, SEEDS), "confusable": (CONFUSABLE_GOLD, CONFUSABLE),
        **{name: (ROOT / "evals" / f"gold-{name}.jsonl", ROOT / "evals" / "corpora" / name) for name in HELDOUT_SETS}}


@pytest.fixture(scope="module")
def items() -> list[GoldItem]:
    return load_gold(GOLD)


@pytest.fixture(scope="module")
def articles() -> dict[str, str]:
    return {p.name: fold(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}


@pytest.fixture(scope="module", params=list(SETS))
def gold_set(request) -> tuple[list[GoldItem], dict[str, str]]:
    """(the questions, {file name: article text}) of each shipped gold set."""
    gold, folder = SETS[request.param]
    if not gold.exists():
        pytest.skip(f"{gold.name} is not there yet")
    return load_gold(gold), {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.txt")}


def test_counts(items):
    assert len(items) >= 60
    assert sum(not item.answerable for item in items) >= 12
    assert sum(bool(item.history) for item in items) >= 5


def test_confusable_counts():
    items = load_gold(CONFUSABLE_GOLD)
    assert len(items) >= 100
    near_misses = [item for item in items if item.kind == "near-miss"]
    assert all(not item.answerable for item in near_misses)
    assert near_misses and sum(not item.answerable for item in items) >= 0.3 * len(items)
    assert len(list(CONFUSABLE.glob("*.txt"))) >= 40


def test_ids_unique_and_in_order(items):
    assert [item.id for item in items] == [f"q{i:03d}" for i in range(1, len(items) + 1)]


def test_every_row_has_a_kind(gold_set):
    questions, _ = gold_set
    assert all(item.kind in KINDS for item in questions)


def test_sources_are_files_of_the_folder(gold_set):
    questions, texts = gold_set
    for item in questions:
        assert set(item.sources) <= set(texts), item.id


def test_every_answer_and_group_is_in_a_named_source(gold_set):
    """Matched as the runner matches (folding numbers too): "1000" is found where the article prints "1,000"."""
    questions, texts = gold_set
    for item in questions:
        named = [texts[s] for s in item.sources if s in texts]
        for answer in item.answers:
            assert any(contains_gold(text, [answer]) for text in named), f"{item.id}: {answer!r} not in {item.sources}"
        for group in item.answers_all:
            assert any(contains_gold(text, group) for text in named), f"{item.id}: {group!r} not in {item.sources}"


def test_every_named_source_holds_an_answer(items, articles):
    """Seed set only: in the confusable set a comparison may name the article of the other year."""
    for item in items:
        for source in item.sources:
            assert any(contains_gold(articles[source], [a]) for a in item.gold_strings()), f"{item.id}: {source}"


def test_unanswerable_entries_are_empty(gold_set):
    questions, _ = gold_set
    for item in questions:
        if not item.answerable:
            assert item.answers == () and item.answers_all == () and item.sources == (), item.id


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
    assert items[0].kind is None and items[0].answers_all == ()
    assert items[1].history == (("user", "Who led Ukraine?"), ("assistant", "Umerov [1]."))


def test_load_gold_reads_answers_all_and_kind(tmp_path):
    groups = [["Putin"], ["Zelensky", "Zelenskyy"], ["Trump"]]
    path = _write(tmp_path, _line(answers=[], answers_all=groups, kind="list"),
                  _line(id="q2", answers=..., answers_all=groups, kind="list"),
                  _line(id="q3", answers_all=[["a"]], kind="summary"),
                  _line(id="q4", answers=[], sources=[], answerable=False, kind="near-miss"))
    items = load_gold(path)
    assert items[0].answers == () and items[0].answers_all == (("Putin",), ("Zelensky", "Zelenskyy"), ("Trump",))
    assert items[0].kind == "list" and items[1].answers_all == items[0].answers_all
    assert items[2].answers == ("Fidan",) and items[2].gold_strings() == ("Fidan", "a")
    assert items[3].kind == "near-miss" and not items[3].answerable
    assert items[0].gold_strings() == ("Putin", "Zelensky", "Zelenskyy", "Trump")


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
        (_line(id="q2", answers_all="Putin"), "'answers_all' must be a list of groups"),
        (_line(id="q2", answers_all=["Putin", "Trump"]), "bad group 'Putin'"),
        (_line(id="q2", answers_all=[[]]), "bad group []"),
        (_line(id="q2", answers_all=[["Putin", ""]]), "each a non-empty list of non-empty strings"),
        (_line(id="q2", answers_all=[["Putin", 3]]), "bad group ['Putin', 3]"),
        (_line(id="q2", answers=[], answers_all=[]), "needs at least one answer (in 'answers' or 'answers_all')"),
        (_line(id="q2", answers=[], sources=[], answerable=False, answers_all=[["x"]]),
         "'answers', 'answers_all' and 'sources' must be empty"),
        (_line(id="q2", kind="lists"), "'kind' must be one of fact, number"),
        (_line(id="q2", kind="near-miss ") , "got 'near-miss '"),
        (_line(id="q2", kind=3), "'kind' must be one of"),
        (_line(id="q2", answers=["Fidan", 3]), "'answers' must be a list of non-empty strings"),
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
