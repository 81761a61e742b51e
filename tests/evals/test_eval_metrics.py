"""The scoring functions of evals.metrics, on hand-worked examples."""

import pytest

from evals.metrics import (
    answer_correct,
    citation_hits,
    contains_gold,
    exact_match,
    first_hit_rank,
    fold,
    percentile,
    strip_markers,
    summarize,
    token_f1,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Türkiye", "turkiye"),
        ("Dolmabahçe Palace", "dolmabahce palace"),
        ("İbrahim Kalın", "ibrahim kalin"),
        ("Nothing\u2019s going", "nothing's going"),
        ("\u201ctwo paths\u201d", '"two paths"'),
        ("March 2022\u2014just", "march 2022-just"),
        ("  a \n\t b\u00a0 c  ", "a b c"),
        ("", ""),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rustem Umerov [1].", "Rustem Umerov."),
        ("Fidan [1] chaired it [2][3].", "Fidan chaired it."),
        ("It lasted two hours [1, 2].", "It lasted two hours."),
        ("how [a deal] should come about", "how [a deal] should come about"),
    ],
)
def test_strip_markers(text, expected):
    assert strip_markers(text) == expected


@pytest.mark.parametrize(
    ("text", "golds", "expected"),
    [
        ("They met in Turkiye [1].", ["Türkiye"], True),
        ("TÜRKIYE hosted.", ["turkiye"], True),
        ("Trump said \u201cNothing\u2019s going to happen\u201d.", ['"Nothing\'s going'], True),
        ("It lasted less than  two\nhours.", ["less than two hours"], True),
        ("Medinsky [1]", ["Umerov"], False),
        ("", ["Umerov"], False),
        ("Umerov", [], False),
        ("anything", [""], False),
        ("1[2]000 prisoners", ["1000"], True),
    ],
)
def test_contains_gold(text, golds, expected):
    assert contains_gold(text, golds) is expected


@pytest.mark.parametrize(
    ("text", "refused", "expected"),
    [
        ("Hakan Fidan chaired it [1].", False, True),
        ("Hakan Fidan chaired it [1].", True, False),
        ("Fidan" + "x" * 395, False, True),   # exactly 400 characters
        ("Fidan" + "x" * 396, False, False),  # 401 characters
        ("", False, False),
    ],
)
def test_answer_correct(text, refused, expected):
    assert answer_correct(text, refused, ["Fidan"]) is expected


@pytest.mark.parametrize(
    ("text", "golds", "expected"),
    [
        ("Rustem Umerov [1].", ["Rustem Umerov"], True),
        ("1000 [2]", ["1,000"], True),
        ("\u201cU\u2010shaped\u201d", ["U-shaped"], True),
        ("Dolmabahçe", ["Dolmabahce"], True),
        ("It was Rustem Umerov.", ["Rustem Umerov"], False),
        ("", ["Umerov"], False),
        ("", [""], False),
    ],
)
def test_exact_match(text, golds, expected):
    assert exact_match(text, golds) is expected


@pytest.mark.parametrize(
    ("text", "golds", "expected"),
    [
        # answer tokens {rustem, umerov, led, it}; gold {rustem, umerov}: P=2/4, R=1, F1=2/3
        ("Rustem Umerov led it [1].", ["Rustem Umerov"], 2 / 3),
        # best of two golds: "Medinsky" shares nothing, "Umerov" gives P=1/4, R=1, F1=0.4
        ("Rustem Umerov led it.", ["Medinsky", "Umerov"], 0.4),
        # "1,000 prisoners each" vs "1000 prisoners": P=2/3, R=1, F1=0.8
        ("1,000 prisoners each", ["1000 prisoners"], 0.8),
        # repeated tokens count once each: "May May" vs "May 15": overlap 1, P=1/2, R=1/2
        ("May May", ["May 15"], 0.5),
        ("Fidan.", ["Fidan"], 1.0),
        ("", ["Fidan"], 0.0),
        ("[1]", ["Fidan"], 0.0),
        ("Fidan", [], 0.0),
    ],
)
def test_token_f1(text, golds, expected):
    assert token_f1(text, golds) == pytest.approx(expected)


