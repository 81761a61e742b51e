"""What a question constrains (year, quarter, edition, numbered name) and when evidence matches it."""
from __future__ import annotations

import pytest

from rag.question import (Context, failed, focus_terms, grounded, holds, list_of, ordinals, parse, said_instead, sides,
                          years)


def kinds(question):
    return {(c.kind, c.value) for c in parse(question).constraints}


@pytest.mark.parametrize("question, expected", [
    ("Who won the 2019 final?", {("year", 2019)}),
    ("What was Orvane Motors' revenue in Q1 2024?", {("quarter", 1), ("year", 2024)}),
    ("How much did it earn in the third quarter of 2021?", {("quarter", 3), ("year", 2021)}),
    ("Who hosted the 43rd ceremony?", {("ordinal", 43)}),
    ("Who chaired the jury at the fifteenth edition?", {("ordinal", 15)}),
    ("Who won the ninetieth running of the race?", {("ordinal", 90)}),
    ("Who led after the second stage?", {("ordinal", 2)}),
    ("How much did the Vexa 5 cost at launch?", {("name", ("vexa", "5"))}),
    ("How did profit in H1 2022 compare?", {("half", 1), ("year", 2022)}),
])
def test_constraints_are_read_from_the_question(question, expected):
    assert kinds(question) == expected


@pytest.mark.parametrize("question", [
    "Who was the first to speak?",                 # "first" with no series noun is an ordinary word
    "How many people attended, more than 2,000?",  # a count, not a year
    "What did the two sides agree on?",
])
def test_ordinary_words_are_not_constraints(question):
    assert kinds(question) == set()


def test_shapes():
    assert parse("Summarise the 2022 election.").shape == "summary"
    assert parse("Give me an overview of the launch").shape == "summary"
    assert parse("Who sat on the jury?").shape == "list"
    assert parse("Which films won prizes at the festival?").shape == "list"
    assert parse("what four awards did the band win at the 42nd ceremony").shape == "list"
    assert parse("What kinds of craftspeople worked on the roof?").shape == "list"
    assert parse("What conditions came with the approval? list a few").shape == "list"
    assert parse("what did the workers get out of the deal, main terms please").shape == "list"
    assert parse("Who won the race?").shape == "fact"


@pytest.mark.parametrize("question", [
    "tl;dr of the appeal", "Give me a quick summary of the bank's June rate decision.", "can you sum up the season",
    "Briefly, what was the row over the judges?", "What's the council's position, in a nutshell?",
    "what was the mood like? short overview please", "Give me a short summary of the census results."])
def test_a_summary_asked_for_in_other_words_is_a_summary(question):
    assert parse(question).shape == "summary"


@pytest.mark.parametrize("question", ["How did the minister sum up the day in his post?",
                                      "What did the summary of the report recommend?"])
def test_a_summary_someone_gave_is_not_a_summary_asked_for(question):
    assert parse(question).shape == "fact"


def test_the_shape_is_the_question_asked_not_the_conversation_carried_with_it():
    carried = "did he appeal it? (following: what happened to Ostrem Malk at his trial)"
    assert parse(carried).shape == "fact"
    assert parse("what happened to Ostrem Malk at his trial").shape == "summary"


def test_word_and_number_ordinals_compare_equal():
    assert ordinals("the forty-third edition") == {43} == ordinals("the 43rd edition")


def ctx(sentence, passage="", title="", date=None, on_topic=True):
    return Context(sentence, passage or sentence, title, date, on_topic)


def test_a_sentence_naming_another_year_fails_even_in_a_story_of_the_asked_year():
    (c,) = parse("Who won the 2019 final?").constraints
    assert not holds(c, ctx("Ferris won the 2018 final.", date="2019-05-01"))
    assert holds(c, ctx("Ferris won the 2019 final.", date="2020-05-01"))


def test_the_article_date_supplies_the_year_a_sentence_leaves_out():
    (c,) = parse("Who won the 2019 final?").constraints
    assert holds(c, ctx("Ferris won the final on Saturday.", date="2019-05-01"))
    assert not holds(c, ctx("Ferris won the final on Saturday.", date="2021-05-01"))
    assert holds(c, ctx("Ferris won this year's final.", date="2019-05-01"))
    assert holds(c, ctx("Ferris won last year's final.", date="2020-05-01"))


def test_a_year_in_passing_does_not_make_a_sentence_about_that_year():
    (c,) = parse("Who won the 2019 final?").constraints
    aside = ctx("He retired in 2019 after eleven seasons.", date="2022-05-01", on_topic=False)
    assert not holds(c, aside)


def test_history_told_in_passing_keeps_a_sentence_in_its_storys_year():
    (c,) = parse("Who won the 2019 final?").constraints
    # "for the first time since 2004" in a story of 2019 still reports the 2019 final
    assert holds(c, ctx("Ferris won the final for the first time since 2004.", date="2019-05-01"))
    # a later year in the sentence is not history: the sentence is about that later year
    assert not holds(c, ctx("Ferris will defend the title in 2020.", date="2019-05-01"))
    # and in a story of another year, an older year does not make it about the asked one
    assert not holds(c, ctx("Ferris won the final for the first time since 2004.", date="2021-05-01"))


def test_a_headline_naming_its_year_decides_over_the_date():
    (c,) = parse("What was revenue in 2022?").constraints
    story = dict(title="Orvane ends 2021 with record sales", date="2022-02-10")
    assert not holds(c, ctx("Revenue was $1.4 billion.", **story))
    assert holds(c, ctx("Revenue was $1.4 billion.", title="Orvane sales up", date="2022-02-10"))


def test_a_quarter_reported_after_the_new_year_belongs_to_the_year_before():
    q = parse("What was revenue in the fourth quarter of 2022?")
    assert failed(q, ctx("Fourth-quarter revenue was $1.3 billion.", date="2023-02-09")) == ()
    assert {c.kind for c in failed(q, ctx("Fourth-quarter revenue was $1.4 billion.", date="2022-02-10"))} \
        == {"year"}
    q = parse("What was revenue in Q3 2023?")   # reported in October of the same year
    assert failed(q, ctx("Third-quarter revenue was $1.38 billion.", date="2023-10-25")) == ()
    # history told in passing is read against the year the story reports, not its date's
    q = parse("What was the loss in the fourth quarter of 2022?")
    assert failed(q, ctx("It reported a fourth-quarter loss, its first since 2016.", date="2023-02-09")) == ()
    assert failed(q, ctx("It reported a fourth-quarter loss, its first since 2016.", date="2024-02-09")) != ()


