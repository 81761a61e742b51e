"""Answers on a small folder of invented news the engine was never tuned on: a subject told in
several years, so that the question's year, edition or quarter decides which story answers.
Real parts: the packaged MiniLM, a Chroma store in tmp_path, the extractive engine."""
from __future__ import annotations

import pytest
from pathlib import Path

ARTICLES = {
    "cup_2017.txt": ("date 2017-06-04 Harlow Town win the 2017 Merrow Cup\n\n"
                     "Harlow Town won the Merrow Cup on Saturday, beating Castleford Park 2-1 in the final at "
                     "Denby Road.\n\nStriker Ola Brandt scored both of Harlow's goals. A crowd of 21,400 watched "
                     "the final, the organisers said.\n\nHarlow coach Petra Lund said: \"We were patient.\"\n"),
    "cup_2018.txt": ("date 2018-06-03 Castleford Park take the 2018 Merrow Cup\n\n"
                     "Castleford Park won the Merrow Cup on Sunday, beating Wexham United 3-0 in the final at "
                     "Denby Road.\n\nDefender Sam Ikeda scored twice. The attendance was 24,900, a record for "
                     "the final.\n\nCastleford captain Lena Vos lifted the trophy.\n"),
    "cup_2020.txt": ("date 2020-06-07 Wexham United win first Merrow Cup\n\n"
                     "Wexham United won the Merrow Cup for the first time on Saturday, beating Harlow Town on "
                     "penalties after a 1-1 draw at Denby Road.\n\nGoalkeeper Rui Matos saved two penalties. "
                     "About 19,800 fans attended the final.\n"),
    "results_q1.txt": ("date 2023-05-10 Dornell Foods first-quarter profit rises\n\n"
                       "Dornell Foods reported first-quarter revenue of $410 million on Wednesday, up 6% from a "
                       "year earlier.\n\nNet profit for the first quarter was $31 million. Chief executive Mara "
                       "Quist said demand for frozen meals held up.\n"),
    "results_q2.txt": ("date 2023-08-09 Dornell Foods second-quarter profit falls\n\n"
                       "Dornell Foods reported second-quarter revenue of $395 million on Wednesday.\n\nNet profit "
                       "for the second quarter fell to $22 million. Mara Quist blamed higher energy costs.\n\n"
                       "Dornell said it would cut jobs at its Rell bakery, which employs 340 people, but did not say "
                       "how many jobs would go.\n"),
    "results_q4.txt": ("date 2024-02-08 Dornell Foods swings to loss, to close Tarvey plant\n\n"
                       "Dornell Foods reported a fourth-quarter net loss of $9 million on Thursday and said it "
                       "would close its Tarvey plant.\n\n"
                       "Revenue for the October-December quarter was $402 million.\n"),
}


@pytest.fixture(scope="module")
def engine(news_engine):
    return news_engine(ARTICLES)


@pytest.fixture(scope="module")
def one_story(news_engine):
    """make(text): an engine over a folder holding one invented article, with its own real store."""
    return lambda text: news_engine({"story.txt": text})


@pytest.mark.parametrize("question, expected", [
    ("Who won the 2018 Merrow Cup final?", "Castleford"),
    ("Who won the Merrow Cup in 2020?", "Wexham"),
    ("How big was the crowd at the 2017 Merrow Cup final?", "21,400"),
    ("What was Dornell Foods' net profit in the second quarter of 2023?", "22 million"),
    ("What was Dornell's net profit in Q1 2023?", "31 million"),
    # the sentence naming the quarter states a loss; the revenue asked for is in the next one
    ("How much revenue did Dornell Foods make in the fourth quarter of 2023?", "402 million"),
])
def test_the_year_or_quarter_asked_picks_the_story(engine, question, expected):
    a = engine.ask(question)
    assert not a.refused, a.reason
    assert expected in a.text
    assert a.closest is None and a.reason is None


@pytest.mark.parametrize("question, expected", [
    ("In one sentence, who won the 2018 Merrow Cup final?", "Castleford"),
    ("Answer with just the number: how big was the crowd at the 2017 Merrow Cup final?", "21,400"),
    ("Who won the Merrow Cup in 2020? One word please", "Wexham"),
    # (not a name "Keep" the articles never mention)
    ("How big was the crowd at the 2017 Merrow Cup final? Keep it brief.", "21,400")])
def test_how_the_answer_should_be_put_is_not_searched_for(engine, question, expected):
    a = engine.ask(question)
    assert not a.refused, a.reason
    assert expected in a.text and a.question == question


@pytest.mark.parametrize("question, asked, other", [
    ("Who won the 2019 Merrow Cup final?", "2019", ("2017", "2018", "2020")),
    ("What was Dornell Foods' net profit in the third quarter of 2023?", "Q3", ("Q1", "Q2", "Q4")),
])
def test_a_near_miss_is_refused_with_the_closest_passage_and_why(engine, question, asked, other):
    a = engine.ask(question)
    assert a.refused and not a.citations
    assert a.closest is not None and a.closest.source in ARTICLES
    assert asked in a.reason and any(o in a.reason for o in other)
    assert asked in a.text and a.closest.text[:20].split()[0] in ARTICLES[a.closest.source]
    assert a.to_dict()["closest"]["source"] == a.closest.source


@pytest.mark.parametrize("question", [
    "Who refereed the 2018 Merrow Cup final?",        # the story is there; the referee is not
    "How much prize money did Wexham United receive in 2020?",
])
def test_on_topic_questions_the_articles_do_not_answer_are_refused(engine, question):
    a = engine.ask(question)
    assert a.refused, a.text
    assert a.reason


def test_a_comparison_is_answered_for_each_thing_compared(engine):
    a = engine.ask("How did the crowd at the 2017 Merrow Cup final compare with 2020?")
    assert not a.refused, a.reason
    assert "21,400" in a.text and "19,800" in a.text
    assert a.text.index("21,400") < a.text.index("19,800")       # in the question's order
    assert {c.source for c in a.citations} == {"cup_2017.txt", "cup_2020.txt"}


def test_a_comparison_of_long_sentences_quotes_each_up_to_a_clause_after_its_figure(news_engine):
    engine = news_engine({
        "fire_2019.txt": ("date 2019-10-07 Merrow fire season ends\n\nWildfires burned about 12,400 hectares of forest "
                          "and farmland in the Merrow Highlands this summer, more than a third above the ten-year "
                          "average, the regional fire service said on Monday as it declared the end of the season.\n"),
        "fire_2023.txt": ("date 2023-10-02 Quieter fire season in Merrow\n\nWildfires burned about 9,800 hectares in "
                          "the Merrow Highlands this summer, roughly a quarter of the record area lost two years "
                          "ago, and for the first time in six seasons no one was killed, the fire service said.\n")})
    a = engine.ask("Compare the area burned in the Merrow Highlands in 2019 with the area burned in 2023.")
    assert not a.refused, a.reason
    assert "12,400" in a.text and "9,800" in a.text and len(a.text) <= 400, a.text
    assert a.text.index("12,400") < a.text.index("9,800") and "\u2026 [1]." in a.text
    assert [c.source for c in a.citations] == ["fire_2019.txt", "fire_2023.txt"]


def test_a_list_of_people_quotes_the_sentences_that_name_them(one_story):
    engine = one_story(
        "date 2025-05-12 Lee re-elected mayor of Tarn\n\n"
        "Ann Lee won a second term as mayor of Tarn on Sunday, holding off a strong challenge from the Civic "
        "Alliance in an election fought largely over the rising cost of the city's unfinished tram line.\n\n"
        "Lee, a former teacher and one-time union official, said the result showed that voters in the city "
        "wanted the tram line finished, the money spent well and the candidates' promises kept, and that the "
        "work on the line would start again at once, before the summer, with a new contractor for the rest "
        "of the line and the stations.\n\n"
        "The mayor's office said turnout was the highest in the city for a mayoral election.\n\n"
        "Lee took 49.3% of the vote, against 43.8% for Marta Vinter, a lawyer, and 6.9% for Tobias Krane.\n")
    a = engine.ask("Who were the candidates for mayor of Tarn in 2025?")
    assert not a.refused, a.reason
    assert "Ann Lee" in a.text and "Marta Vinter" in a.text and "Tobias Krane" in a.text, a.text
    assert "turnout" not in a.text, a.text        # a sentence that names no one adds no one to the list


def test_a_summary_quotes_several_sentences_with_citations(engine):
    a = engine.ask("Summarise the 2018 Merrow Cup final.")
    assert not a.refused
    assert "Castleford" in a.text and len(a.text) <= 600
    assert a.text.count("[") >= 2


@pytest.mark.parametrize("question, summary", [("Briefly, what was the 2018 Merrow Cup final like?", True),
                                               ("Briefly, who won the 2018 Merrow Cup final?", False)])
def test_briefly_asking_for_no_one_thing_is_a_short_summary(engine, question, summary):
    a = engine.ask(question)
    assert not a.refused, a.reason
    assert "Castleford" in a.text and len(a.text) <= 600
    assert (a.text.count("[") >= 2) is summary, a.text


