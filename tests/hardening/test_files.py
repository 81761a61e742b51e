"""Bad files in the source folder, through `newsrag index`: corrupt HTML, a 50 MB file, binary
junk, links that lead out of the folder. Each is indexed as far as it is text, or skipped with
a warning that names it and says why; the good files are indexed; nothing outside is read."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SECRET = "The outside file says the launch code is ZEBRA-2240."


def test_bad_files_are_skipped_with_warnings(tmp_path, run_newsrag):
    from index.store import open_store

    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    (outside / "nested.txt").write_text(SECRET + " Again.\n", encoding="utf-8")

    # corrupt but textual HTML: unclosed tags, bad entities, stray bytes, a script
    (folder / "broken.html").write_bytes(
        b"<html><head><title>Talks</title><script>alert('x')</script></head><body><h1>Broken page"
        b"<p>Envoys met again in Istanbul on Saturday to discuss a second prisoner swap &#xZZZ; &bogus;"
        b"<div <<<>>> <p>The meeting ended without a date for new talks.\xff\xfe</p></bo")
    (folder / "empty_page.html").write_text("<html><head><script>var a = 1;</script></head><body> </body></html>")
    (folder / "junk.html").write_bytes(bytes(range(256)) * 64)
    with open(folder / "huge.txt", "w", encoding="utf-8") as fh:       # 50 MB of text
        line = "The talks went on and on without end in a very long article. " * 16 + "\n"
        for _ in range(50_000_000 // len(line) + 1):
            fh.write(line)
    os.symlink(outside / "secret.txt", folder / "link_out.txt")
    os.symlink(outside, folder / "linked_dir")
    os.symlink(tmp_path / "missing.txt", folder / "dangling.txt")

    spec = f"chroma:{tmp_path / 'chroma'}"
    r = run_newsrag("index", "--source", folder, "--store", spec)
    assert r.returncode == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith(("warning:", "note:", "flagged:"))]
    text = "\n".join(warnings)
    assert re.search(r"warning: skipped huge\.txt: 5\d MB is over the 5 MB limit", text), text
    assert "warning: skipped junk.html: binary file, not text" in text
    assert "warning: skipped empty_page.html: no text after cleaning" in text
    assert "warning: skipped link_out.txt: link pointing outside the source folder, not followed" in text
    assert "broken.html" not in " ".join(w for w in warnings if w.startswith("warning:"))  # indexed, not skipped
    m = re.search(r"added (\d+), updated (\d+), removed (\d+), unchanged (\d+)", r.stdout)
    assert m and m.groups() == ("6", "0", "0", "0"), r.stdout      # the 5 seeds and broken.html

    store = open_store(spec)
    chunks = list(store.iter_chunks())
    sources = {c.meta["source"] for c in chunks}
    assert sources == {p.name for p in SEEDS.glob("*.txt")} | {"broken.html"}
    assert not any("ZEBRA" in c.text or "alert(" in c.text for c in chunks)
    broken = " ".join(c.text for c in chunks if c.meta["source"] == "broken.html")
    assert "meeting ended without a date" in broken and "<div" not in broken and "<p>" not in broken


@pytest.mark.parametrize("markup,kept", [
    ("<p>First para.<p>Second para.", ["First para.", "Second para."]),
    ("<h1>Title<p>Para one. <div><p>Para two.</p></div>", ["Title", "Para one.", "Para two."]),
    ("<body><p>Para one<blockquote><p>quoted</p></blockquote> tail.</p></body>", ["Para one", "quoted", "tail."]),
])
def test_unclosed_blocks_keep_their_text(markup, kept):
    """Unclosed <p> and <h1> are everyday HTML: the text before a nested block must survive
    (html_to_text once skipped a block that contained another, losing its own text)."""
    from index.articles import html_to_text

    text = html_to_text(markup)
    assert [k for k in kept if k not in text] == [], f"{markup!r} -> {text!r}"
