"""Reading files into articles: metadata of the five seeds, cleaning, bad input."""
from __future__ import annotations

import pytest
from pathlib import Path

from index.articles import read_article, read_folder
from index.chunking import chunk_article, sentences
from index.errors import SourceError

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

# Written by hand from the articles themselves.
EXPECTED = {
    "000_13cba5497041a289.txt": (
        "US President Donald Trump's special envoy, Keith Kellogg, reacted to the exchange of prisoners between "
        "Ukraine and…", None, "Censor.NET"),
    "001_8f6aa1ebfefcca6b.txt": ("Istanbul hosts first direct Russia-Ukraine talks in three years", "2025-05-16", None),
    "002_45f8aa1a132504c1.txt": ("Kyiv and Moscow agreed to exchange 1,000 prisoners of war each, heads of "
                                 "delegations say.", "2025-05-16", "Al Jazeera"),
    "003_78f47c8603a584ce.txt": ("Istanbul: Russia and Ukraine will exchange 1,000 prisoners each following peace "
                                 "talks held in Istanbul.", None, None),
    "004_aa322a804f1c0caf.txt": ("Ukrainian and Russian officials met in Turkey for the first talks", None, "BBC"),
}


@pytest.mark.parametrize("source", sorted(EXPECTED))
def test_seed_metadata(source):
    article = read_article(SEEDS / source, source)
    title, date, outlet = EXPECTED[source]
    assert (article.title, article.date, article.outlet) == (title, date, outlet)
    assert len(article.title) <= 120
    # a plain UTF-8 seed is its own article text, so offsets point into the file
    assert article.text == (SEEDS / source).read_text(encoding="utf-8")


@pytest.mark.parametrize("source", sorted(EXPECTED))
@pytest.mark.parametrize("size,overlap", [(400, 1), (200, 0), (800, 2)])
def test_chunk_offsets_reproduce_file_text(source, size, overlap):
    raw = (SEEDS / source).read_text(encoding="utf-8")
    chunks = chunk_article(read_article(SEEDS / source, source), size, overlap)
    assert chunks
    for c in chunks:
        assert raw[c.start:c.end] == c.text
        assert len(c.text) <= size or len(sentences(c.text)) == 1
    assert len({c.id for c in chunks}) == len(chunks)


def test_chunks_leave_out_boilerplate_and_date_marker():
    article = read_article(SEEDS / "004_aa322a804f1c0caf.txt", "004_aa322a804f1c0caf.txt")
    text = " ".join(c.text for c in chunk_article(article, 400, 1))
    assert "About The Author" not in text and "Leave a Reply" not in text and "Record Label" not in text
    assert "Source: BBC" in text
    dated = read_article(SEEDS / "001_8f6aa1ebfefcca6b.txt", "001_8f6aa1ebfefcca6b.txt")
    first = chunk_article(dated, 400, 1)[0]
    assert first.text.startswith("Istanbul hosts first direct")


def test_sentences_keep_abbreviations_whole():
    text = "The U.S. team was led by retired Lt. Gen. Keith Kellogg. He met Umerov."
    got = [text[s.start:s.end] for s in sentences(text)]
    assert got == ["The U.S. team was led by retired Lt. Gen. Keith Kellogg.", "He met Umerov."]


def test_bad_files_are_skipped_or_decoded(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "good.txt").write_text("Fidan chaired the talks.\n\nThey lasted two hours.", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "cp1252.txt").write_bytes("Caf\u00e9 talks in T\u00fcrkiye \u2013 \u201cpeace\u201d.".encode("cp1252"))
    (folder / "utf16.txt").write_bytes("Delegations met in Istanbul.".encode("utf-16"))
    (folder / "page.html").write_text("<html><head><script>alert(1)</script></head><body><h1>Headline here</h1>"
                                      "<p>Body of the story.</p></body></html>", encoding="utf-8")
    (folder / "zw.txt").write_text("Hidden\u200b text\u0007 here.", encoding="utf-8")
    unreadable = folder / "locked.txt"
    unreadable.write_text("secret")
    unreadable.chmod(0)
    articles, skipped = read_folder(folder)
    by_source = {a.source: a for a in articles}
    reasons = {s.source: s.reason for s in skipped}
    assert set(by_source) >= {"good.txt", "cp1252.txt", "utf16.txt", "page.html", "zw.txt"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]
    assert by_source["cp1252.txt"].text.startswith("Caf\u00e9 talks in T\u00fcrkiye")
    assert by_source["utf16.txt"].text == "Delegations met in Istanbul."
    assert "alert" not in by_source["page.html"].text and by_source["page.html"].title == "Headline here"
    assert by_source["zw.txt"].text == "Hidden text here." and by_source["zw.txt"].removed_chars == 2
    import os
    if os.geteuid() != 0:  # root reads anything
        assert "locked.txt" in reasons


def test_missing_or_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        read_folder(tmp_path / "nope")
    articles, skipped = read_folder(tmp_path)
    assert articles == [] and skipped == []


def test_symlink_outside_folder_is_not_followed(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("Secret outside the folder.")
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "ok.txt").write_text("Inside story.")
    (folder / "link.txt").symlink_to(outside)
    articles, skipped = read_folder(folder)
    assert [a.source for a in articles] == ["ok.txt"]
    assert any(s.source == "link.txt" and "outside" in s.reason for s in skipped)


def test_a_quotation_or_a_role_leans_on_the_sentence_naming_the_speaker():
    from index.chunking import leans_back

    assert leans_back("\u201cOne road leads to peace, the other to ruin.")          # who spoke is said before
    assert leans_back('"We need a ceasefire," the envoy added.')
    assert leans_back('"We need a ceasefire - the killing has to stop," Orvane\'s special envoy added.')
    assert not leans_back('"We need a ceasefire," Ann Lee said.')
    assert not leans_back("Ann Lee chaired the meeting in the old palace.")