def test_edition_is_read_from_sentence_then_passage_then_title():
    (c,) = parse("Who hosted the 43rd awards?").constraints
    assert holds(c, ctx("The host was Ann Lee.", "The 43rd awards were held on Sunday. The host was Ann Lee."))
    assert not holds(c, ctx("The host was Ann Lee.", "The 44th awards were held on Sunday. The host was Ann Lee."))
    assert holds(c, ctx("The host was Ann Lee.", title="Lee hosts 43rd awards"))
    assert not holds(c, ctx("The host was Ann Lee."))          # nothing says which edition


def test_quarter_and_numbered_name():
    q = parse("What was revenue in Q2 2023?")
    assert failed(q, ctx("Second-quarter revenue rose to $1.2 billion.", date="2023-08-01")) == ()
    assert {c.kind for c in failed(q, ctx("First-quarter revenue rose to $1.1 billion.", date="2023-05-01"))} \
        == {"quarter"}
    # a quarter named by its months is that quarter
    assert failed(q, ctx("Revenue for the April-June quarter was $1.2 billion.", date="2023-08-01")) == ()
    assert failed(q, ctx("In the three months to June, revenue rose 4%.", date="2023-08-01")) == ()
    assert failed(q, ctx("Revenue for the January-March quarter fell.", date="2023-05-01")) != ()
    (c,) = parse("How much did the Vexa 5 cost?").constraints
    assert not holds(c, ctx("The Vexa 4 costs $299."))
    assert holds(c, ctx("It costs $349.", "The Vexa 5 goes on sale today. It costs $349."))


def test_a_numbered_name_typed_in_lower_case_counts_when_the_articles_name_the_series():
    q = parse("how long does the battery on the vexa 5 last")
    assert {(c.kind, c.value) for c in q.constraints} == {("name", ("vexa", "5"))}
    found = ["The Vexa 6 battery lasts 30 hours.", "The Vexa 4 went on sale in July."]
    assert grounded(q, found).constraints == q.constraints       # a series the folder has: a near miss
    assert grounded(q, ["The battery lasts 30 hours."]).constraints == ()   # no series: an ordinary phrase
    assert parse("what were the top 10 films of the year").constraints == ()  # a count of things


def test_several_values_of_one_kind_are_alternatives():
    q = parse("How did profit in 2021 compare with 2023?")
    assert failed(q, ctx("Profit was $8 million in 2023.")) == ()
    assert failed(q, ctx("Profit was $5 million in 2022.")) != ()


def test_said_instead_names_what_the_evidence_is_about():
    (c,) = parse("Who won the 2019 final?").constraints
    assert said_instead(c, ctx("Ferris won the 2018 final.")) == "2018"
    (c,) = parse("Who hosted the 43rd awards?").constraints
    assert said_instead(c, ctx("Lee hosted.", title="Lee hosts the 45th awards")) == "45th"


def test_said_instead_of_a_month_in_an_undated_article_is_none():
    (c,) = [c for c in parse("What did they agree in June?").constraints if c.kind == "month"]
    assert said_instead(c, ctx("They agreed a swap.", title="Talks end", date=None)) is None
    assert said_instead(c, ctx("They agreed a swap.", title="Talks end", date="2025-05-16")) == "May"


def test_focus_leaves_out_the_shared_topic_and_the_way_of_asking():
    q = parse("Who refereed the 2018 Shield final?")
    assert focus_terms(q, topic={"shield", "final"}) == {"refere"} or "refer" in "".join(focus_terms(q, {"shield", "final"}))


def test_a_part_numbered_in_words_is_the_same_part_numbered_in_figures_or_as_an_ordinal():
    from rag.question import mentions

    (c,) = parse("How many stations will there be on stage three of the line?").constraints
    assert (c.kind, c.value) == ("name", ("stage", "3"))
    said = {v for _, _, v in mentions(c, "Stage two opened in May. The third stage and stage 4 will follow.")}
    assert said == {"2", "3", "4"}
    # a count of days is not a day of a series
    assert all(c.kind != "name" for c in parse("What happened in the first game two days later?").constraints)
    (c,) = parse("Who won game 4?").constraints
    assert {v for _, _, v in mentions(c, "She lost the fourth game and game five.")} == {"4", "5"}


def test_the_way_a_follow_up_points_back_is_not_what_it_asks_about():
    # "the previous one" is the last strike, told as "the last tram strike"; "what did he mean"
    # asks what the quotation just shown meant: neither word need be in the answer
    assert focus_terms(parse("How long did the previous strike last?"), topic=set()) == {"strike", "last"}
    assert focus_terms(parse("How many families did he mean?"), topic=set()) == {"famili"}
    assert "final" in focus_terms(parse("What was the final cost of the bridge?"), topic=set())
    # nor are the words that place or frame what is asked: "during the storm", "supposed to end"
    assert focus_terms(parse("How high did the river rise during the storm?"), topic={"river", "storm"}) == {"high", "rise"}
    assert focus_terms(parse("When is the strike supposed to end?"), topic={"strike"}) == set()


def test_what_someone_said_is_a_kind_of_answer():
    from rag.evidence import answer_type, has_type

    assert answer_type("What did the mayor promise when she was sworn in?") == "quote"
    assert answer_type("What did Ann Lee say about the delay?") == "quote"
    assert answer_type("Who said the delay was worth it?") == "name"        # asks for the speaker
    assert answer_type("What did the two sides agree on?") is None
    # "who" after another question word opens a relative clause: it does not ask who
    assert answer_type("What did the minister offer teachers who move to rural schools?") is None
    assert answer_type("And who came second?") == answer_type("To whom was it sold?") == "name"
    assert has_type('"This town voted for clean water," Lee said.', "quote")
    assert not has_type("Lee was sworn in on Wednesday at the town hall.", "quote")
    # a title in quotation marks is not a saying; a saying that runs on past the sentence is
    assert not has_type('"A House Without Clocks" by Ann Lee won the prize on Thursday.', "quote")
    assert has_type('"Heat illness does not always give a warning.', "quote")


