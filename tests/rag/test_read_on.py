"""Reading on in the story: a news story names its subject in its opening and tells the details
further down, in sentences that never repeat the subject's words. Real parts: the packaged
MiniLM, a Chroma store in tmp_path, the extractive engine; k = 2 so that retrieval alone finds
only the story's opening."""
from __future__ import annotations

import pytest

SHIP = ("date 2021-03-02 Brenna's first research ship sets sail\n\n"
        "Brenna's first national research ship, the Tern, left the port of Calloway on Monday for a "
        "six-week survey of the northern shelf, the Brenna Marine Institute said.\n\n"
        "The research ship carries 24 scientists and 18 crew, and will map the seabed along 900 "
        "kilometres of Brenna's coast.\n\n"
        "Institute director Hanna Solberg said the voyage marked \"the day we stopped borrowing other "
        "people's ships.\" The country has until now chartered foreign vessels, at about 4 million euros "
        "a year.\n\n"
        "The Tern was constructed by Mardale Shipyards at its yard in Kessick and cost 41 million euros. "
        "It is designed to stay in service for 30 years.\n\n"
        "The first maps are expected within a month, Solberg said. About 300 people watched the Tern "
        "leave Calloway.\n")
BRIDGE = ("date 2022-05-10 Kessick footbridge opens\n\n"
          "A footbridge over the Lune opened in Kessick on Tuesday. It was built by Ardent Works in eight "
          "months and cost 3 million euros.\n")


@pytest.fixture(scope="module")
def engine(news_engine):
    return news_engine({"ship.txt": SHIP, "bridge.txt": BRIDGE}, k=2)


def test_the_detail_asked_is_found_further_down_the_story(engine):
    a = engine.ask("Who constructed Brenna's first research ship?")
    assert not a.refused, a.reason
    assert "Mardale" in a.text
    assert any(c.source == "ship.txt" and "Mardale" in c.text for c in a.citations)
    # the passages shown are what retrieval found; the citation may come from further down
    assert len(a.passages) == 2


def test_a_word_no_sentence_of_the_story_holds_is_still_not_found(engine):
    a = engine.ask("What salary does the captain of Brenna's first research ship earn?")
    assert a.refused
