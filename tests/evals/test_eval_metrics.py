"""The scoring functions of evals.metrics, on hand-worked examples."""

import pytest

from evals.metrics import (
    answer_correct,
    bootstrap_ci,
    citation_hits,
    contains_gold,
    exact_match,
    failure_stage,
    first_hit_rank,
    fold,
    fold_numbers,
    holds_gold,
    max_answer_chars,
    passages_hold,
    percentile,
    strip_markers,
    summarize,
    token_f1,
    truth_value,
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
        # numbers: words and separators fold on both sides
        ("3 years [1]", ["three years"], True),
        ("three years", ["3 years"], True),
        ("1000 prisoners each", ["1,000"], True),
        ("1,000 prisoners each", ["1000"], True),
        ("about twelve thousand four hundred fans", ["12,400"], True),
        ("a thousand prisoners", ["1,000 prisoners"], True),
        ("twenty-one people", ["21"], True),
        # a number in gold is not found inside a longer number
        ("In 2023 [1].", ["three"], False),
        ("It took 13 days.", ["3 days"], False),
        ("It was 3.5 million.", ["5 million"], False),
        ("On May 15.", ["15"], True),
        # number words are whole words only
        ("someone came", ["one"], False),
        ("It happens often.", ["ten"], False),
    ],
)
def test_contains_gold(text, golds, expected):
    assert contains_gold(text, golds) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("three years", "3 years"),
        ("someone often tent", "someone often tent"),
        ("no one", "no 1"),
        ("ten-year-old", "10-year-old"),
        ("twenty-one and twenty one", "21 and 21"),
        ("one hundred and five", "105"),
        ("a hundred and fifty", "150"),
        ("a thousand and one nights", "1001 nights"),
        ("two thousand and twenty-four", "2024"),
        ("five hundred thousand", "500000"),
        ("thousands of people", "thousands of people"),
        ("one two three", "1 2 3"),
        ("one and two", "1 and 2"),
        ("a man", "a man"),
        ("zero", "0"),
        ("1,000 and 12,400 and 1,000,000", "1000 and 12400 and 1000000"),
        ("1,0000 and 2019,2020", "1,0000 and 2019,2020"),
    ],
)
def test_fold_numbers(text, expected):
    assert fold_numbers(text) == expected


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
        ([], 50, None),   # rag.stats: no latency is not a latency of 0
        ([7.0], 95, 7.0),
        ([1, 2, 3, 4], 50, 2.5),
        ([4, 1, 3, 2], 0, 1.0),
        ([1, 2, 3, 4], 100, 4.0),
        ([10, 20, 30, 40, 50], 95, 48.0),  # position 3.8: 40 + 0.8 * 10
    ],
)
def test_percentile(values, p, expected):
    assert percentile(values, p) == (None if expected is None else pytest.approx(expected))


def test_metrics_share_rag_percentile_and_marker():
    import rag.markers
    import rag.stats

    assert percentile is rag.stats.percentile and strip_markers is rag.markers.strip_markers
    assert summarize([], k=5, llm="local:x")["latency_ms"] == {"p50": None, "p95": None}


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


LEADERS = [["Putin"], ["Zelensky", "Zelenskyy"], ["Trump"]]


@pytest.mark.parametrize(
    ("text", "answers", "groups", "expected"),
    [
        ("Putin, Zelenskyy and Trump stayed away [1][2].", [], LEADERS, True),
        ("Putin and Trump stayed away [1].", [], LEADERS, False),           # one name missing
        ("Putin, Zelensky and Trump.", ["stayed away"], LEADERS, False),   # answers must hold too
        ("Putin, Zelensky and Trump stayed away.", ["stayed away"], LEADERS, True),
        ("Trump stayed away.", ["Trump"], [], True),
        ("anything", [], [], False),
    ],
)
def test_holds_gold_needs_every_group(text, answers, groups, expected):
    assert holds_gold(text, answers, groups) is expected
    assert answer_correct(text, False, answers, groups) is expected


def test_list_and_summary_answers_may_run_to_600_characters():
    long = "Putin, Zelensky and Trump " + "x" * 500
    assert max_answer_chars("list") == max_answer_chars("summary") == 600
    assert max_answer_chars("fact") == max_answer_chars(None) == 400
    assert not answer_correct(long, False, [], LEADERS, max_chars=max_answer_chars("fact"))
    assert answer_correct(long, False, [], LEADERS, max_chars=max_answer_chars("list"))
    assert not answer_correct(long + "x" * 100, False, [], LEADERS, max_chars=600)


def test_passages_hold_between_them():
    passages = ["Putin did not come.", "Zelenskyy waited in Ankara.", "Trump stayed in Washington."]
    assert passages_hold(passages, [], LEADERS)
    assert not passages_hold(passages[:2], [], LEADERS)
    assert passages_hold(passages, ["Ankara"], [])
    assert not passages_hold(passages, ["Moscow"], LEADERS)
    assert not passages_hold(passages, [], [])


@pytest.mark.parametrize(
    ("answerable", "refused", "correct", "expected"),
    [(True, False, True, 1), (True, True, False, 0), (True, False, False, -1),
     (False, True, None, 1), (False, False, None, -1)],
)
def test_truth_value(answerable, refused, correct, expected):
    assert truth_value(answerable, refused, correct) == expected


_PASSED = {"answerable": True, "refused": False, "correct": True, "passages_hold": True,
           "answer_holds": True, "drafted": True, "draft_holds": True, "fallback": False}