def test_a_price_asked_for_in_other_words_is_a_sum_of_money():
    from rag.evidence import answer_type

    assert answer_type("How much is the fare on the new line?") == "money"
    assert answer_type("How much were tickets for the final?") == "money"
    assert answer_type("What did the new stadium cost?") == "money"
    assert answer_type("What was the ticket price?") == answer_type("What is the cost of the repairs?") == "money"
    # what a report said about a cost is what it said, and "how much" of a thing is not a price
    assert answer_type("What did the report say about the cost?") != "money"
    assert answer_type("How much rain fell?") == "number"


def test_a_year_or_a_date_asked_for_is_a_year_or_a_day_stated():
    from rag.evidence import answer_type, has_type

    assert answer_type("In what year was the prize set up?") == "year"
    assert answer_type("On what date did the bridge open?") == "day"
    assert answer_type("When did the bridge open?") == "date"
    assert has_type("The prize, founded in 1994, is worth $60,000.", "year")
    assert not has_type("The prize was presented on Thursday in March.", "year")
    assert has_type("The bridge opened on 14 March.", "day") and has_type("It opened on Saturday.", "day")
    assert not has_type("The bridge opened in 2022.", "day")
    # the kind of answer asked for is not a word the answer must hold
    assert "year" not in parse("In what year was the prize set up?").asked


def test_a_list_is_asked_and_named():
    from rag.evidence import enumerates

    assert parse("Who was in the visiting delegation?").shape == "list"
    assert parse("Who was in charge of the talks?").shape == "fact"
    assert enumerates("The team included Ann Lee, Bo Park and Cy Dunn.")
    assert enumerates("She also won Best Song and Best Video.")
    assert not enumerates("Ann Lee said the talks in Vienna went well.")


def test_a_share_is_asked_and_stated():
    from rag.evidence import answer_type, has_type

    assert answer_type("What share of the vote did Ann Lee win?") == "percent"
    assert answer_type("How many votes did Ann Lee win?") == "count"
    assert has_type("Lee took 38.9% of the vote.", "percent")
    assert has_type("Turnout was 58 per cent.", "percent")
    assert not has_type("Lee won 12,400 votes.", "percent")
    # a change in percentage points is no share
    assert not has_type("The margin, 5.5 percentage points, was narrower than in 2021.", "percent")
    assert not has_type("The bank raised its rate by half a percentage point.", "percent")
    assert has_type("Lee won 50.8% of the vote, 5.5 points ahead of Park.", "percent")


@pytest.mark.parametrize("sentence, counts", [
    ("A record 310 volunteers took part.", True),
    ("No one was hurt.", True),
    ('"I have watched this final since I was six years old," Verhalen said.', False),   # an age
    ("Verhalen beat Brodsky 6-4 3-6 7-5 in two hours and 51 minutes.", False),          # a result, a time
    ("Tickets cost 40 euros, up 12% on 2019.", False)])
def test_how_many_is_answered_by_a_count_not_an_age_a_result_or_a_span(sentence, counts):
    from rag.evidence import answer_type, has_type
    assert answer_type("How many people watched the final?") == "count"
    assert has_type(sentence, "count") is counts


def test_how_many_days_asks_how_long():
    from rag.evidence import answer_type, has_type
    assert answer_type("How many days did the strike last?") == "duration"
    assert has_type("The strike lasted five days.", "duration")


@pytest.mark.parametrize("question, ordinals", [
    ("On what date did the third Kestrel-2 flight lift off?", [3]),
    ("When was the second strike at the plant?", [2]),
    ("When did the first 72-hour walkout begin?", []),         # "first 72" is no name, "first walkout" no series
    ("Who won the first set?", [])])
def test_a_second_or_third_flight_or_strike_is_one_of_a_series(question, ordinals):
    q = parse(question)
    assert [c.value for c in q.constraints if c.kind == "ordinal"] == ordinals
    assert not [c for c in q.constraints if c.kind == "name" and c.text.startswith("first")]


def test_what_day_asks_for_a_day():
    from rag.evidence import answer_type, has_type
    assert has_type("The volcano began erupting eight days ago.", "day")
    assert has_type("It sank two weeks ago.", "date")
    assert answer_type("What day did the walkout begin?") == "day"
    assert answer_type("Which analyst said the phone would not sell?") == "name"
    assert answer_type("What did the analyst say about the phone?") == "quote"


def test_a_quarter_said_by_its_months_is_a_quarter():
    q = parse("How many vehicles did Orvane deliver in the July-September quarter of 2025?")
    assert [(c.kind, c.value) for c in q.constraints] == [("quarter", 3), ("year", 2025)]
    assert [(c.kind, c.value) for c in parse("What was revenue in the three months to June?").constraints] == \
        [("quarter", 2)]


def test_how_much_money_revenue_or_prize_asks_for_a_sum():
    from rag.evidence import answer_type

    assert answer_type("How much money did she get for winning the title?") == "money"
    assert answer_type("How much revenue did the carmaker report?") == "money"
    assert answer_type("How much prize money did the runner-up get?") == "money"
    assert answer_type("How much rain fell in the city?") == "number"


def test_how_heavy_asks_for_a_weight():
    from rag.evidence import answer_type, has_type

    assert answer_type("How heavy is the Arc 6 Pro?") == "weight"
    assert answer_type("How much does the satellite weigh?") == "weight"
    assert has_type("It weighs 221 grams.", "weight") and has_type("a 40-kilogram bag", "weight")
    assert not has_type("It has a 6.8-inch screen and costs 1,099 orins.", "weight")


