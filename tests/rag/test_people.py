"""A question about one person is not answered by what another did: real parts (the packaged
MiniLM, a Chroma store in tmp_path, the extractive engine) over a small invented folder."""
from __future__ import annotations

import pytest

RACE = ("date 2023-04-23 Vantreel breaks Maldenport course record\n\n"
        "Oskar Vantreel won the Maldenport Marathon on Sunday in a course record of 2:09:37.\n\n"
        "Vantreel, 29, collects 15,000 euros in prize money and a 5,000-euro bonus for the record.\n\n"
        "In the women's race, debutante Nele Haverkamp won in 2:27:10. \"I did not expect this,\" "
        "Haverkamp said.\n")


@pytest.fixture(scope="module")
def engine(news_engine):
    return news_engine({"race.txt": RACE})


def test_what_one_person_won_does_not_answer_for_another(engine):
    a = engine.ask("How much prize money did Nele Haverkamp win?")
    assert a.refused, a.text
    assert "15,000" not in a.text


def test_what_the_person_asked_about_won_answers(engine):
    a = engine.ask("How much prize money did Oskar Vantreel collect?")
    assert not a.refused, a.reason
    assert "15,000" in a.text
