"""Spelling variants of names learnt from the folder itself (index.names): two spellings of one
name are joined when they look alike, never share an article and keep the same company; alike
names of different people are not. Then, end to end on a real store: a question spelled one way
finds the passages spelled the other way, on an invented folder and on the seeds."""
from __future__ import annotations

from pathlib import Path

import pytest

from index.names import close, distance, learn
from index.text import TOKENIZER_VERSION, words

ROOT = Path(__file__).resolve().parents[2]

# An invented folder: one port director written two ways by two outlets, one minister's first
# name written two ways, and alike names that are not one person.
FOLDER = {
    "a_port.txt": " date 2031-04-02 Grain ships to sail from Selmar again\n\n"
                  "Bohdan Kravetz, the port director of Selmar, said on Monday that grain ships would sail "
                  "again from the north quay. Kravetz met Mykhailo Dovbenko, the fisheries minister, at the "
                  "harbour office.\n",
    "b_port.txt": " date 2031-04-03 Selmar harbour reopens\n\n"
                  "The harbour of Selmar reopened on Tuesday, port director Bohdan Kraviets told reporters. "
                  "Kraviets thanked the crews who cleared the channel in nine days.\n",
    "c_fish.txt": " date 2031-04-05 Fishing quotas cut\n\n"
                  "Fisheries minister Mikhail Dovbenko cut the cod quota by a fifth on Friday. The fleet in "
                  "Selmar said the cut would cost forty jobs.\n",
    "d_song.txt": " date 2031-05-01 Singer wins the city prize\n\n"
                  "The singer Hanna Lesk won the city prize for her third album. The sisters Marta Voss and "
                  "Marla Voss played the closing set.\n",
    "e_paint.txt": " date 2031-05-09 Painter opens a gallery\n\n"
                  "The painter Hannah Morrow opened a gallery beside the river. Marla Voss sang at the opening.\n",
}


def articles(folder: dict[str, str]):
    return list(folder.items())


def test_distance_counts_transliteration_swaps_as_half_an_edit():
    assert distance("umerov", "umierov") == 0.5          # an inner i dropped
    assert distance("sergey", "serhy") == 1.0            # g/h, and an e dropped
    assert distance("kravetz", "kraviets") == 1.0        # an i added, z/s
    assert distance("marta", "marla") == 1.0             # an ordinary letter changed
    assert distance("austria", "australia") == 1.5


def test_close_wants_the_same_first_letter_and_a_long_enough_name():
    assert close("kravetz", "kraviets") and close("mykhailo", "mikhail")
    assert not close("austria", "australia")             # two edits' worth in a seven-letter name
    assert not close("mark", "mary")                     # too short to tell
    assert not close("carrick", "garrick")               # another first letter
    assert not close("lights", "light")                  # one stem: an ending, not a spelling
    assert close("sergei", "serhy")                      # three half-edits, none an ordinary one
    assert close("andrew", "andrea")                     # one ordinary edit: alike, the context decides


def test_variants_that_keep_the_same_company_are_joined():
    learnt = learn(articles(FOLDER))
    kravetz, kraviets = words("Kravetz Kraviets")
    mykhailo, mikhail = words("Mykhailo Mikhail")
    assert {learnt.get(kravetz, kravetz), learnt.get(kraviets, kraviets)} == {learnt.get(kravetz, kravetz)}
    assert learnt.get(mykhailo, mykhailo) == learnt.get(mikhail, mikhail)
    # alike first names of different people (no neighbour in common) stay apart; so do two
    # names one article holds both of, whatever company they keep
    assert not {"hanna", "hannah", "marta", "marla"} & (set(learnt) | set(learnt.values()))
    assert len(learnt) == 2


def test_the_spelling_used_most_is_kept_and_the_map_is_stable():
    folder = {**FOLDER, "f_port.txt": " date 2031-04-09 Quay repairs\n\nPort director Bohdan Kravetz "
                                      "said the north quay needs repairs.\n"}
    assert learn(articles(folder))[words("Kraviets")[0]] == words("Kravetz")[0]
    assert learn(articles(folder)) == learn(reversed(articles(folder)))