def test_how_deep_wide_tall_or_far_asks_for_a_length():
    from rag.evidence import answer_type, has_type

    assert answer_type("How deep is the open pit?") == "length"
    assert answer_type("What is the width of the summit crater?") == "length"
    assert answer_type("How long did the talks last?") == "duration"      # how long: a time
    assert has_type("The pit is 240 metres deep.", "length") and has_type("a 2.5-kilometre loop", "length")
    assert not has_type("The mine will run until 2045 and employs 1,200 people.", "length")


def test_how_long_asks_for_a_duration():
    from rag.evidence import answer_type, has_type

    assert answer_type("How long did the talks last?") == "duration"
    assert has_type("The officials met for less than two hours.", "duration")
    assert not has_type("The two sides met in the palace.", "duration")     # "two" alone is no duration


def test_the_things_a_question_compares_pair_its_values_in_order():
    from rag.question import sides

    pairs = sides(parse("How did net profit in Q4 2021 compare with Q3 2023?"))
    assert [tuple((c.kind, c.value) for c in side) for side in pairs] == \
        [(("quarter", 4), ("year", 2021)), (("quarter", 3), ("year", 2023))]
    assert len(sides(parse("Was the crowd bigger in 2017 or in 2022?"))) == 2
    assert sides(parse("What was revenue in Q2 2023?")) == []            # one of each: nothing compared
    assert sides(parse("Who won in 2017 and 2018, in the third round?")) != []
    assert sides(parse("Compare Q1 and Q2 of 2021 with 2022 and 2023 and 2024")) == []   # counts disagree


def test_names_are_read_as_words_are_read_in_the_passages():
    from index.text import fold, words

    q = parse("Who makes the Orvane vaccine for Lisker clinics?")
    # the passages' words hold "orvane" and "lisker": a name must be findable there
    assert set(q.names) <= set(words(fold("Orvane's vaccine went to Lisker's clinics.")))
    assert "orvane" in q.names and "orvane" not in q.asked


def test_a_name_numbered_with_a_hyphen_picks_one_of_its_series():
    q = parse("How effective was SLV-204 against RSV?")
    (c,) = q.constraints
    assert (c.kind, c.value) == ("name", ("slv", "204"))
    assert holds(c, ctx("SLV-204 protected 82.6% of volunteers."))
    assert not holds(c, ctx("SLV-203 protected 61% of volunteers."))
    # typed in lower case, it is one when the articles number that name
    q = parse("how heavy is kestrel-2")
    assert [c.value for c in grounded(q, ["Kestrel-3 weighs 455 kg."]).constraints] == [("kestrel", "2")]
    assert failed(q, ctx("Kestrel-3 weighs 455 kilograms.", "Kestrel-3 weighs 455 kilograms."))
    # two numbered names of different series are both asked for, not alternatives
    q = parse("How many people took part in the phase 1 trial of SLV-204?")
    assert sides(q) == []
    assert failed(q, ctx("The phase 2 trial of SLV-204 enrolled 640.", "The phase 2 trial of SLV-204 enrolled 640."))


def test_a_year_a_figure_is_compared_with_is_told_in_passing():
    (c,) = parse("How much water was lost to leaks in 2023?").constraints
    s = "The company lost 176 million litres a day, down from 180 million last year."
    assert holds(c, ctx(s, s, date="2023-06-20", on_topic=False))
    s = "The company lost 176 million litres a day, up from 150 million in 2019."
    assert holds(c, ctx(s, s, date="2023-06-20", on_topic=False))
    # a sentence about another year's figure is still that year's
    s = "In 2021 the company lost 190 million litres a day."
    assert not holds(c, ctx(s, s, date="2023-06-20", on_topic=False))


def test_the_year_before_is_the_one_before_the_year_the_sentence_names():
    """"in 2021, up from 4.6 million the year before" compares with 2020, not with the year before
    the story's date: the sentence is 2021's, and a question about 2022 is not answered by it."""
    s = ("Dunholt Airport handled 6.4 million passengers in 2021, up 38% from 4.6 million the year "
         "before, the company said on Thursday.")
    (c,) = parse("How many passengers did Dunholt Airport handle in 2022?").constraints
    assert not holds(c, ctx(s, s, date="2022-02-10", on_topic=True))
    (c,) = parse("How many passengers did Dunholt Airport handle in 2021?").constraints
    assert holds(c, ctx(s, s, date="2022-02-10", on_topic=True))
    # without a year of its own, the sentence's "the year before" is the story's year before
    s = "The airport handled 6.4 million passengers, up from 4.6 million the year before."
    (c,) = parse("How many passengers did Dunholt Airport handle in 2022?").constraints
    assert holds(c, ctx(s, s, date="2022-02-10", on_topic=True))


def test_a_sentence_without_a_year_speaks_of_its_paragraphs_year_or_its_storys():
    (c,) = parse("How many runners finished the 2024 marathon?").constraints
    story = ("Vantreel won the 13th marathon on Sunday.\n\n"
             "Runners raised 1.6 million euros for charity. The 14th edition will be held in April 2024.")
    # a year named after the sentence (the next edition) does not make it that year's
    assert not holds(c, ctx("Runners raised 1.6 million euros for charity.", story, date="2023-04-23"))
    (c,) = parse("How many people attended the 2018 final?").constraints
    profile = "He was a striker then.\n\nIn the 2018 final he scored twice. The crowd was 33,900."
    # a paragraph that names its year before the sentence speaks of that year
    assert holds(c, ctx("The crowd was 33,900.", profile, date="2023-05-01"))
    assert not holds(c, ctx("He was a striker then.", profile, date="2023-05-01"))
    # with no year in its paragraph, the story's own year
    assert holds(c, ctx("The crowd was 33,900.", "The crowd was 33,900.", date="2018-05-27"))


def test_a_year_a_figure_is_compared_with_does_not_frame_the_sentences_after_it():
    """"rose to 17.8 percent from 15.1 percent in 2001" in a story of the 2011 census names 2001
    as what a figure is compared with: the next sentence, naming no year, is still the story's."""
    census = ("The share of people aged 65 and over rose to 17.8 percent from 15.1 percent in 2001. "
              "The median age was 41.3 years.")
    s = "The median age was 41.3 years."
    (c,) = parse("What was the median age in Orlandia at the 2001 census?").constraints
    assert not holds(c, ctx(s, census, date="2012-07-19"))
    (c,) = parse("What was the median age in Orlandia at the 2012 census?").constraints
    assert holds(c, ctx(s, census, date="2012-07-19"))