def test_evidence_saying_the_answer_was_not_given_is_a_refusal(engine):
    a = engine.ask("How many jobs will Dornell Foods cut at the Rell bakery?")
    assert a.refused and "not given" in a.reason, a.text
    assert a.closest is not None and a.closest.source == "results_q2.txt"
    # a sentence withholding something else does not stop the answer asked for
    assert "22 million" in engine.ask("What was Dornell Foods' net profit in the second quarter of 2023?").text


def test_what_a_person_said_is_not_answered_with_someone_elses_words(engine):
    said = engine.ask("What did Petra Lund say after the 2017 Merrow Cup final?")
    assert not said.refused and "patient" in said.text, said.reason
    # Lena Vos is named, but never quoted: the coach's words are not hers
    a = engine.ask("What did Lena Vos say after the 2018 Merrow Cup final?")
    assert a.refused and "quotes" in a.reason, a.text


def test_speakers_are_the_names_beside_a_verb_of_saying():
    from rag.evidence import speakers

    assert speakers('"We were patient," Harlow coach Petra Lund said.') >= {"petra", "lund"}
    assert speakers('"We were patient," said Petra Lund.') == {"petra", "lund"}
    assert speakers("She said the team was patient.") == set()
    assert speakers("Lena Vos lifted the trophy.") == set()


def test_a_person_the_articles_never_name_is_not_answered_for(engine):
    a = engine.ask("What did Hanna Brill say about the 2018 Merrow Cup final?")
    assert a.refused and "Brill" in a.reason


@pytest.fixture(scope="module")
def declining(news_engine, Scripted):
    """The same folder, answered by an LLM that always says the sources do not answer."""
    return news_engine(ARTICLES, llm=Scripted("The sources do not mention this."))


def test_llm_that_finds_nothing_on_middling_evidence_means_a_refusal(declining):
    """The LLM's verdict is a refusal signal: when nothing it writes survives verification and
    the evidence is only moderately close, the engine refuses with the closest passage rather
    than quoting it as the answer; on strong evidence it quotes (fallback)."""
    weak = declining.ask("Why did Wexham win the 2020 final?")     # evidence in the middling band
    strong = declining.ask("Who won the 2018 Merrow Cup final?")
    assert weak.refused and weak.closest is not None and "LLM" in weak.reason, weak.text
    assert not strong.refused and strong.fallback and "Castleford" in strong.text


def test_strong_evidence_is_quoted_when_the_llm_finds_nothing(declining):
    """A comparison whose two sides were both found (or a sum, share, age or duration asked
    for and stated) is quoted (fallback) when the LLM's draft says the sources do not answer."""
    a = declining.ask("How did the crowd at the 2017 Merrow Cup final compare with 2020?")
    assert not a.refused and a.fallback, a.reason
    assert "21,400" in a.text and "19,800" in a.text


def test_a_summary_keeps_to_the_story_and_says_nothing_twice():
    from rag.evidence import Unit, pick_many

    def unit(source, start, text, score):
        return Unit(0, source, start, start + len(text), text, score, 0.5, False)

    units = sorted([
        unit("a.txt", 0, "Harlow Town won the Merrow Cup on Saturday, beating Castleford Park 2-1.", 1.0),
        unit("a.txt", 200, "A crowd of 21,400 watched the final at Denby Road.", 0.5),
        unit("b.txt", 0, "Harlow Town beat Castleford Park 2-1 on Saturday to win the Merrow Cup.", 0.95),  # again
        unit("b.txt", 300, "Striker Ola Brandt scored both of Harlow's goals.", 0.6),       # the same story
        unit("c.txt", 0, "Wexham United won the Merrow Cup for the first time in 2020.", 0.55),  # another story
    ], key=lambda u: -u.score)
    chosen = pick_many(units, 4, 580)
    assert [u.source for u in chosen] == ["a.txt", "a.txt", "b.txt"]      # best story first, in reading order
    assert "Ola Brandt" in chosen[2].text and all(u.source != "c.txt" for u in chosen)


def test_a_summary_of_one_event_keeps_to_the_reports_of_that_event():
    """Asked to summarise one event, the stories told of it within days (another outlet's) are
    summarised, not the story of the next year's final that scores nearly as well; a summary of
    a course of events ("since 2019", "from ... to ...") still reads every story."""
    from rag.evidence import Unit, one_event, pick_many

    def unit(source, start, text, score):
        return Unit(0, source, start, start + len(text), text, score, 0.5, False)

    units = sorted([
        unit("a.txt", 0, "Harlow Town won the Merrow Cup on Saturday, beating Castleford Park 2-1.", 1.0),
        unit("b.txt", 300, "Striker Ola Brandt scored both of Harlow's goals.", 0.8),
        unit("c.txt", 0, "Wexham United won the Merrow Cup on Sunday, beating Harlow Town on penalties.", 0.9),
    ], key=lambda u: -u.score)
    dates = {"a.txt": "2019-05-18", "b.txt": "2019-05-20", "c.txt": "2020-05-23"}
    assert one_event("Summarise the 2019 Merrow Cup final.")
    assert {u.source for u in pick_many(units, 4, 580, dates=dates)} == {"a.txt", "b.txt"}
    assert {u.source for u in pick_many(units, 4, 580)} == {"a.txt", "b.txt", "c.txt"}
    for spans in ("Summarise the Merrow Cup finals since 2019.", "Summarise the cup from 2019 to 2020.",
                  "Give me the story of the Merrow Cup.", "Summarise how the cup developed."):
        assert not one_event(spans), spans


STADIUM = ("date 2023-03-02 Harrowgate approves new 28,000-seat stadium\n\n"
           "Harrowgate council voted 31-19 on Wednesday to build a 28,000-seat stadium for Harrowgate Rovers on "
           "the old goods yard.\n\nThe stadium is expected to cost 165 million euros and to open in August "
           "2025. Club chairman Ned Vail said the club would pay 40 million euros of it.\n\nSeason tickets for the "
           "first season will go on sale in the spring, the club said.\n")


@pytest.mark.parametrize("question", ["How much is a season ticket at the new Harrowgate stadium?",
                                      "How much does a ticket for a Rovers match at the new stadium cost?"])
def test_a_price_is_not_answered_with_the_price_of_something_else(one_story, question):
    """Asked what a ticket costs, the stadium's cost is another thing's price (the story speaks of
    tickets, and gives no price for them): refused, showing it."""
    engine = one_story(STADIUM)
    a = engine.ask(question)
    assert a.refused and "ticket" in a.reason, (a.text, a.reason)
    assert a.closest is not None and "165 million" in a.closest.text
    assert "165 million" in engine.ask("How much will the new Harrowgate stadium cost?").text


def test_a_measure_is_not_answered_with_the_measure_of_something_else(one_story):
    engine = one_story("date 2021-03-02 Mount Orvel erupts\n\nMount Orvel erupted on Tuesday, sending a lava flow "
                       "2 kilometres wide down its southern slope.\n\nThe summit crater has been closed to walkers "
                       "since January, the park service said.\n")
    a = engine.ask("How wide is the summit crater of Mount Orvel?")
    assert a.refused and "width of the crater" in a.reason, (a.text, a.reason)
    assert "2 kilometres" in engine.ask("How wide was the lava flow from Mount Orvel?").text


def test_asked_where_a_sentence_naming_no_place_is_no_answer(one_story):
    engine = one_story("date 2024-02-11 Orvane and Tessaly talks to open on Monday\n\n"
                       "Delegations from Orvane and Tessaly flew into different cities on Sunday ahead of the first "
                       "talks between the two countries in a decade.\n\nThe talks will be held at the Varel Palace "
                       "in Lisk, the foreign ministry said.\n")
    a = engine.ask("Which city did the Orvane delegation fly into first?")
    assert a.refused and "place" in a.reason, (a.text, a.reason)
    assert "Lisk" in engine.ask("Where will the Orvane and Tessaly talks be held?").text


LIGHTHOUSE = ("date 2019-03-02 Storm smashes Pellholm lighthouse lamp\n\n"
              "A storm smashed the lamp of the Pellholm lighthouse on Saturday, and the light went dark for the "
              "first time since 1871.\n\nIts last keeper, Arne Vik, who is now 80, drove to the headland on Sunday "
              "to see the damage.\n\n\"The tower stood. The tower will always stand. It is the glass that the sea takes,\" "
              "he said.\n\n"
              "The owners of the lighthouse met at the harbour office on Monday to plan the repairs.\n")


def test_asked_what_someone_said_their_words_told_as_he_said_answer(one_story):
    """The sentence naming him says nothing; his words follow it, told as "he said"."""
    a = one_story(LIGHTHOUSE).ask("What did the old keeper Arne Vik say after the storm?")
    assert not a.refused and "always stand" in a.text, (a.text, a.reason)


def test_asked_what_was_said_a_sentence_reporting_no_words_is_no_answer(one_story):
    unquoted = LIGHTHOUSE[:LIGHTHOUSE.index('\n\n"')] + LIGHTHOUSE[LIGHTHOUSE.index("he said.") + len("he said."):]
    a = one_story(unquoted).ask("How would you describe the mood when the lighthouse owners met at the harbour office?")
    assert a.refused and "said" in a.reason, (a.text, a.reason)


