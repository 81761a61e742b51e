"""Who did what to whom: role swaps whose every word is in the source are caught; the same
relation in other words (passive, "who led", "lost to", "according to") is not. Invented
sentences about sport, company results, elections and diplomacy."""
from __future__ import annotations

import pytest

from rag.roles import conflict, read, same
from rag.verify import verify

CUP = "Northbridge defeated Eastvale 3-1 in the cup final on Saturday."
CUP_WON = "Harlow Rovers won the Westland Cup after Penmore United were knocked out in the semi-final."
DEAL = "Korvel Systems acquired Datafield for $2 billion, chief executive Mira Osei told investors on Tuesday."
JOBS = "Korvel will cut 200 jobs, according to chief executive Mira Osei."
ANALYST = "Analyst Jon Pratt said Korvel had never looked stronger under Mira Osei."
VOTE = "Incumbent mayor Dana Cole was defeated by challenger Luis Ortega, who won 54% of the vote in Brenton."
TALKS = "The Veltrian delegation, led by foreign minister Anna Kross, met a Soravian team headed by envoy Piet Lund."
TOLD = "Anna Kross, who led Veltria's delegation, told Piet Lund that talks would resume in March."
TRIP = "Prime Minister Ela Varga flew to Oslo on Monday while her deputy Ivo Tamm stayed in Riga."
COACH = "Coach Ana Veld said Tomas Rell had been the best player on the pitch."
TRIO = "Medina, Okafor and Lind led the Calvarian team to the final."

AGREES = [   # the same relation in other words: never a conflict
    ("passive for active", CUP, "Eastvale were defeated 3-1 by Northbridge."),
    ("lost to for beat", CUP, "Eastvale lost 3-1 to Northbridge."),
    ("active for passive", VOTE, "Luis Ortega defeated Dana Cole."),
    ("lost to, election", VOTE, "Dana Cole lost to Luis Ortega."),
    ("passive win", CUP_WON, "The Westland Cup was won by Harlow Rovers."),
    ("passive acquisition", DEAL, "Datafield was acquired by Korvel Systems for $2 billion."),
    ("according to for told", DEAL, "According to Mira Osei, Korvel Systems acquired Datafield."),
    ("X said for according to X", JOBS, "Mira Osei said Korvel will cut 200 jobs."),
    ("said X after the clause", ANALYST, "Korvel had never looked stronger, Jon Pratt said."),
    ("who led for led by", TALKS, "Anna Kross, who led the Veltrian delegation, met Piet Lund."),
    ("headed for headed by", TALKS, "Piet Lund headed the Soravian team."),
    ("country's delegation for who led", TOLD, "Veltria's delegation was led by Anna Kross."),
    ("same teller", TOLD, "Anna Kross told Piet Lund that talks would resume."),
    ("travelled for flew", TRIP, "Ela Varga travelled to Oslo."),
    ("one of a list of leaders", TRIO, "Okafor led the Calvarian team."),
    ("symmetric verb", "Anna Kross met Piet Lund in Geneva.", "Piet Lund met Anna Kross."),
    ("no relation stated", "The talks, which Anna Kross chaired, ended late.", "Anna Kross chaired the talks."),
]

SWAPS = [    # subject and object swapped, wrong speaker, wrong winner, wrong leader
    ("beat reversed", CUP, "Eastvale defeated Northbridge 3-1.", "not the reverse"),
    ("lost to reversed", VOTE, "Luis Ortega lost to Dana Cole.", "not the reverse"),
    ("election winner reversed", VOTE, "Dana Cole defeated Luis Ortega.", "not the reverse"),
    ("wrong cup winner", CUP_WON, "Penmore United won the Westland Cup.", "Harlow Rovers won Westland Cup"),
    ("acquisition reversed", DEAL, "Datafield acquired Korvel Systems for $2 billion.", "not the reverse"),
    ("quote to the wrong speaker", ANALYST, "Mira Osei said Korvel had never looked stronger.", "Jon Pratt"),
    ("according to the wrong one", JOBS, "According to Jon Pratt, Korvel will cut 200 jobs.", "Mira Osei"),
    ("coach's words to the player", COACH, "Tomas Rell said Ana Veld had been the best player.", "Ana Veld"),
    ("leader of the other side", TALKS, "Anna Kross led the Soravian delegation.", "Piet Lund led Soravian"),
    ("other side led by her", TALKS, "The Soravian delegation was led by Anna Kross.", "not Anna Kross"),
    ("envoy for the wrong team", TALKS, "Piet Lund headed the Veltrian delegation.", "not Piet Lund"),
    ("teller and told swapped", TOLD, "Piet Lund told Anna Kross that talks would resume in March.", "not the reverse"),
    ("the deputy did not fly", TRIP, "Ivo Tamm flew to Oslo.", "Ela Varga went to Oslo"),
]


@pytest.mark.parametrize("source,draft", [c[1:] for c in AGREES], ids=[c[0] for c in AGREES])
def test_same_relation_in_other_words_is_no_conflict(source, draft):
    assert conflict(source, draft) is None