def test_a_sentence_without_a_quarter_speaks_of_the_quarter_its_paragraph_named_before_it():
    """A second-quarter story that ends its paragraph with the first quarter's revenue is not
    about the first quarter in the sentences before: "Net profit rose" is the second's."""
    story = ("Revenue in the three months to June rose to 3.12 billion merks from 2.21 billion a year "
             "earlier. Net profit rose to 402 million merks. Revenue in the first quarter of 2024 was "
             "2.96 billion merks.")
    s = "Net profit rose to 402 million merks."
    q = parse("What net profit did Corvane report for the first quarter of 2024?")
    assert [c.kind for c in failed(q, ctx(s, story, date="2024-08-06"))] == ["quarter"]
    q = parse("What net profit did Corvane report for the second quarter of 2024?")
    assert failed(q, ctx(s, story, date="2024-08-06")) == ()
    # what a figure is compared with does not frame it: "up from 61,300 in the fourth quarter"
    story = "Deliveries rose to 66,800 in the first quarter, up from 61,300 in the fourth quarter. Net profit fell 11%."
    q = parse("What was the net profit in the fourth quarter?")
    assert [c.kind for c in failed(q, ctx("Net profit fell 11%.", story))] == ["quarter"]
    q = parse("What was the net profit in the first quarter?")
    assert failed(q, ctx("Net profit fell 11%.", story)) == ()


def test_a_numbered_name_named_only_as_what_a_figure_is_compared_with_is_not_what_the_sentence_tells_of():
    s = ("The Arc 5 has a 6.3-inch screen and a 4,500 mAh battery, up from 4,100 mAh on the Arc 4. "
         "It weighs 182 grams.")
    (c,) = parse("how much does the arc 4 weigh").constraints
    assert not holds(c, ctx(s))
    (c,) = parse("how much does the arc 5 weigh").constraints
    assert holds(c, ctx(s))
    # named outside the comparison as well, it is told of
    (c,) = parse("how big is the battery of the arc 4").constraints
    assert holds(c, ctx("The Arc 4 had a 4,100 mAh battery, against 4,500 mAh on the Arc 5."))


def test_first_or_second_said_as_a_placing_is_not_an_edition_or_round():
    s = ("Rookwood won 51.9% of the vote in the second round to Arden's 48.1%, after finishing first "
         "in the opening round two weeks earlier.")
    q = parse("What share of the vote did Rookwood get in the first round of the election?")
    assert [c.kind for c in failed(q, ctx(s))] == ["ordinal"]
    q = parse("What share of the vote did Rookwood get in the second round of the election?")
    assert failed(q, ctx(s)) == ()
    assert ordinals("She came second, four points behind, and was third on the first day.") == {1}


def test_a_story_of_early_in_the_year_that_names_only_last_year_reports_last_years_figures():
    """Dated March 2015, "a net profit of 41 million tallers for 2014" and then "Revenue rose 7%
    to 1.38 billion tallers": the revenue is 2014's. Dated in July, or naming 2015 too, the
    story's year stays its own."""
    (c,) = parse("What was Aerovela's revenue in 2014?").constraints
    s = "Revenue rose 7% to 1.38 billion tallers."
    story = "Aerovela reported a net profit of 41 million tallers for 2014 on Thursday.\n\n" + s
    assert holds(c, ctx(s, story, date="2015-03-12"))
    assert not holds(c, ctx(s, story, date="2015-07-12"))
    assert not holds(c, ctx(s, story + " It expects more passengers in 2015.", date="2015-03-12"))


def test_for_the_first_time_counts_times_not_an_edition():
    """"The ceremony will be held at the Mireton Arena, the first time it will not be held at
    Halloran Hall" in the story of the 44th awards is about the 44th, not the first."""
    q = parse("Where was the 44th Corriven Music Awards held?")
    s = "The ceremony will take place at the Mireton Arena, the first time it will not be held at Halloran Hall."
    assert failed(q, ctx(s, s, title="Carrick leads nominations for 44th Corrys")) == ()
    assert ordinals("She won it for the fifth time, and for the first time abroad.") == set()
    assert ordinals("the first edition and the fifth-time winner of the third stage") == {1, 3}


def test_a_numbered_name_typed_in_lower_case_is_shown_as_the_articles_spell_it():
    (c,) = parse("how long does the battery on the vexa 5 last").constraints
    assert c.describe("The Vexa 6 battery lasts 30 hours.") == "Vexa 5"
    assert c.describe() == "vexa 5"
    assert said_instead(c, ctx("The Vexa 6 battery lasts 30 hours.")) == "Vexa 6"


def test_a_story_headlined_about_another_of_the_series_names_the_one_asked_only_in_passing():
    (c,) = parse("At what altitude does Kestrel-4 orbit?").constraints
    story = ("Kestrel-3 will orbit at 560 kilometres. The government approved money for a fourth "
             "satellite, Kestrel-4, planned for 2026.")
    s = "It will orbit at 560 kilometres."
    assert not holds(c, ctx(s, story, title="Kestrel-3 launches"))
    # headlined about the one asked, or not headlined by any of them, the story speaks of it
    assert holds(c, ctx(s, story, title="Kestrel-4 approved"))
    assert holds(c, ctx(s, "Kestrel-4 will orbit at 560 kilometres.", title="Satellite news"))
    # a sentence that names one decides for itself
    assert holds(c, ctx("Kestrel-4 will orbit at 600 kilometres.", story, title="Kestrel-3 launches"))