def test_the_thing_priced_or_measured_is_the_head_of_what_is_asked():
    from rag.evidence import thing_asked
    assert thing_asked("How much is a season ticket at the new stadium?", "money") == ("price", "ticket")
    assert thing_asked("How much does a ticket to climb the lighthouse cost?", "money") == ("price", "ticket")
    assert thing_asked("How wide is the summit crater of Mount Keldra?", "length") == ("width", "crater")
    assert thing_asked("How long was the 2021 Tour of the Verrin Hills?", "length") is None     # a named thing
    assert thing_asked("How much did the Corvid 4 cost at launch?", "money") is None
    assert thing_asked("How much did she say the strikes had cost the trust?", "money") is None   # none priced
    assert thing_asked("How much was the line budgeted at?", "money") is None


RACE = {
    "race_2021.txt": ("date 2021-05-09 Okafor wins the 2021 Vessar Road Race in the rain\n\n"
                      "Tomas Okafor won the 2021 Vessar Road Race on Sunday, outsprinting Ivo Brandt on the "
                      "climb to Castle Hill after 182 kilometres of rain.\n\n"
                      "Okafor, 27, had finished fourth in each of the last two editions. Brandt said his legs "
                      "went on the last bend.\n\n"
                      "Rain closed the coast road for an hour before the start, and organisers cut the route "
                      "by 12 kilometres.\n\n"
                      "Lotte Marchal won the women's race alone, two minutes clear of the rest.\n\n"
                      "Only 61 of the 140 starters finished, the fewest since the race began.\n\n"
                      "The team of the Harlan brothers lost two riders to crashes on the descent from Mount "
                      "Orrel, and both were taken to hospital in Vessar with broken collarbones.\n\n"
                      "Spectators lined the final three kilometres despite the weather, police said, and the "
                      "town's mayor handed the winner the trophy on a stage in the harbour.\n"),
    "race_2022.txt": ("date 2022-05-08 Brandt wins the 2022 Vessar Road Race\n\n"
                      "Ivo Brandt won the 2022 Vessar Road Race on Sunday, a year after losing the sprint to "
                      "Tomas Okafor.\n\nThe women's race went to Hanne Riis.\n"),
}


def test_a_summary_of_one_event_reads_the_whole_story_of_it(news_engine):
    """Retrieval finds the parts of a story that share the question's words (its headline and
    lede); a summary of the event is told by all of it, so it may quote what they left out."""
    engine = news_engine(RACE, k=1)
    a = engine.ask("Summarise the 2021 Vessar Road Race.")
    assert not a.refused, a.reason
    found = " ".join(p.text for p in a.passages)
    quoted = [c.text[c.quote_start - c.start:c.quote_end - c.start] for c in a.citations]
    assert "Okafor" in a.text and all(c.source == "race_2021.txt" for c in a.citations)
    assert any(q not in found for q in quoted), (a.text, found)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("news3")
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_llm_may_name_the_year_its_source_leaves_to_the_headline_and_date(news_engine, Scripted):
    """"Ola Brandt scored both goals in the 2017 final." rests on a sentence without the year; the
    year is the story's (its headline and date): the LLM's sentence is kept, not replaced."""
    llm = Scripted("Ola Brandt scored both goals in the 2017 final.")
    a = news_engine(ARTICLES, llm=llm).ask("Who scored Harlow's goals in the 2017 final?")
    assert not a.refused and not a.fallback, (a.text, a.checks)
    assert "Ola Brandt scored both goals in the 2017 final" in a.text and a.citations[0].source == "cup_2017.txt"


def test_a_true_sentence_about_something_else_does_not_answer(news_engine, Scripted):
    """The LLM repeats a supported sentence that is not about what was asked (the coach): it is not
    kept as the answer; the sentence that is about it is quoted instead."""
    llm = Scripted("Harlow Town won the Merrow Cup on Saturday, beating Castleford Park 2-1 in the final.")
    a = news_engine(ARTICLES, llm=llm).ask("Who was Harlow's coach at the 2017 final?")
    assert not a.refused and a.fallback, (a.text, a.checks)
    assert "Petra Lund" in a.text
    assert any(c["why"] == "no kept sentence is about what the question asks" for c in a.checks)


def test_what_else_is_beyond_the_last_answer(engine):
    """Asked again with "else", the answer is not the sentence the last answer quoted."""
    question = "Who scored Harlow's goals in the 2017 Merrow Cup final?"
    first = engine.ask(question)
    assert "Ola Brandt" in first.text
    more = engine.ask("Who else scored Harlow's goals in the 2017 Merrow Cup final?",
                      [("user", question), ("assistant", first.text)])
    assert "Ola Brandt" not in more.text, more.text


def test_a_name_spelt_the_other_way_is_answered_alike(news_engine):
    """The folder spells one man two ways in two stories; a question in either spelling is
    answered from the story that uses the other (the spellings are learnt from the folder)."""
    engine = news_engine({
        "swap.txt": "date 2024-03-02 Prisoners come home after Vienna deal\n\n"
                    "Deputy minister Serhiy Kovalchuk welcomed the exchange, calling it a good end to a hard day.\n\n"
                    "Buses carried the freed men to a hospital near the border.\n",
        "talks.txt": "date 2024-02-20 Talks open in Vienna\n\n"
                     "Sergey Kovalchuk, the deputy minister, led the delegation that arrived in Vienna on Monday.\n\n"
                     "The talks are expected to last two days.\n"})
    for name in ("Sergey", "Serhiy"):
        a = engine.ask(f"How did {name} Kovalchuk react to the exchange?")
        assert not a.refused and "good end to a hard day" in a.text, (name, a.text, a.reason)


def test_an_index_built_by_an_older_embedder_is_made_again_from_its_folder(folder, tmp_path_factory, embedder):
    """The engine's own store of a folder, written with another embedding model (an older
    newsrag), is rebuilt from that folder on first use instead of refused; a store of another
    folder, or one the engine does not build, is still refused with how to fix it."""
    from langchain_core.embeddings import Embeddings

    from index.errors import StoreMismatch
    from rag import Engine, Settings

    class Older(Embeddings):
        name = "older-model"

        def embed_documents(self, texts):
            return embedder.embed_documents(texts)

        def embed_query(self, text):
            return embedder.embed_query(text)

    store = tmp_path_factory.mktemp("older") / "chroma"
    settings = Settings(llm="extractive", store=f"chroma:{store}", source=str(folder))
    Engine(settings, embedder=Older()).ensure_index()
    engine = Engine(settings, embedder=embedder)
    a = engine.ask("Who won the 2018 Merrow Cup final?")
    assert "Castleford" in a.text and engine.store.manifest()["embedding_model"] == embedder.name

    other = tmp_path_factory.mktemp("elsewhere")
    (other / "note.txt").write_text("date 2024-01-01 A note\n\nNothing happened today at all.\n", encoding="utf-8")
    moved = Settings(llm="extractive", store=f"chroma:{store}", source=str(other))
    with pytest.raises(StoreMismatch, match="--rebuild"):
        Engine(moved, embedder=Older()).ensure_index()


def test_two_questions_in_one_are_both_answered_with_citations_in_order(engine):
    a = engine.ask("Who won the 2018 Merrow Cup final, and what was the attendance?")
    assert not a.refused, a.reason
    assert "Castleford" in a.text and "24,900" in a.text
    assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))
    assert all(f"[{c.n}]" in a.text for c in a.citations)
    # half answered is not answered: refused, saying which half the articles don't answer, with
    # what they say of the other as the closest passage (not a citation)
    a = engine.ask("Who won the 2018 Merrow Cup final, and what did the winners' coach earn?")
    assert a.refused and not a.citations and "coach earn" in a.reason
    assert a.text.startswith("The articles don't say what did the winners' coach earn") and "Castleford" in a.text
    assert a.closest is not None and "Castleford" in a.closest.text


def test_two_answers_too_long_together_are_each_cut_at_a_clause(news_engine):
    engine = news_engine({
        "heron_2021.txt": ("date 2021-09-12 Nine Winters wins the Golden Heron\n\n\"Nine Winters\", a three-hour family "
                           "saga by Pavel Drozhny, won the Golden Heron at the Corvanne International Film Festival "
                           "on Saturday, closing an edition that organisers said had been the hardest to stage in "
                           "the long history of the event.\n"),
        "heron_2023.txt": ("date 2023-09-10 Markvard wins the Golden Heron\n\nDirector Elin Markvard won the Golden "
                           "Heron at the Corvanne International Film Festival on Saturday for \"The Lantern "
                           "Keepers\", becoming the first film-maker from the host country to take the festival's "
                           "top prize in its sixty years.\n")})
    a = engine.ask("Who won the Golden Heron in 2021 and who won it in 2023?")
    assert not a.refused, a.reason
    assert "Pavel Drozhny" in a.text and "Elin Markvard" in a.text
    assert len(a.text) <= 400 and "\u2026 [1]." in a.text, a.text
    assert "sixty years" not in a.text and [c.n for c in a.citations] == [1, 2]


@pytest.mark.parametrize("sentence, rest", [
    ("HARLOWBY, Feb 17 (Wire) - A fire tore through the roof.", "A fire tore through the roof."),
    ("KYIV (Reuters) \u2014 Russia said it would talk.", "Russia said it would talk."),
    ("ISTANBUL, Turkey (AP) \u2014 Russia and Ukraine met.", "Russia and Ukraine met."),
    ("US President Donald Trump said he would go.", None), ("UN, NATO - and others met.", None)])