def test_a_name_spelt_otherwise_in_both_words_is_joined():
    folder = {"a.txt": "Yesterday Sergei Kislitsya spoke.\n", "b.txt": "Then Serhiy Kyslytsya answered.\n",
              "c.txt": "Then Selma Kostova and Olena Kislova answered.\n"}
    assert learn(articles(folder)) == {"kyslytsya": "kislitsya", "serhy": "sergei"}


def test_no_false_variants_in_the_shipped_folders():
    from index.articles import read_folder

    def learnt(folder: Path) -> dict:
        return learn((a.source, a.text) for a in read_folder(folder)[0])

    assert learnt(ROOT / "seeds") == {"sergey": "serhy"}
    assert learnt(ROOT / "evals" / "corpora" / "confusable") == {}      # its alike names are other people


def test_no_company_in_common_no_variant():
    folder = {"a.txt": "Yesterday Olena Petrenko spoke.\n", "b.txt": "Yesterday Ivan Petrinko spoke.\n"}
    assert learn(articles(folder)) == {}


@pytest.fixture
def invented_engine(tmp_path, embedder):
    from index.indexer import index_folder
    from index.store import open_store
    from rag import Engine, Settings

    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in FOLDER.items():
        (folder / name).write_text(text, encoding="utf-8")
    index_folder(folder, open_store(f"chroma:{tmp_path / 'store'}"), embedder, progress=False)
    return Engine(Settings(store=f"chroma:{tmp_path / 'store'}", source=str(folder), llm="extractive"),
                  embedder=embedder, llm="extractive")


def sparse_sources(engine, question: str) -> set[str]:
    return {d.metadata["source"] for d in engine.retriever.sparse.invoke(question)}


def test_a_question_spelled_one_way_finds_passages_spelled_the_other(invented_engine):
    assert {"a_port.txt", "b_port.txt"} <= sparse_sources(invented_engine, "What did Kraviets say?")
    assert {"a_port.txt", "b_port.txt"} <= sparse_sources(invented_engine, "What did Kravetz say?")
    assert {"a_port.txt", "c_fish.txt"} <= sparse_sources(invented_engine, "Mikhail")
    assert sparse_sources(invented_engine, "Hannah") == {"e_paint.txt"}
    index = invented_engine.corpus.sparse_index()
    assert index.terms("Kraviets") == index.terms("Kravetz")
    assert index.canonical(index.terms("Mikhail")[0]) == index.canonical(index.terms("Mykhailo")[0])
    with invented_engine.corpus.spellings():        # what the answering steps can put in force
        assert words("Kraviets's boat") == words("Kravetz's boat")
    assert words("Kraviets") != words("Kravetz")
    passages = invented_engine.retriever.invoke("Who is Bohdan Kraviets?")
    assert {"a_port.txt", "b_port.txt"} <= {p.metadata["source"] for p in passages}


def test_the_seeds_variants_retrieve_alike(engine_factory):
    engine = engine_factory()
    index = engine.corpus.sparse_index()
    assert index.variants == {"sergey": "serhy"}         # Sergey in one article, Serhiy in two
    assert index.terms("Sergey Kyslytsya") == index.terms("Serhiy Kyslytsya")
    one, other = sparse_sources(engine, "Sergey"), sparse_sources(engine, "Serhiy")
    assert one == other and len(one) == 3


def test_a_neighbour_many_names_share_is_no_evidence():
    # one first name before many surnames: two alike surnames after it need not be one person
    folder = {f"{i}.txt": f"Yesterday Daniel {name} spoke to the council.\n"
              for i, name in enumerate(["Baker", "Barker", "Okafor", "Lindqvist", "Moreau", "Sato"])}
    assert learn(articles(folder)) == {}
    assert learn(articles({k: folder[k] for k in ("0.txt", "1.txt")})) == {"barker": "baker"}


def test_a_bm25_saved_before_names_were_learnt_is_rebuilt(invented_engine):
    import pickle

    from index import sparse

    store = invented_engine.store
    old = sparse.load(store, None)
    old.tokenizer, old.variants = 3, {}          # as tokenizer version 3 saved it: no learnt names
    path = store.cache_file(None, "bm25")
    path.write_bytes(pickle.dumps(old))
    assert pickle.loads(path.read_bytes()).variants == {}
    fresh = sparse.load(store, None)
    assert fresh.tokenizer == TOKENIZER_VERSION and fresh.variants == learn(articles(FOLDER))
    assert pickle.loads(path.read_bytes()).variants == fresh.variants     # and saved again