@pytest.mark.parametrize("source,draft,why", [c[1:] for c in SWAPS], ids=[c[0] for c in SWAPS])
def test_swapped_roles_are_a_conflict(source, draft, why):
    found = conflict(source, draft)
    assert found is not None and why in found, found


@pytest.mark.parametrize("source,draft,kept", [
    (CUP, "Northbridge defeated Eastvale 3-1 in the final [1].", True),
    (CUP, "Eastvale defeated Northbridge 3-1 in the final [1].", False),
    (TALKS, "Anna Kross led the Veltrian delegation [1].", True),
    (TALKS, "Anna Kross led the Soravian delegation [1].", False),
    (TALKS, "The Soravian team was headed by Piet Lund [1].", True),
    (TALKS, "The Veltrian delegation was headed by Piet Lund [1].", False),
    (DEAL, "Korvel Systems acquired Datafield [1].", True),
    (DEAL, "Datafield acquired Korvel Systems [1].", False),
])
def test_verify_drops_a_swap_whose_every_word_is_in_the_source(source, draft, kept):
    v = verify(draft, [source], "What happened?")
    assert bool(v.sentences) is kept, v.checks[0].why
    if not kept:
        assert "cited source says" in v.checks[0].why


def test_a_swap_is_repaired_to_the_source_that_relates_them_that_way():
    sources = ["Lund, the Soravian envoy, spoke first. Anna Kross led the Soravian delegation.", TALKS]
    v = verify("Anna Kross led the Veltrian delegation [2].", sources, "Who led the Veltrian delegation?")
    assert v.sentences == [("Anna Kross led the Veltrian delegation.", [2])]
    v = verify("Anna Kross led the Soravian delegation [2].", sources, "Who led the Soravian delegation?")
    assert v.sentences == [("Anna Kross led the Soravian delegation.", [1])] and v.checks[0].repaired


def test_actors_are_matched_across_namings():
    putin = read("Russian President Vladimir Putin told Volodymyr Zelensky.").relations[0].agents[0]
    assert putin.key == ("vladimir", "putin")      # the affiliation and the title are not the name
    russia, team = read("Russia beat France.").relations[0].agents[0], read("The Russian team beat France.").relations[0].agents[0]
    assert same(russia, team)
    north, south = read("North Korea beat Japan.").relations[0].agents[0], read("South Korea beat Japan.").relations[0].agents[0]
    assert not same(north, south)


def test_the_known_seed_swap():
    """The case from the seeds' own wording: every word of the draft is in the source."""
    source = ("A Ukrainian delegation led by Defense Minister Rustem Umerov sat down with a low-level Russian "
              "team headed by presidential aide Vladimir Medinsky.")
    v = verify("The Russian delegation led by Rustem Umerov sat down with the Ukrainian team [1].", [source],
               "Who led the Russian delegation?")
    assert v.sentences == [] and "Umerov" in v.checks[0].why
    v = verify("The Russian team was headed by Vladimir Medinsky [1].", [source], "Who led the Russian delegation?")
    assert v.sentences == [("The Russian team was headed by Vladimir Medinsky.", [1])]


def test_the_speaker_after_a_relative_clause():
    source = "Piet Lund, who headed the Soravian team, confirmed that the border would reopen in May."
    assert conflict(source, "Anna Kross confirmed that the border would reopen in May.") is not None
    assert conflict(source, "Piet Lund said the border would reopen in May.") is None
    assert conflict(source, "The border would reopen in May, according to Piet Lund.") is None


def test_a_name_with_of_matches_by_its_parts():
    source = 'Dov Reinholt of Hallam Research said the price "tests how much people love the brand".'
    assert conflict(source, "Reinholt said the price tests how much people love the brand.") is None
    assert conflict(source, "Hallam Research said the price tests the brand.") is None
    assert conflict(source, "Mira Osei said the price tests the brand.") is not None


def test_a_company_speaks_through_its_chief():
    source = "Korvel's chief executive Mira Osei said it expected supply to catch up with demand by December."
    assert conflict(source, "Korvel said it expected supply to catch up with demand by December.") is None
    assert conflict(source, "Mira Osei said supply would catch up with demand.") is None
    assert conflict(source, "Datafield said it expected supply to catch up with demand.") is not None


def test_two_clauses_joined_by_and_are_not_one_list():
    source = "A Ukrainian team led by Umerov met a Russian team headed by Medinsky."
    assert conflict(source, "Umerov led the Ukrainian team and Medinsky led the Russian team.") is None
    assert conflict(source, "Medinsky led the Ukrainian team.") is not None


def test_no_sentence_of_the_shipped_articles_conflicts_with_itself():
    from pathlib import Path

    from rag.verify import split_sentences

    root = Path(__file__).resolve().parents[2]
    files = [*sorted((root / "seeds").glob("*.txt")), *sorted((root / "evals" / "corpora").glob("*/*.txt"))]
    sentences = [s for f in files for line in f.read_text(encoding="utf-8").splitlines() for s in split_sentences(line)]
    assert len(sentences) > 100
    assert [s for s in sentences if conflict(s, s)] == []