def test_a_wire_dateline_is_not_part_of_what_is_quoted(sentence, rest):
    from rag.evidence import DATELINE
    m = DATELINE.match(sentence)
    assert (sentence[m.end():] if m else None) == rest


FLOOD = ("date 2023-08-16 Wendholt approves flood wall\n\n"
         "Wendholt city council approved the new flood wall along the river Lysse by 31 votes to 6 on "
         "Tuesday night, a year after Storm Maren flooded the town centre.\n\n"
         "The wall will cost 62 million euros and take three years to build, the council said.\n")


def test_a_why_question_whose_premise_the_articles_contradict_is_answered_with_what_they_say(one_story):
    engine = one_story(FLOOD)
    a = engine.ask("Why did the council reject the new flood wall?")
    assert not a.refused, a.reason
    assert a.text.startswith("The articles say otherwise: ") and "approved" in a.text and a.citations


def test_opposites_are_read_both_ways():
    from index.text import stem
    from rag.evidence import OPPOSITES
    for a, b in (("reject", "approved"), ("increase", "reduced"), ("raise", "cut"), ("fail", "won")):
        assert stem(b) in OPPOSITES[stem(a)] and stem(a) in OPPOSITES[stem(b)]


def test_a_date_answer_that_names_only_a_weekday_says_which_day_it_was(engine):
    a = engine.ask("When did Harlow Town win the 2017 Merrow Cup?")
    assert not a.refused, a.reason
    assert "on Saturday" in a.text and "(The article is dated 2017-06-04, so that Saturday was June 3, 2017.)" in a.text
    assert len(a.text) <= 400


def test_an_llm_date_answer_that_names_only_a_weekday_says_which_day_it_was(news_engine, Scripted):
    engine = news_engine(ARTICLES, llm=Scripted("Harlow Town won the Merrow Cup at home on Saturday [1]."))
    a = engine.ask("When did Harlow Town win the 2017 Merrow Cup?")
    assert not a.refused and not a.fallback, a.reason
    assert a.text.endswith("(The article is dated 2017-06-04, so that Saturday was June 3, 2017.)")


def test_a_sentence_inside_a_quotation_is_shown_with_whoever_opened_it(one_story):
    engine = one_story(
        "date 2022-06-02 First Solmarsh ferry reaches Skerrin\n\n"
        "The first Solmarsh Ferries sailing from Port Aldwick reached Skerrin on Wednesday, 25 minutes late "
        "after a crossing in a strong westerly wind.\n\n"
        "Captain Rune Askeland said: \"The Larkspur was fine. The passengers were mostly fine. The coffee "
        "machine was not fine.\"\n\nThe ferry will sail twice a day.\n")
    a = engine.ask("who said the coffee machine was not fine")
    assert not a.refused, a.reason
    assert "Rune Askeland" in a.text and "coffee machine was not fine" in a.text


APPEAL = ("date 2022-11-30 Former finance director jailed for six years\n\n"
          "Former Lisker Water finance director Corin Talbeck was found guilty of fraud at the end of his trial "
          "on Tuesday and sentenced to six years in prison.\n\nHis lawyer said he would appeal. The appeal of "
          "his brother-in-law, Emrik Sand, will be heard separately in May.\n")


@pytest.mark.parametrize("question", ["What was the outcome of Emrik Sand's appeal?",
                                      "What did the appeal court decide in Talbeck's case?"])
def test_what_came_of_an_event_the_articles_only_expect_is_refused(one_story, question):
    a = one_story(APPEAL).ask(question)
    assert a.refused, a.text
    assert a.reason == "the articles only say what was expected, not what happened" and a.closest is not None


def test_an_outcome_the_articles_report_is_answered(one_story):
    a = one_story(APPEAL).ask("What was the outcome of Corin Talbeck's trial?")
    assert not a.refused and "six years" in a.text


def test_who_is_refused_when_no_sentence_names_anyone_but_those_asked_about(one_story):
    """"Who won the 2021 regatta?" over a story that only says when the regatta will be held
    names nobody who could have won: refused, saying a name was asked for. (A place named in
    passing, "on the river Ost", still counts as a name: has_type's known weakness.)"""
    engine = one_story("date 2020-11-02 Quenby Regatta sets date for 2021\n\n"
                       "The 60th Quenby Regatta will be held in June 2021, organisers said on Monday.\n\n"
                       "The regatta will be rowed over the usual 2,112-metre course, and the Ostra Trophy final "
                       "will be on the last day.\n")
    a = engine.ask("Who won the Ostra Trophy at the 2021 Quenby Regatta?")
    assert a.refused and "a name" in a.reason, (a.text, a.reason)


def test_how_many_is_refused_when_no_sentence_names_what_is_counted(one_story):
    """"How many aftershocks followed?" over a story whose only figures count the dead and the
    hurt: refused, saying what was counted; "how many people were hurt?" over it is answered."""
    engine = one_story("date 2019-06-03 Earthquake strikes Varn Valley\n\n"
                       "A magnitude 6.1 earthquake struck the Varn Valley on Sunday afternoon, killing seven "
                       "people and injuring 112, officials said on Monday.\n\n"
                       "Rescue teams searched collapsed houses in three villages through the night.\n")
    a = engine.ask("How many aftershocks followed the Varn Valley earthquake?")
    assert a.refused and a.reason == "asks how many aftershocks; no passage found counts them", (a.text, a.reason)
    assert a.closest is not None and "magnitude 6.1" in a.closest.text
    a = engine.ask("How many people were injured in the Varn Valley earthquake?")
    assert not a.refused and "112" in a.text, (a.text, a.reason)


def test_when_is_answered_by_the_sentence_naming_the_calendar_day(one_story):
    """Asked on what date, of two sentences about it the one naming the day ("on January 1")
    answers, not the one telling when the news broke ("on Wednesday")."""
    engine = one_story("date 2023-10-25 Harlan Mining names new chief executive\n\n"
                       "Harlan Mining named finance chief Dora Vell as its next chief executive on Wednesday, "
                       "ending a six-month search, the company said.\n\n"
                       "Vell will take over as chief executive on January 1, 2024, when the current chief "
                       "executive retires after nine years.\n")
    a = engine.ask("On what date does Dora Vell take over as Harlan Mining's chief executive?")
    assert not a.refused and "January 1" in a.text, (a.text, a.reason)


def test_what_someone_said_is_answered_with_their_own_words_told_further_down(one_story):
    """Asked what someone said when something happened to them, the sentence of their own words
    answers, not the closer one that only names them ("named Vell as its next chief executive")."""
    engine = one_story("date 2023-10-25 Harlan names finance chief Vell as CEO and agrees Dunmore sale\n\n"
                       "Harlan Mining named chief financial officer Dora Vell as its next chief executive on "
                       "Wednesday and agreed to sell its loss-making Dunmore zinc mine to Ostrey Resources.\n\n"
                       "Vell, 51, will succeed Rolf Amsel on January 1, 2024. She joined Harlan as finance chief "
                       "in 2018 after a decade at the mining lender Greywater Capital.\n\n"
                       "\"I have spent five years telling this company what it cannot afford,\" Vell said. "
                       "\"Now I get to decide what it can.\"\n")
    a = engine.ask("What did Dora Vell say when Harlan named her chief executive?")
    assert not a.refused and "cannot afford" in a.text, (a.text, a.reason)


def test_asked_for_the_name_of_something_the_articles_mention_unnamed_is_refused(one_story):
    """"What was the name of the sawmill destroyed?" over "a sawmill was destroyed": the
    articles speak of one and never name it; refused with that sentence as the closest. Named
    ("the Brackley sawmill"), it answers."""
    story = ("date 2022-08-17 Dunley fire destroys homes\n\n"
             "The Dunley Ridge fire has burned 8,400 hectares since Sunday, officials said.\n\n"
             "Fourteen homes and {} were destroyed, chief fire officer Ansel Grieve told reporters.\n")
    a = one_story(story.format("a sawmill")).ask("What was the name of the sawmill destroyed in the Dunley Ridge fire?")
    assert a.refused and a.reason == "the passages found speak of a sawmill without naming it", (a.text, a.reason)
    assert a.closest is not None and "sawmill" in a.closest.text
    a = one_story(story.format("the Brackley sawmill")).ask(
        "What was the name of the sawmill destroyed in the Dunley Ridge fire?")
    assert not a.refused and "Brackley" in a.text, (a.text, a.reason)


def test_a_question_worded_with_a_common_paraphrase_of_the_story_is_answered(engine):
    """The question's specific word is one ordinary English puts for the story's ("attended" for
    "a crowd of 21,400 watched"): the sentence holds what is asked and is quoted, not refused as
    not mentioning it."""
    a = engine.ask("How many people attended the 2017 Merrow Cup final?")
    assert not a.refused and "21,400" in a.text, (a.text, a.reason)