def test_how_many_asks_for_a_count_not_a_sum_a_share_or_a_date():
    from rag.evidence import answer_type, has_type

    assert answer_type("How many people were fined for breaking the rules?") == "count"
    assert not has_type("People who break the rules face fines of up to £1,000.", "count")
    assert not has_type("Turnout rose to 71% on 3 March, up from 2019.", "count")
    assert has_type("About 350 people watched the launch.", "count")
    assert has_type("Three people died and 1,240 homes were flooded.", "count")
    # how much is still any number
    assert answer_type("How much water was lost?") == "number"
    assert has_type("It lost 176 million litres a day.", "number")


def test_people_are_names_that_speak_or_are_given_an_age_or_a_title():
    from rag.evidence import people

    text = ("Vantreel, 29, collects 15,000 euros. \"It was hot,\" said Nele Haverkamp. Ms Lund agreed. "
            "Al Jazeera's Bernard Smith said the talks were short. Maldenport Marathon drew 9,000 runners.")
    found = people(text)
    assert {"vantreel", "nele", "haverkamp", "lund", "bernard", "smith"} <= found
    assert not {"al", "jazeera", "maldenport", "marathon"} & found


def test_two_questions_asked_in_one_are_split_and_the_first_ones_year_holds_for_both():
    from rag.question import two_questions

    assert two_questions("Who won the 2018 cup final, and how many people watched it?") == \
        ("Who won the 2018 cup final?", "How many people watched it (2018)?")
    assert two_questions("What was the turnout, and over how long is the pay rise spread?") == \
        ("What was the turnout?", "Over how long is the pay rise spread?")
    assert two_questions("Who won in 2017 and who won in 2018?") == ("Who won in 2017?", "Who won in 2018?")
    # a second part that only names another year or edition asks the first again of it
    assert two_questions("How many people came to the 12th Lakeside Sounds, and how many to the 14th?") == \
        ("How many people came to the 12th Lakeside Sounds?", "How many people came to the 14th Lakeside Sounds?")
    assert two_questions("What was the pass rate in 2022 and what was it in 2024?")[1] == "What was the pass rate in 2024?"
    assert two_questions("What did Lee earn in 2019 and what did she buy in 2021?")[1] == "What did she buy in 2021?"
    # one question naming two things, or too short to be two
    assert two_questions("What did Russia and Ukraine agree on?") is None
    assert two_questions("Who won, and who lost?") is None


@pytest.mark.parametrize("question, kind, value", [
    ("What was the inflation rate in June 2023?", "month", 6), ("how much rain fell in mid-june", "month", 6),
    ("What did he say on May 15?", "day", (5, 15)), ("what happened on the 3rd of March", "day", (3, 3)),
    ("Who won the vote held 15 March?", "day", (3, 15)), ("what did the Feb 2023 rise cost", "month", 2),
    ("who spoke on Sept. 4?", "day", (9, 4))])
def test_a_month_or_a_day_asked_about_is_a_constraint(question, kind, value):
    assert [(c.kind, c.value) for c in parse(question).constraints if c.kind in ("month", "day")] == [(kind, value)]


@pytest.mark.parametrize("question", ["may I ask who chaired the talks?", "What has changed since June 2023?",
                                      "Who spoke at the May summit?", "What was revenue in the three months to March?"])
def test_may_the_verb_a_span_from_a_month_and_a_named_event_are_not_month_constraints(question):
    assert not [c for c in parse(question).constraints if c.kind in ("month", "day")]


def test_a_month_written_short_before_a_day_or_a_year_is_the_month():
    from rag.evidence import has_type
    from rag.question import days, months, numbered_names
    assert days("The eruption began on Nov. 14 and ended Jan 24, 2022.") == {(11, 14), (1, 24)}
    assert months("in Sept. 2021") == {9} and numbered_names("on Nov 14") == set()
    assert has_type("The eruption began on the evening of Nov. 14.", "date")
    # "Jan" the name, "mar" the verb
    assert months("Jan Novak said the delay would mar the opening.") == set()
    assert not [c for c in parse("What did Jan Novak say?").constraints if c.kind in ("month", "day")]


def test_a_month_holds_in_a_sentence_naming_it_or_a_story_of_that_month():
    q = parse("What was the inflation rate in Kestria in June 2023?")
    month = next(c for c in q.constraints if c.kind == "month")
    assert holds(month, ctx("Prices rose 8.4 percent in June from a year earlier.", date="2023-07-12"))
    assert holds(month, ctx("Inflation eased to 6.1 percent, the bank said.", date="2023-06-14"))
    # a story of February cannot tell June's figure, nor a sentence naming only May
    assert not holds(month, ctx("Inflation is running at 9.2 percent, the bank said.", date="2023-02-09"))
    assert not holds(month, ctx("Prices rose 7.9 percent in May.", date="2023-07-12"))
    assert q.describe() == "June 2023"
    assert said_instead(month, ctx("Inflation is running at 9.2 percent.", date="2023-02-09")) == "February"


def test_a_day_holds_in_a_sentence_naming_it_or_a_story_of_that_day_or_the_next():
    (day,) = parse("How many prisoners came home on May 24?").constraints
    assert not holds(day, ctx("On May 23, 390 prisoners returned home.", date="2025-05-24"))
    assert holds(day, ctx("On Saturday 307 more prisoners returned.", date="2025-05-25"))
    assert not holds(day, ctx("On Saturday 307 more prisoners returned.", date="2025-05-30"))
    assert holds(day, ctx("The second stage of the swap, on 24 May, brought 307 home.", date="2025-06-01"))


@pytest.mark.parametrize("question, kind", [
    ("What is the Bank of Kestria governor paid?", "money"), ("what is harriet voss's salary", "money"),
    ("What transfer fee did the club pay for him?", "money"), ("What was the final cost of the bridge?", "money"),
    ("Who paid for the renovation?", "name"), ("What was the pay rise agreed?", None)])
def test_pay_salary_fees_and_costs_ask_for_a_sum_of_money(question, kind):
    from rag.evidence import answer_type
    assert answer_type(question) == kind


@pytest.mark.parametrize("text, money", [
    ("The rebuild cost 44.5 million euros.", True), ("after a 44.5-million-euro renovation", True),
    ("about 5 billion pounds", True), ("a fine of 300 francs", True), ("fares start at 79 euros", True),
    ("1.2 million passengers", False), ("38,000 crown-of-thorns starfish were removed", False)])