@pytest.mark.parametrize(
    ("changes", "stage"),
    [
        ({}, None),
        ({"answerable": False, "refused": True, "correct": None, "passages_hold": False}, None),
        ({"answerable": False, "correct": None}, "refusal"),                          # answered: should refuse
        ({"correct": False, "passages_hold": False, "answer_holds": False}, "retrieval"),
        ({"correct": False, "refused": True, "passages_hold": False, "answer_holds": False,
          "draft_holds": False}, "retrieval"),                                        # refused, nothing retrieved
        ({"correct": False, "refused": True, "answer_holds": False, "drafted": False,
          "draft_holds": False}, "refusal"),                                          # refused, passages held it
        ({"correct": False, "answer_holds": False}, "verification"),                  # right draft, dropped
        ({"correct": False, "refused": True, "answer_holds": False}, "verification"),  # right draft, all dropped
        ({"correct": False, "answer_holds": False, "draft_holds": False}, "llm"),      # wrong draft kept
        ({"correct": False, "answer_holds": False, "draft_holds": False, "fallback": True}, "llm"),
        ({"correct": False}, "llm"),                                                  # right but too long
        ({"correct": False, "fallback": True}, "evidence"),                          # quotation too long
        ({"correct": False, "answer_holds": False, "drafted": False, "draft_holds": False}, "evidence"),
    ],
)
def test_failure_stage(changes, stage):
    assert failure_stage(**{**_PASSED, **changes}) == stage


def test_bootstrap_ci_is_deterministic_and_holds_the_estimate():
    flags = [True] * 7 + [False] * 3
    low, high = bootstrap_ci(flags)
    assert bootstrap_ci(flags) == [low, high]
    assert 0 <= low < 0.7 < high <= 1
    assert bootstrap_ci([True] * 5) == [1.0, 1.0]
    assert bootstrap_ci([]) is None
    wide, narrow = bootstrap_ci(flags), bootstrap_ci(flags * 10)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]   # more questions, a tighter interval


def test_summarize_truth_score_per_kind_and_stages():
    rows = [
        {**_row(correct=True), "kind": "number"},                                         # +1
        {**_row(correct=False), "kind": "number", "stage": "evidence"},                   # -1
        {**_row(correct=False, refused=True), "kind": "list", "stage": "refusal"},        #  0
        {**_row(answerable=False, refused=True), "kind": "near-miss"},                    # +1
        {**_row(answerable=False, refused=False), "kind": "near-miss", "stage": "refusal"},  # -1
        {**_row(answerable=False, refused=True), "kind": "near-miss"},                    # +1
    ]
    report = summarize(rows, k=5, llm="extractive")
    assert report["truth_score"] == pytest.approx((1 - 1 + 0 + 1 - 1 + 1) / 6)
    assert report["answer_accuracy"] == pytest.approx(1 / 3)
    assert report["per_kind"] == {
        "number": {"n": 2, "answer_accuracy": 0.5, "refusal_accuracy": None, "truth_score": 0.0},
        "list": {"n": 1, "answer_accuracy": 0.0, "refusal_accuracy": None, "truth_score": 0.0},
        "near-miss": {"n": 3, "answer_accuracy": None, "refusal_accuracy": pytest.approx(2 / 3),
                      "truth_score": pytest.approx(1 / 3)},
    }
    assert list(report["per_kind"]) == ["number", "list", "near-miss"]   # the gold format's order
    assert report["failure_stages"] == {"retrieval": 0, "evidence": 1, "llm": 0, "verification": 0, "refusal": 2}
    low, high = report["answer_accuracy_ci95"]
    assert low <= 1 / 3 <= high


def test_summarize_rows_without_kind():
    report = summarize([_row(), _row(answerable=False, refused=True)], k=5, llm="extractive")
    assert report["truth_score"] == 1.0
    assert report["per_kind"] == {"unlabelled": {"n": 2, "answer_accuracy": 1.0, "refusal_accuracy": 1.0,
                                                 "truth_score": 1.0}}


def _llm_row(*, refused=False, fallback=False, written=(1, 1), answerable=True, llm=None):
    row = _row(answerable=answerable, refused=refused, fallback=fallback, kept=written)
    row["llm_sentences"] = list(written)
    if llm:
        row["llm"] = llm
    return row


def test_llm_survival_and_kept_rates_hand_worked():
    rows = [
        _llm_row(written=(2, 3)),                      # survived: 2 of its 3 sentences kept
        _llm_row(fallback=True, written=(0, 2)),       # all dropped: quoted instead
        _llm_row(fallback=True, written=(1, 1)),       # kept one, but the answer fell back all the same
        _llm_row(refused=True, written=(0, 0)),        # refused: not in the survival denominator
        _llm_row(answerable=False, written=(1, 4)),    # unanswerable: counts for sentences, not survival
        _llm_row(written=(5, 5), llm="extractive"),    # not from an LLM: counts for neither
    ]
    report = summarize(rows, k=5, llm="local:qwen")
    assert report["llm_survival_rate"] == pytest.approx(1 / 3)
    assert report["llm_sentences_kept_rate"] == pytest.approx((2 + 0 + 1 + 0 + 1) / (3 + 2 + 1 + 0 + 4))


def test_llm_rates_are_none_for_extractive_and_without_llm_sentences():
    report = summarize([_llm_row(written=(1, 1))], k=5, llm="extractive")
    assert report["llm_survival_rate"] is None and report["llm_sentences_kept_rate"] is None
    report = summarize([_llm_row(refused=True, written=(0, 0))], k=5, llm="local:qwen")
    assert report["llm_survival_rate"] is None and report["llm_sentences_kept_rate"] is None