def test_the_words_news_puts_for_one_another_are_one_word_to_the_focus_rule():
    from index.text import stem
    from rag.evidence import _mentions

    assert _mentions({stem("resigned"), stem("coach")}, stem("quit"))
    assert _mentions({stem("crowd")}, stem("attended")) and _mentions({stem("compere")}, stem("hosted"))
    assert _mentions({stem("offered")}, stem("proposal"))
    assert not _mentions({stem("crowd")}, stem("hosted"))
    # "got home" / "returned", "chaired the jury" / "leading the jury", "who paid for" / "funded by",
    # "was he happy" / "satisfied", "did she reveal" / "confirmed", "how effective" / "efficacy"
    assert _mentions({stem("returned")}, stem("home")) and _mentions({stem("leading")}, stem("chaired"))
    assert _mentions({stem("funded")}, stem("paid")) and _mentions({stem("satisfied")}, stem("happy"))
    assert _mentions({stem("confirmed")}, stem("reveal")) and _mentions({stem("efficacy")}, stem("effective"))
    assert not _mentions({stem("returned")}, stem("paid"))
    # "since when has she been in charge?" / "who has led Brunholt since 2011"; "which company is
    # buying the mine?" / "the sale of the mine to Pashley": one role, one transaction from either side
    assert _mentions({stem("led")}, stem("charge")) and _mentions({stem("sale")}, stem("buying"))
    assert _mentions({stem("sold")}, stem("bought")) and not _mentions({stem("sale")}, stem("charge"))


def test_what_someone_said_is_refused_when_only_another_speaker_mentions_them(one_story):
    engine = one_story(
        "date 2023-10-02 Quieter wildfire season in Vellmark\n\n"
        "Wildfires burned 6,800 hectares in Vellmark this year, the provincial fire service said.\n\n"
        "Chief fire officer Sabine Oyelaran, who took over from Ansel Grieve in January, said a wet June "
        "and a cooler August had helped.\n")
    a = engine.ask("What did Ansel Grieve say about the 2023 fire season?")
    assert a.refused, a.text
    b = engine.ask("What did Sabine Oyelaran say about the 2023 fire season?")
    assert not b.refused and "wet June" in b.text


FESTIVAL = ("date 2024-03-05 Harrowgate Sounds moves to August\n\n"
            "Harrowgate Sounds will move from July to August this year, organisers said on Tuesday.\n\n"
            "Early-bird weekend tickets will cost £189, festival director Amara Quist said, and go on sale on "
            "Friday.\n\n"
            "Quist, who earns £64,000 a year, has run the festival since 2019.\n")


@pytest.mark.parametrize("question, expected", [
    ("How much is Amara Quist paid as director of Harrowgate Sounds?", "£64,000"),
    ("what is amara quist's salary", "£64,000"),
    ("How much do early-bird weekend tickets for Harrowgate Sounds cost?", "£189")])
def test_what_someone_is_paid_is_a_sum_said_as_pay(one_story, question, expected):
    a = one_story(FESTIVAL).ask(question)
    assert not a.refused, a.reason
    assert expected in a.text


def test_a_price_beside_a_name_is_not_what_the_person_is_paid(one_story):
    engine = one_story(FESTIVAL.replace("Quist, who earns £64,000 a year, has run", "Quist has run"))
    a = engine.ask("How much is Amara Quist paid as director of Harrowgate Sounds?")
    assert a.refused and "£189" not in a.text, a.text


def test_a_quotation_s_opening_word_is_not_a_name():
    from rag.evidence import has_type
    assert not has_type('"In the end, the best one was already in the building," he said.', "name")
    assert has_type('He said "Windfall" won the prize.', "name")


def test_someone_else_s_quotation_does_not_continue_a_report():
    from rag.evidence import Unit, continue_quote
    from rag.types import Passage
    text = ("Minister Anko Ruel told the delegations there were two roads ahead. "
            "\"We will not sign,\" said Tomas Varga, the other side's envoy.")
    p = Passage(source="a.txt", title="", date=None, outlet=None, text=text, start=0, end=len(text), score=1.0,
                id="x")
    first_end = text.index("ahead.") + len("ahead.")
    u = Unit(0, "a.txt", 0, first_end, text[:first_end], 1.0, 1.0, True, (), 0.5, ())
    assert continue_quote(u, p, 400) is u


def test_a_report_runs_on_in_the_speaker_s_own_words_for_a_sentence_or_two():
    """"Market trader Joe Hendry, 71, who ..., said he wanted ..." goes on in Hendry's words for
    two sentences: the quotation takes both (his name is far from "said"), not a third person's."""
    from rag.evidence import Unit, continue_quote
    from rag.types import Passage
    text = ("Market trader Joe Hendry, 71, who has sold vegetables at the market for 48 years, said he wanted "
            "to see the hall reopen before he retired. \"My father had a stall in that hall,\" Hendry said. "
            "\"I want to finish where they finished.\" \"It is a fine hall,\" said Ada Lunn, the mayor.")
    p = Passage(source="a.txt", title="", date=None, outlet=None, text=text, start=0, end=len(text), score=1.0,
                id="x")
    first_end = text.index("retired.") + len("retired.")
    u = Unit(0, "a.txt", 0, first_end, text[:first_end], 1.0, 1.0, True, (), 0.5, ())
    grown = continue_quote(u, p, 400)
    assert grown.text.endswith("finish where they finished.\"") and "Ada Lunn" not in grown.text


def test_a_person_asked_by_full_name_is_found_by_surname():
    """News names a person in full once, then by surname: "Velko said" holds all of "Taras Velko"
    (and "Daniel Velko" none of it)."""
    from rag.evidence import gather
    from rag.types import Passage
    text = ("Defence Minister Taras Velko led the delegation. Velko said the next step should be a meeting "
            "of the two presidents. Daniel Velko, a shopkeeper, said the next step was peace.")
    p = Passage(source="a.txt", title="Varna talks end", date="2025-05-16", outlet=None, text=text, start=0,
                end=len(text), score=1.0, id="x")
    ev = gather("What did Taras Velko say should happen next?", [p], lambda t: 1.0)
    cov = {u.text.split(" said")[0]: u.coverage for u in ev.units}
    assert cov["Velko"] > cov["Daniel Velko, a shopkeeper,"]


def test_a_surname_after_another_first_name_is_someone_else():
    from rag.evidence import _by_surname
    assert _by_surname("Velko said the next step should be a meeting.", "Velko", "Taras")
    assert _by_surname("the minister, Taras Velko, said", "Velko", "Taras")
    assert not _by_surname("Daniel Velko, a shopkeeper, said", "Velko", "Taras")


def test_words_news_uses_for_one_another_hold_each_other():
    from index.text import tokens
    from rag.evidence import _mentions
    held = set(tokens("Finance chief Osric Hale will succeed Fiske on January 1."))
    assert _mentions(held, tokens("replaced")[0]) and not _mentions(held, tokens("resigned")[0])
    assert _mentions(set(tokens("Two people were killed.")), tokens("died")[0])
    # the forms of a verb not spelt from its stem are the verb
    wrote = set(tokens("She wrote the novel in a year and it brought her the prize."))
    assert _mentions(wrote, tokens("written")[0]) and _mentions(wrote, tokens("bring")[0])
    assert not _mentions(wrote, tokens("read")[0])


def test_asked_how_things_stand_now_the_newest_story_answers(news_engine):
    engine = news_engine({
        "alert_2021.txt": "date 2021-11-22 Keldor volcano alert raised to red\n\nThe observatory raised the alert "
                          "level on the Keldor volcano to red, its highest, on Monday as lava reached the coast.\n",
        "alert_2024.txt": "date 2024-03-05 Keldor volcano back to green\n\nScientists lowered the Keldor volcano's "
                          "alert level to green, its lowest, on Tuesday after two quiet years.\n"})
    assert "green" in engine.ask("What alert level is the Keldor volcano on now?").text
    # asked of a time, the story of that time
    assert "red" in engine.ask("What alert level was the Keldor volcano on in 2021?").text