def test_sums_of_money_are_read_in_any_currency_word_and_hyphenated(text, money):
    from rag.evidence import has_type
    assert has_type(text, "money") is money


@pytest.mark.parametrize("text, age", [("The captain, Jonas Rieck, 52, and the first officer survived.", True),
                                       ("a nurse aged 34", True), ("In Dunhollow, 11 of the 17 homes burned.", False)])
def test_an_age_is_read_in_apposition_as_news_gives_it(text, age):
    from rag.evidence import has_type
    assert has_type(text, "age") is age


def test_a_role_written_in_capitals_is_not_a_name():
    assert parse("What did the CEO say about the results?").names == ()
    assert parse("What did the Pellaris CEO say?").names == ("pellaris",)


def test_a_span_of_years_asks_of_the_years_between():
    assert sorted(c.value for c in parse("How did rates develop from 2022 to 2024?").constraints) == [2022, 2023, 2024]
    assert sorted(c.value for c in parse("Who won between 2010 and 2012?").constraints) == [2010, 2011, 2012]
    assert [c.value for c in parse("What was in the 2023-24 budget?").constraints] == [2023]


def test_two_years_ago_in_a_story_is_that_many_years_before_its_date():
    (c,) = parse("Who won the Golden Heron in 2021?").constraints
    s = "The jury included Mira Osh, whose film won the Golden Heron two years ago."
    assert years(s, "2021-06-20") == {2019}
    assert not holds(c, ctx(s, date="2021-06-20"))
    # beside a time of its own, or after "up from", it is history told in passing
    (c,) = parse("How many fires were there in 2023?").constraints
    for s in ("Fires burned 9,800 hectares this summer, a quarter of the area lost two years ago.",
              "The service responded to 620 fires, up from 410 two years ago."):
        assert holds(c, ctx(s, date="2023-10-02")), s


def test_a_figure_with_a_thousands_comma_does_not_end_the_clause_of_the_year_compared_with():
    (c,) = parse("What was the waiting list in 2025?").constraints
    s = "The waiting list stood at 91,750 at the end of January, up from 84,300 at the end of 2023."
    assert holds(c, ctx(s, date="2025-03-12"))
    (c,) = parse("What was the turnout in the 2025 mayoral election?").constraints
    s = "Turnout reached 58.6%, the highest for a mayoral election since the city began publishing figures in 1990."
    assert holds(c, ctx(s, date="2025-05-12"))


def test_a_month_later_than_the_story_s_own_is_last_year_s():
    c = next(c for c in parse("What was the waiting list at the end of December 2024?").constraints if c.kind == "year")
    s = "The waiting list figure, for the end of December, was up from 79,600 a year earlier."
    assert not holds(c, ctx(s, date="2024-02-14"))
    assert holds(c, ctx(s, date="2025-02-14"))
    assert holds(c, ctx("The strike will begin on December 3.", date="2024-02-14"))     # ahead, not back


def test_a_year_named_after_since_is_history_told_in_passing():
    (c,) = parse("Why did the bank cut rates in 2024?").constraints
    s = "The bank cut its rate to 4.25 percent, its first reduction since the start of the pandemic in 2020."
    assert holds(c, ctx(s, s, date="2024-05-16", on_topic=False))


def test_an_undated_story_naming_a_year_only_as_history_is_not_of_that_year():
    (c,) = [c for c in parse("Who led the delegation at the 2022 talks?").constraints if c.kind == "year"]
    story = ("For the first time since March 2022, delegations from the two sides met face-to-face. "
             "Defence Minister Rustem Umerov led the delegation.")
    assert not holds(c, ctx("Defence Minister Rustem Umerov led the delegation.", story))
    story = "The talks of March 2022 broke down in April. Vladimir Medinsky led the delegation."
    assert holds(c, ctx("Vladimir Medinsky led the delegation.", story))


@pytest.mark.parametrize("typed, asked", [
    ("In one sentence, what caused the ferry to sink?", "What caused the ferry to sink?"),
    ("Answer with just the number: how many people were arrested?", "How many people were arrested?"),
    ("Briefly, who won?", "Who won?"), ("in a few words: why did she resign", "Why did she resign"),
    ("who won the final? one word please", "who won the final?"),
    ("how many people died (just the number)", "how many people died?"),
    ("Answer with just the surname: who directed the film?", "Who directed the film?"),
    ("Only the score: how did the final end?", "How did the final end?"),
    ("what is the name of the ship?", "what is the name of the ship?"),
    ("In which city were the talks held?", "In which city were the talks held?"),
    ("What happened in one day of talks?", "What happened in one day of talks?")])
def test_how_to_put_the_answer_is_not_part_of_what_is_asked(typed, asked):
    from rag.question import answer_format
    assert answer_format(typed)[0] == asked


def test_the_figure_asked_for_is_the_one_said_of_the_year_or_edition_asked():
    from rag.evidence import figures
    from rag.question import detached
    s = ("Corvane carried 1.2 million passengers in 2020, down from 3.4 million in 2019, and had only "
         "returned to profit in the third quarter of this year.")
    # no figure of the sentence is said of 2021 (its "this year"), though the sentence names it
    assert detached(parse("How many passengers did Corvane carry in 2021?"), s, figures(s, "count"), "2021-11-08")
    assert not detached(parse("How many passengers did Corvane carry in 2020?"), s, figures(s, "count"), "2021-11-08")
    s = ("The vaccine produced an immune response in 94% of adults in a phase 2 trial, and a phase 3 trial "
         "of about 18,000 volunteers will begin.")
    q = parse("How many volunteers were in the phase 2 trial?")
    assert [c.text for c in detached(q, s, figures(s, "count"))] == ["phase 2"]
    s = "Revenue rose 18% to $1.42 billion in Q1 2022, from $1.2 billion in Q1 2021."
    assert not detached(parse("What was revenue in Q1 2022?"), s, figures(s, "money"))