def test_first_hit_rank():
    passages = ["The Russian team was headed by Medinsky.", "Fidan chaired.", "Fidan again."]
    assert first_hit_rank(passages, ["Hakan Fidan", "Fidan"]) == 2
    assert first_hit_rank(passages, ["Umerov"]) is None
    assert first_hit_rank([], ["Fidan"]) is None


def test_citation_hits():
    cited = ["Umerov led Ukraine's side.", "Medinsky led Russia's.", "Umerov said so."]
    assert citation_hits(cited, ["Umerov"]) == (2, 3)
    assert citation_hits([], ["Umerov"]) == (0, 0)


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 50, 0.0),
        ([7.0], 95, 7.0),
        ([1, 2, 3, 4], 50, 2.5),
        ([4, 1, 3, 2], 0, 1.0),
        ([1, 2, 3, 4], 100, 4.0),
        ([10, 20, 30, 40, 50], 95, 48.0),  # position 3.8: 40 + 0.8 * 10
    ],
)
def test_percentile(values, p, expected):
    assert percentile(values, p) == pytest.approx(expected)


def test_percentile_rejects_p_outside_0_100():
    with pytest.raises(ValueError, match="0..100"):
        percentile([1.0], 101)


def _row(answerable=True, refused=False, fallback=False, correct=True, exact=False, f1=1.0,
         rank=1, hits=(1, 1), kept=(0, 0), latency=10.0):
    return {"id": "q", "answerable": answerable, "refused": refused, "fallback": fallback,
            "correct": correct if answerable else None, "exact": exact if answerable else None,
            "f1": f1 if answerable else None, "rank": rank if answerable else None,
            "citation_hits": list(hits) if answerable else None,
            "verified_sentences": list(kept), "latency_ms": latency}


def test_summarize_hand_worked():
    rows = [
        _row(correct=True, exact=True, f1=1.0, rank=1, hits=(2, 2), kept=(2, 3), latency=10),
        _row(correct=False, f1=0.5, rank=2, hits=(0, 1), kept=(1, 1), fallback=True, latency=20),
        _row(correct=False, refused=True, f1=0.0, rank=None, hits=(0, 0), latency=30),
        _row(answerable=False, refused=True, latency=40),
        _row(answerable=False, refused=False, kept=(0, 2), latency=50),
    ]
    report = summarize(rows, k=5, llm="local:qwen")
    assert report["n"] == 5 and report["llm"] == "local:qwen" and report["k"] == 5
    assert report["answer_accuracy"] == pytest.approx(1 / 3)
    assert report["exact_match"] == pytest.approx(1 / 3)
    assert report["token_f1"] == pytest.approx(0.5)
    assert report["retrieval_recall_at_5"] == pytest.approx(2 / 3)
    assert report["mrr"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert report["citation_precision"] == pytest.approx(2 / 3)  # pooled: (2+0+0)/(2+1+0)
    assert report["refusal_accuracy"] == pytest.approx(0.5)
    assert report["false_refusal_rate"] == pytest.approx(1 / 3)
    assert report["fallback_rate"] == pytest.approx(1 / 5)
    assert report["verified_sentence_rate"] == pytest.approx(3 / 6)
    assert report["latency_ms"] == {"p50": 30.0, "p95": pytest.approx(48.0)}
    assert len(report["per_question"]) == 5


def test_summarize_extractive_and_empty_denominators():
    report = summarize([_row(hits=(0, 0))], k=3, llm="extractive")
    assert report["fallback_rate"] is None
    assert report["verified_sentence_rate"] is None
    assert report["citation_precision"] is None
    assert report["refusal_accuracy"] is None
    assert "retrieval_recall_at_3" in report