# One invented story, one question: the sentence that answers the kind of thing asked leads (`opening`)
# or is in the answer (`holding`).
LEADS = [
    pytest.param("date 2023-05-30 Ashcombe Rovers appoint Teodor Wallin\n\n"
                 "Ashcombe Rovers have appointed Teodor Wallin as their new manager on a three-year contract, the "
                 "club announced, seven weeks after the sacking of Bryn Castell.\n\n"
                 "Wallin, 44, joins from Halsey Town. Castell was dismissed on 8 April after three years in charge, "
                 "with Rovers two points above the relegation places.\n",
                 "When was Bryn Castell sacked by Ashcombe Rovers?", "Castell was dismissed on 8 April", None,
                 id="a date before a closer sentence giving none"),
    pytest.param("date 2022-08-09 Wildfire forces 2,100 from their homes\n\n"
                 "A wildfire on Tindle Ridge had burned about 8,400 hectares of forest by Tuesday evening, forcing "
                 "2,100 people to leave their homes, officials said.\n\n"
                 "No one has been killed; two firefighters were treated in hospital for smoke inhalation.\n",
                 "How many people died in the Tindle Ridge fire?", "No one has been killed", None,
                 id="how many died: no one, not another count"),
    pytest.param("date 2021-11-08 Jet overruns runway at Tessa airport\n\n"
                 "Seven people were killed when a passenger jet skidded off the end of a wet runway at Tessa "
                 "airport on Saturday evening, officials said.\n\n"
                 "Both pilots who were flying the jet survived the crash, the airline said.\n\n"
                 "The jet's captain, Jonas Ried, 52, and its first officer, Mila Sorn, 31, were questioned by "
                 "investigators at Tessa.\n",
                 "Who was flying the jet that crashed at Tessa?", None, "Jonas Ried",
                 id="who: a sentence naming someone before one naming no one"),
    pytest.param("date 2025-05-16 Talks in Varna end without a truce\n\n"
                 "President Ilse Moravek followed the talks in Varna closely while her delegation negotiated, "
                 "aides said.\n\n"
                 "Moravek, who was attending a regional summit in Tirana, said new sanctions would follow if the "
                 "talks failed.\n",
                 "Where was Moravek while the talks in Varna were on?",
                 "Moravek, who was attending a regional summit in Tirana", None,
                 id="where: a place the question does not name"),
    pytest.param("date 2023-10-25 Kelvane Mining names Ada Fiske as next chief executive\n\n"
                 "Kelvane Mining named finance chief Ada Fiske as its next chief executive on Wednesday.\n\n"
                 "Chairman Osric Hale said the board had interviewed 11 candidates. \"In the end, the best one "
                 "was already sitting in the building,\" he said.\n",
                 'Who said "In the end, the best one was already sitting in the building"?', None, "Osric Hale",
                 id="who said it: 'he said' brings the sentence naming him"),
    pytest.param("date 2025-05-16 Talks in Varna end without a truce\n\n"
                 "Foreign Minister Anko Ruel, who chaired the meeting, told the delegations there were \"two "
                 "roads\" ahead of them.\n\n"
                 "\"One road leads to peace, the other to more destruction,\" Ruel said.\n\n"
                 "Delegates from both sides left Varna on Saturday.\n",
                 'What did Ruel tell the delegations about "two roads"?', "Foreign Minister Anko Ruel",
                 "more destruction", id="reported speech goes on in the speaker's own words"),
    pytest.param("date 2023-10-25 Kelvane chief to retire\n\n"
                 "Kelvane Mining said its chief executive, Ada Fiske, would retire at the end of the year after "
                 "seven years in the job.\n\n"
                 "Finance chief Osric Hale, 51, will succeed Fiske on January 1, the company said.\n",
                 "Who replaced Ada Fiske at Kelvane Mining?", None, "Osric Hale",
                 id="who replaced her: who will succeed her"),
    pytest.param("date 2023-06-01 First ferry in 14 years reaches Tarn\n\n"
                 "The first ferry to the island of Tarn in 14 years arrived on Thursday, ending a 14-year gap, "
                 "with 3 brass bands on the quay.\n\n"
                 "The ship carried 412 passengers and 60 cars on the first crossing, its operator said.\n",
                 "How many passengers were on the first ferry to Tarn?", "The ship carried 412 passengers", None,
                 id="how many: the figure before what is counted leads"),
    pytest.param("date 2023-08-17 Exam results hold steady\n\n"
                 "A total of 54,320 students sat the exams, up about 600 on last year.\n\n"
                 "\"We promised that an A would mean the same as before. This year it does,\" said Aldo Brenner, "
                 "chief executive of the exams council. \"I understand that this is disappointing. But a grade is "
                 "only worth something if people can trust it.\"\n",
                 "Who said a grade is only worth something if people can trust it?", None, "Aldo Brenner",
                 id="who said it: a quotation opened after the speaker's sentence brings it"),
    pytest.param("date 2023-03-02 Mediator named in rail dispute\n\n"
                 "The government named former judge Anselm Dorrance to mediate in the 19-month rail pay dispute "
                 "on Thursday.\n\n"
                 "\"I am not a magician, but both sides are tired enough to listen,\" Dorrance said.\n",
                 "What did Anselm Dorrance say when he was appointed?", None, "not a magician",
                 id="what did X say when ...: X's words, without the circumstance's words"),
    pytest.param("date 2023-08-17 Exam results hold steady\n\n"
                 "A total of 54,320 students sat the exams, up about 600 on last year.\n\n"
                 "\"We promised that an A would mean the same as before. This year it does,\" said Aldo Brenner, "
                 "chief executive of the exams council. \"I understand that this is disappointing. But a grade is "
                 "only worth something if people can trust it.\"\n",
                 "Which official said a grade is only worth something if people can trust it?", None,
                 "Aldo Brenner", id="which official said it: the speaker, as for who said it"),
    pytest.param("date 2019-05-28 Ashby Rovers appoint Wallin\n\n"
                 "Ashby Rovers have appointed Teodor Wallin as their new manager, the club announced on Tuesday, "
                 "seven weeks after Bryn Castell was sacked by Ashby Rovers.\n\n"
                 "Castell was dismissed on 8 April, with Rovers two points above the relegation places.\n",
                 "When was Bryn Castell sacked by Ashby Rovers?", None, "8 April",
                 id="when: the day it happened, not the day it was announced"),
    pytest.param("date 2025-07-23 Orvane keeps new plant despite profit fall\n\n"
                 "Despite a weaker outlook, Orvane said it would not delay its new car plant in Dunmere.\n\n"
                 "\"If we stopped every time a tariff went up, we would never build anything,\" chief executive "
                 "Lise Ekwall said. \"Dunmere is a ten-year decision, not a ten-week decision.\"\n",
                 "How did Ekwall describe the Dunmere plant when explaining why Orvane would not delay it?", None,
                 "ten-year decision", id="how did X describe Y: X's words, not Y's owner's"),
]


@pytest.mark.parametrize("story, question, opening, holding", LEADS)
def test_the_sentence_that_answers_what_is_asked_leads(one_story, story, question, opening, holding):
    a = one_story(story).ask(question)
    assert not a.refused, a.reason
    assert opening is None or a.text.startswith(opening), a.text
    assert holding is None or holding in a.text, a.text


@pytest.mark.parametrize("question, told", [("Summarise the 47th Lark Awards.", True),
                                            ("Who won at the 47th Lark Awards?", False)])
def test_a_summary_of_an_edition_takes_its_story_s_sentences_that_name_another_in_passing(question, told):
    """The story of the 47th ceremony says its record beat one "set at the 44th": part of a summary
    of the 47th (and of a list), not the answer to a question of fact about it."""
    from rag.evidence import gather
    from rag.types import Passage
    text = ("Ada Vell won six Lark Awards on Sunday, breaking the record of five set by Ola Brun at the 44th "
            "ceremony. The 47th ceremony marked the Lark Awards' return to Corr Hall after a renovation.")
    p = Passage(source="a.txt", title="Vell wins six Larks", date="2024-03-11", outlet=None, text=text, start=0,
                end=len(text), score=1.0, id="x")
    ev = gather(question, [p], lambda t: 1.0)
    assert any(u.text.startswith("Ada Vell won six") for u in ev.units) is told


def test_asked_who_a_sentence_naming_someone_not_asked_about_leads():
    """"Who replaced Petra Oslund?": the sentence naming another person (Aldo Vennick) answers,
    not one that only names her and a place."""
    from rag.evidence import gather
    from rag.types import Passage
    text = ("\"Petra Oslund was told this would never happen,\" Oslund said at Duvel Cross. Aldo Vennick, the "
            "regional transport commissioner, took over from Oslund in 2023. Vennick said more trams were ordered.")
    p = Passage(source="a.txt", title="Trams reach Amberlow", date="2024-09-23", outlet=None, text=text, start=0,
                end=len(text), score=1.0, id="x")
    ev = gather("Who replaced Petra Oslund?", [p], lambda t: 1.0)
    assert ev.units[0].text.startswith("Aldo Vennick"), [u.text for u in ev.units]


def test_what_someone_said_is_quoted_not_reported_by_the_llm(news_engine, Scripted):
    """Asked what someone said, the answer is their words, quoted: a small model's report of them
    ("Lund said Harlow were patient") drops the words; the LLM is not asked."""
    a = news_engine(ARTICLES, llm=Scripted("Petra Lund said her team had been patient.")).ask(
        "What did Petra Lund say after the 2017 final?")
    assert not a.refused and "We were patient" in a.text, a.text
    assert a.draft is None and not a.fallback


TICKETS = ("date 2023-07-10 Record crowds at Kestrel Bay\n\nA record 63,200 tickets were sold for the Kestrel Bay "
           "festival this year, organisers said on Monday.\n\nDay tickets, 9,800 of them, sold out within an hour "
           "of going on sale in March.\n")


@pytest.mark.parametrize("draft, kept", [("A record 63,200 tickets were sold for the Kestrel Bay festival this year.", True),
                                         ("Day tickets, 9,800 of them, sold out within an hour.", False)])
def test_a_count_the_best_evidence_does_not_give_is_not_the_answer(news_engine, Scripted, draft, kept):
    """"How many tickets were sold?": the LLM's sentence giving another sentence's figure (the day
    tickets) is true but not the answer the best evidence gives; that one is quoted instead."""
    a = news_engine({"fest.txt": TICKETS}, llm=Scripted(draft)).ask("How many tickets were sold for the festival?")
    assert not a.refused and "63,200" in a.text and "9,800" not in a.text, (a.text, a.checks)
    assert a.fallback is not kept