@pytest.mark.parametrize("sentence, dated, article, expected", [
    ("The hall opened to the public on Saturday.", "2024-09-23", "", ("Saturday", "September 21, 2024")),
    ("The hall opened to the public on Saturday.", "2024-09-21", "", ("Saturday", "September 21, 2024")),
    ("The hall will reopen on Saturday.", "2024-09-18", "", ("Saturday", "September 21, 2024")),
    ("The two sides agreed Friday to swap prisoners. It would be the biggest swap.", "2025-05-16", "",
     ("Friday", "May 16, 2025")),
    ("The hall opened on Saturday.", "2024-09-23", "It burned on 17 February.", ("Saturday", "21 September 2024")),
    ("On May 23, on Friday, 390 came home.", "2025-05-24", "", None), ("It opened on Saturday.", None, "", None),
    # "next" before the weekday looks ahead, "its next chief executive" does not
    ("The firm named Ann Lee its next chief executive on Wednesday.", "2023-10-25", "",
     ("Wednesday", "October 25, 2023")),
    ("They meet again next Tuesday.", "2023-10-25", "", ("Tuesday", "October 31, 2023")),
    # a count of days back, before the weekday the story was told on
    ("The volcano began erupting eight days ago, officials said on Monday.", "2021-11-22", "",
     ("eight days ago", "November 14, 2021")),
    ("It sank two weeks ago.", "2021-11-22", "", ("two weeks ago", "November 8, 2021"))])
def test_a_weekday_is_read_as_the_day_it_was_by_the_articles_date(sentence, dated, article, expected):
    from rag.question import weekday_date
    assert weekday_date(sentence, dated, article) == expected


def test_a_quarter_named_only_as_what_a_figure_is_compared_with_is_told_in_passing():
    (c,) = [c for c in parse("What was net profit in the third quarter?").constraints if c.kind == "quarter"]
    s = "Net profit was $83 million, more than double the $38 million it made in the first quarter."
    story = "Pellaris reported third-quarter revenue of $1.38 billion on Wednesday. " + s
    assert holds(c, ctx(s, story, date="2023-10-25"))
    s = "Net profit for the first quarter was $38 million."
    assert not holds(c, ctx(s, "Pellaris reported third-quarter revenue. " + s, date="2023-10-25"))


def test_a_year_named_only_as_history_does_not_make_the_sentence_about_that_year():
    (c,) = [c for c in parse("How long did the 2022 talks last?").constraints if c.kind == "year"]
    s = "For the first time since March 2022, delegations from the two sides met face to face."
    assert not holds(c, ctx(s, s, date="2025-05-16"))
    s = "The 2022 talks, the first since 2019, lasted three hours."
    assert holds(c, ctx(s, s, date="2025-05-16"))


@pytest.mark.parametrize("quarter, held", [(2, True), (3, False)])
def test_a_quarter_a_story_only_looks_ahead_to_is_not_its_own(quarter, held):
    from rag.question import Constraint, Context, holds
    story = ("Halvard's net profit for the April-June quarter fell 11% to 388 million velds. Halvard delivered "
             "66,800 vehicles in the quarter. It will publish results for the July-September quarter on October 22.")
    ctx = Context("Halvard delivered 66,800 vehicles in the quarter.", story, "Halvard cuts forecast", "2025-07-23")
    assert holds(Constraint("quarter", quarter, f"Q{quarter}"), ctx) is held


def test_a_story_that_names_its_quarter_only_ahead_is_of_that_quarter():
    from rag.question import Constraint, Context, holds
    story = "Orvane will report its third-quarter results on October 22. Analysts expect a loss."
    assert holds(Constraint("quarter", 3, "Q3"), Context("Analysts expect a loss.", story, "Orvane to report", "2025-10-01"))


def test_a_season_over_the_turn_of_a_year_is_one_constraint_shown_as_asked():
    q = parse("On what day did the resort open for the 2023-24 season?")
    (c,) = q.constraints
    assert (c.kind, c.value, c.season, q.describe()) == ("year", 2023, True, "2023-24")
    assert "24" not in q.specific
    (c,) = parse("How many visitors came in 2023?").constraints
    assert not c.season


@pytest.mark.parametrize("sentence, date, season, held", [
    # undated: a story of the first half of a year tells of the season that began the year before
    ("The resort opened early, on November 25, and closed on 21 April.", "2024-04-22", 2023, True),
    ("The resort opened early, on November 25, and closed on 21 April.", "2024-04-22", 2024, False),
    ("The orchestra opened its season with Mahler.", "2021-09-14", 2021, True),
    # a season or a year the sentence names decides
    ("Skier-days fell to 534,000 in the 2021-22 winter.", "2024-04-22", 2021, True),
    ("Skier-days fell to 534,000 in the 2021-22 winter.", "2024-04-22", 2023, False),
    ("The lift opened in December 2023.", "2024-04-22", 2023, True),
    ("The lift opened in December 2023.", "2024-04-22", 2021, False),
    # its next winter is the one after; a figure compared with last season's is still its own
    ("The village agreed a parking plan for next winter.", "2024-04-22", 2024, True),
    ("The village agreed a parking plan for next winter.", "2024-04-22", 2023, False),
    ("Revenue fell to 38.9 million from 44.7 million last season.", "2022-04-06", 2021, True),
    ("Last season the pass cost 60 vesks.", "2022-04-06", 2020, True),
])
def test_a_season_is_read_from_the_sentence_then_the_storys_date(sentence, date, season, held):
    (c,) = parse(f"What happened in the {season}-{(season + 1) % 100:02d} season?").constraints
    assert holds(c, ctx(sentence, date=date)) is held


@pytest.mark.parametrize("question, of", [
    ("Apart from poultry, which animals has the virus been found in?", ["animals"]),
    ("What safety rules did Velmouth bring in?", ["safety", "rules"]),
    ("Name the winners of best film and best actor.", ["winners"]),
    ("what did the workers get out of the deal, main terms please", ["terms"]),
    ("what other failings did the report identify?", ["failings"]),
    ("Who were the candidates?", []),
    ("What did the water company ban?", []),
])
def test_what_a_list_is_of_is_read_from_the_words_that_ask_for_it(question, of):
    assert list_of(question) == of