def test_asked_what_something_came_to_in_the_end_the_newest_story_answers(news_engine):
    engine = news_engine({
        "berth_2023.txt": "date 2023-10-19 Berth 9 delayed again\n\nThe port authority said Berth 9 would cost "
                          "365 million euros, up from an estimate of 310 million, and would open a year late.\n",
        "berth_2025.txt": "date 2025-07-24 Berth 9 opens\n\nThe port's new deep-water berth opened in May. Berth 9 "
                          "cost 372 million euros, 62 million more than first planned.\n"})
    for asked in ("What did Berth 9 end up costing?", "How much did Berth 9 end up costing?"):
        a = engine.ask(asked)
        assert a.text.startswith("Berth 9 cost 372 million euros"), (asked, a.text)      # the newest figure leads


def test_an_llm_answer_in_the_questions_words_is_said_first_then_quoted(news_engine, Scripted):
    """The LLM answers with the question's wording ("was in charge of the trophy"), which no
    source sentence says: the sentence cannot be kept, but its answer, the one name the best
    evidence gives, can: said first, then the sentence it comes from, both cited; not a fallback."""
    llm = Scripted("Lena Vos was in charge of the trophy at the 2018 final.")
    a = news_engine(ARTICLES, llm=llm).ask("Who was in charge of the trophy at the 2018 Merrow Cup final?")
    assert not a.refused and not a.fallback, (a.text, a.checks)
    assert a.text.startswith("Lena Vos [1]. ") and "lifted the trophy" in a.text, a.text
    assert a.citations[0].source == "cup_2018.txt"
    assert any(c["kept"] and c["text"] == "Lena Vos" for c in a.checks)


def test_an_llm_answer_the_best_evidence_does_not_give_is_not_said(news_engine, Scripted):
    """The same wording with another name (one the folder names elsewhere): not said; the
    evidence is quoted, as a fallback."""
    llm = Scripted("Petra Lund was in charge of the trophy at the 2018 final.")
    a = news_engine(ARTICLES, llm=llm).ask("Who was in charge of the trophy at the 2018 Merrow Cup final?")
    assert a.fallback and "Petra Lund" not in a.text, (a.text, a.checks)


def test_two_answers_cut_to_fit_keep_the_figures_they_give():
    """Two answers joined and too long for the answer: each quoted sentence is cut at a clause
    break after the figure it gives (not "... a new cheese plant at Skarvik, on the west
    coast…"), and every quoted sentence, cut or not, ends with its citation and a full stop."""
    from rag.engine import ANSWER_MAX_CHARS, _shortened

    joined = ("Valdmoor confirmed plans for a new cheese plant at Skarvik, on the west coast, which will cost "
              "210 million gellers and open in early 2023, creating about 300 jobs [1]. The Skarvik cheese plant "
              "opened on June 14 at a final cost of 236 million gellers [2]. The plant will now open in June "
              "2023, three months later than planned, because of delays to steel deliveries, the company said "
              "on Tuesday in a statement to the stock exchange in Halden [3].")
    text = _shortened(joined, ANSWER_MAX_CHARS)
    assert len(text) <= ANSWER_MAX_CHARS, len(text)
    assert "210 million gellers" in text and "236 million gellers" in text, text
    assert text.count("[1]. ") == 1 and text.count("[2]. ") == 1 and text.endswith("[3]."), text


def test_a_summary_of_a_year_keeps_to_the_stories_of_that_year(news_engine):
    """Asked to summarise the 2022 season, the 2023 story whose lead names "last year's record" in
    passing (and matches the question's words best) is not summarised in its place."""
    e = news_engine({
        "fire_2022.txt": ("date 2022-10-19 Record losses in Brennmark, review finds\n\n"
                          "Wildfires destroyed 28,000 hectares of forest across Brennmark this year, almost three "
                          "times the 10,000 hectares lost in 2021, the fire service said on Wednesday in its "
                          "end-of-season review.\n\nA total of 190 fires were recorded between May and the end of "
                          "September. Nineteen homes were destroyed.\n"),
        "fire_2023.txt": ("date 2023-09-05 Quieter wildfire season in Brennmark as first water bombers arrive late\n\n"
                          "Wildfires have burned 5,100 hectares in Brennmark so far this season, less than a quarter "
                          "of last year's record, the provincial fire service said on Tuesday, warning that the "
                          "wildfire season was not yet over.\n\nThe province's first water bombers arrived in July.\n"),
    })
    a = e.ask("Give me a summary of Brennmark's 2022 wildfire season.")
    assert not a.refused, a.reason
    assert {c.source for c in a.citations} == {"fire_2022.txt"}, a.text
    assert "28,000" in a.text


def test_a_comparison_with_no_figure_for_one_side_is_refused(news_engine):
    """"How many ... in 2019 compared with 2021?" where the 2021 story gives no count: refused,
    saying for which, rather than quoting the 2021 story's ticket price beside the 2019 count."""
    e = news_engine({
        "fair_2019.txt": ("date 2019-08-12 Record crowd at Dunlin Fair\n\nThe 2019 Dunlin Fair closed on Sunday "
                          "after 31,500 people attended over three days, a record, the organisers said.\n"),
        "fair_2021.txt": ("date 2021-08-16 Rain-soaked Dunlin Fair ends\n\nThe 2021 Dunlin Fair closed on Sunday "
                          "after three days of heavy rain, the organisers said.\n\nTickets cost 12 euros, the same "
                          "as in 2019.\n"),
    })
    a = e.ask("How many people attended the 2019 Dunlin Fair compared with the 2021 Dunlin Fair?")
    assert a.refused, a.text
    assert "2021" in a.reason and a.closest is not None
    told = e.ask("How many people attended the 2019 Dunlin Fair?")
    assert not told.refused and "31,500" in told.text


def test_what_started_it_is_answered_by_a_sentence_giving_a_cause(news_engine):
    """"What started the fire?" is not answered by the story's lead about the fire: by the
    sentence saying what caused it, and refused where no sentence does."""
    e = news_engine({
        "mill_fire.txt": ("date 2021-03-09 Fire destroys Tarnby mill\n\nA fire destroyed the roof of Tarnby's "
                          "old corn mill overnight, leaving the listed building an empty shell, fire officials "
                          "said on Monday.\n\nAbout 40 firefighters fought the blaze. Investigators said the fire "
                          "was most likely caused by an overloaded extension cable in the mill shop.\n"),
        "barn_fire.txt": ("date 2022-07-14 Barn fire at Osk farm\n\nA fire destroyed a barn and 300 bales of hay "
                          "at a farm near Osk on Wednesday night, fire officials said.\n\nNo animals were hurt. "
                          "Crews stayed at the farm until the morning.\n"),
    })
    a = e.ask("What started the fire at the Tarnby mill?")
    assert not a.refused, a.reason
    assert "extension cable" in a.text
    b = e.ask("What started the barn fire near Osk?")
    assert b.refused, b.text


def test_how_many_is_answered_by_the_sentence_counting_what_is_asked(one_story):
    """Of the sentences stating a count, the one putting it before what is counted answers "how
    many people were evacuated?", before the lead that says "evacuations" but counts homes."""
    e = one_story("date 2023-10-02 Storm Ilse floods Varde\n\nStorm Ilse came ashore near Varde on Monday with "
                  "winds of 160 km/h, forcing evacuations along the coast and flooding 300 homes, officials said."
                  "\n\nAbout 12,000 people had left the coast by Sunday night as Storm Ilse approached. Schools "
                  "will stay closed until Wednesday.\n")
    a = e.ask("How many people were evacuated ahead of Storm Ilse?")
    assert not a.refused, a.reason
    assert a.text.startswith("About 12,000 people"), a.text


@pytest.mark.parametrize("stated, answered", [("Oda made landfall at about 7:40 p.m., an hour later than forecast.", True),
                                              ("The eye crossed the coast an hour later than forecast.", False)])
def test_what_time_asks_for_a_time_of_day_not_a_day(one_story, stated, answered):
    e = one_story("date 2023-03-11 Cyclone Oda hits Varde\n\nCyclone Oda made landfall near Varde on Friday evening "
                  f"with winds of 180 km/h, the weather service said.\n\n{stated} Power was cut to 20,000 homes.\n")
    a = e.ask("What time did Cyclone Oda make landfall?")
    assert a.refused is not answered, a.text
    if answered:
        assert a.text.startswith("Oda made landfall at about 7:40 p.m."), a.text


def test_how_hot_is_answered_by_a_temperature(one_story):
    e = one_story("date 2023-07-19 Heatwave grips Varde\n\nThe heatwave in Varde went on for a fifth day on Tuesday, "
                  "and the city opened 40 cooling centres for older residents, officials said.\n\nThe thermometer at "
                  "Varde airport reached 38.2C in the afternoon. Trains ran at reduced speed.\n")
    a = e.ask("How hot did it get in the Varde heatwave?")
    assert not a.refused, a.reason
    assert a.text.startswith("The thermometer at Varde airport reached 38.2C"), a.text


@pytest.mark.parametrize("question, expected", [("How long is the Skeld tunnel?", "3.2 kilometres"),
                                                ("How long is the toll contract?", "25 years")])
def test_how_long_is_a_thing_may_be_a_length_or_a_time(one_story, question, expected):
    e = one_story("date 2023-05-02 Skeld tunnel opens\n\nThe Skeld tunnel opened to traffic on Monday, linking Osk "
                  "and Varde under the Skeld ridge.\n\nAt 3.2 kilometres, the Skeld tunnel is the longest road "
                  "tunnel in the region. The toll contract runs for 25 years.\n")
    a = e.ask(question)
    assert not a.refused, a.reason
    assert expected in a.text


def test_what_a_company_announced_in_a_month_is_the_story_of_that_month(one_story):
    # the announcement's own sentences name other years: a deadline ahead ("by the end of 2024")
    # and last year's figure; both are the November 2023 story, not news of 2024 or 2022
    e = one_story("date 2023-11-08 Brannick to close Osk brewery\n\nOSK, November 8 (Wire) - Brannick Brewing "
                  "said on Wednesday that it would close its Osk brewery by the end of 2024, cutting 140 jobs.\n\n"
                  "The brewery made 2.9 million hectolitres of beer last year, down from 3.4 million in 2021. "
                  "The union said it would fight the closure.\n")
    a = e.ask("What did Brannick announce in November 2023?")
    assert not a.refused, a.reason
    assert "140 jobs" in a.text and "2.9 million" in a.text, a.text
    assert a.text.count("[") >= 2, a.text


DARTS_FINAL = ("date 2022-03-14 Quint wins Brackwater Masters\n\nBRACKWATER, March 14 (Wire) - Ezra Quint won the "
               "Brackwater Darts Masters on Sunday, beating the 2019 champion Dean Mulcaster 11-9 in front of 4,800 "
               "fans.\n\nThe final lasted almost two hours. Quint took home 100,000 euros, the biggest prize in the "
               "tournament's history.\n")


def test_a_year_in_someones_title_is_not_the_year_a_sentence_tells_of(one_story):
    # "the 2019 champion" is who was beaten in 2022, not news of 2019
    e = one_story(DARTS_FINAL)
    a = e.ask("Who won the 2022 Brackwater Darts Masters?")
    assert not a.refused, a.reason
    assert a.text.startswith("Ezra Quint won"), a.text
    assert e.ask("Who won the 2019 Brackwater Darts Masters?").refused


def test_how_much_someone_won_asks_for_a_sum_of_money(one_story):
    e = one_story(DARTS_FINAL)
    a = e.ask("How much did Quint win at the Brackwater Darts Masters?")
    assert not a.refused, a.reason
    assert a.text.startswith("Quint took home 100,000 euros"), a.text


def test_a_date_given_with_another_year_does_not_answer_when_something_happened_in_the_year_asked(one_story):
    # the sentence's "last year" is 2024, but the birth it dates is of 2025
    e = one_story("date 2025-04-17 Snow leopard cubs born at Castrel Park\n\nCASTREL, April 17 (Wire) - Two snow "
                  "leopard cubs have been born at Castrel Park Zoo, the zoo said on Thursday.\n\nThe cubs were born "
                  "on 2 March 2025 in the breeding centre. Their father arrived from a zoo in Terrasol last year.\n")
    a = e.ask("When were snow leopard cubs born at Castrel Park in 2024?")
    assert a.refused and a.closest is not None, a.text
    a = e.ask("When were snow leopard cubs born at Castrel Park in 2025?")
    assert not a.refused, a.reason
    assert "2 March 2025" in a.text


def test_how_many_asks_for_a_figure_counting_what_is_asked_not_one_beside_its_word(one_story):
    # "41 injured when a Corvane Air passenger jet ..." counts the injured, not passengers carried
    e = one_story("date 2021-11-08 Seven killed as Corvane jet overruns runway\n\nTESSINO, Nov 8 (Wire) - Seven "
                  "people were killed and 41 injured when a Corvane Air passenger jet skidded off the end of a wet "
                  "runway at Tessino airport on Saturday evening, officials said.\n\nThe airline operates a fleet "
                  "of 24 aircraft.\n")
    a = e.ask("How many passengers did Corvane Air carry in 2021?")
    assert a.refused and "passengers" in a.reason, (a.text, a.reason)
    a = e.ask("How many people were injured when the Corvane Air jet skidded off the runway?")
    assert not a.refused and "41 injured" in a.text, a.reason


def test_passages_of_a_story_are_read_in_its_order_with_its_paragraphs():
    """Constraints are read in all that was found of a story: in reading order, overlapping
    passages joined, and a passage found far from another starting a paragraph of its own.
    "her win in 2020", found second and paragraphs before, does not make this year's prize fund
    2020's (joined after it in the order found, it did)."""
    from rag.evidence import _found_of_articles
    from rag.question import Context, failed, parse
    from rag.types import Passage
    story = ("Dalgaard wins back the title.\n\nIt is Dalgaard's second title after her win in 2020.\n\n"
             "Falkenrath said the result surprised her.\n\n"
             "The tournament attracted 88 players. The prize fund rose to 55,000 euros.")

    def passage(text, id):
        at = story.index(text)
        return Passage(source="a.txt", title="Dalgaard wins back Korvasse title", date="2022-09-18", outlet=None,
                       text=text, start=at, end=at + len(text), score=1.0, id=id)
    late = passage(story.split("\n\n")[-1], "late")
    early = passage(story.split("\n\n")[1], "early")
    found = _found_of_articles([late, early])["a.txt"]
    assert found == story.split("\n\n")[1] + "\n\n" + story.split("\n\n")[-1]
    prize = "The prize fund rose to 55,000 euros."
    assert failed(parse("How much prize money did the 2020 winner receive?"),
                  Context(prize, found, late.title, late.date, True))
    assert not failed(parse("How much prize money did the 2022 winner receive?"),
                      Context(prize, found, late.title, late.date, True))
    # overlapping passages are joined where they overlap, the same passage read once
    both = passage(story[story.index("Falkenrath"):story.index(" The prize")], "mid")
    assert _found_of_articles([late, both, late])["a.txt"] == story[story.index("Falkenrath"):]


def test_a_story_read_whole_does_not_make_its_words_the_topic():
    """The topic (words most passages found share, not what tells the answer apart) is of the
    passages retrieval found: the rest of one story read on after them, all about its results,
    does not turn "results" into the topic."""
    from rag.evidence import gather
    from rag.types import Passage

    def passage(source, start, text):
        return Passage(source=source, title="", date="2023-10-16", outlet=None, text=text, start=start,
                       end=start + len(text), score=1.0, id=f"{source}{start}")
    found = [passage("a.txt", 0, "The phase 3 results of the Orvane vaccine were published on Monday."),
             passage("b.txt", 0, "Orvane said the vaccine would be made at its Tessby plant.")]
    rest = [passage("a.txt", 100 * i, f"The results showed {i} things about the vaccine.") for i in range(1, 4)]
    question = "What were the results of the Orvane vaccine trial?"
    assert "result" not in gather(question, found + rest, lambda t: 1.0).focus
    assert "result" in gather(question, found + rest, lambda t: 1.0, found=len(found)).focus


def test_a_comparison_gives_for_each_year_the_figure_said_like_the_other(news_engine):
    """"What share did Yes win in 2016 on the night, and in 2020?": the 2016 story says
    "Turnout was 71.2 percent" and "The Yes side won 50.6 percent"; the one said like the 2020
    story's "The Yes side won 64.3 percent" is the one compared, and a word of the question no
    sentence holds ("on the night") does not make the 2016 side unanswered."""
    engine = news_engine({
        "vote_2016.txt": "date 2016-11-07 Harrowmere votes narrowly for its own assembly\n\n"
                         "HARROWMERE, Nov 7 (Wire) - Voters in Harrowmere narrowly backed the creation of a regional "
                         "assembly in Sunday's referendum, the electoral commission said.\n\n"
                         "Turnout was 71.2 percent, the highest for any vote in Harrowmere in thirty years.\n\n"
                         "The Yes side won 50.6 percent of the vote against 49.4 percent for No, the electoral "
                         "commission said early on Monday.\n",
        "vote_2020.txt": "date 2020-09-28 Harrowmere backs tax powers for its assembly\n\n"
                         "HARROWMERE, Sept 28 (Wire) - Voters in Harrowmere gave their regional assembly the power to "
                         "set income tax in a referendum on Sunday.\n\n"
                         "The Yes side won 64.3 percent of the vote, the electoral commission said. Turnout was only "
                         "48.9 percent.\n",
    })
    a = engine.ask("What share of the vote did Yes win in the 2016 Harrowmere referendum on the night, "
                   "and in the 2020 referendum on tax powers?")
    assert not a.refused and "50.6" in a.text and "64.3" in a.text, (a.text, a.reason)
    assert "71.2" not in a.text, a.text


def test_a_summary_of_one_event_tells_its_facts_before_sentences_that_only_name_it(news_engine):
    """"Summarise the 2022 Maldenport Marathon." over the held-out folder (fifteen stories): the
    question names only the event, so a sentence is not chosen for naming it again ("her last
    marathon as race director"); the story's facts are: who won the women's race, in what time."""
    folder = Path(__file__).resolve().parents[2] / "evals" / "corpora" / "heldout"
    engine = news_engine({f.name: f.read_text(encoding="utf-8") for f in sorted(folder.glob("*.txt"))})
    a = engine.ask("Summarise the 2022 Maldenport Marathon.")
    assert not a.refused and "Kasmiri" in a.text and "Sollberg" in a.text, (a.text, a.reason)
