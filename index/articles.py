"""Read a folder of files into articles: clean text plus title, date and outlet.

An article's text is what every offset points into. For a plain UTF-8 file with
no control or zero-width characters it is the file's content, unchanged; other
encodings are decoded, HTML is reduced to its text, and invisible characters are
removed (and counted, so the index report can flag them). Page boilerplate that
follows the story ("About The Author", comment forms) is kept in the text but
marked as outside the story, so it is never chunked.

Not here: chunking (chunking.py) or anything about stores.
"""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SourceError

SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_FILE_BYTES = 5_000_000  # a news story is kilobytes; larger files are refused, not indexed

_DATE_MARK = re.compile(r"^\s*date\s+(\d{4})-(\d{2})-(\d{2})\s+")
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202a", "\u202b",
              "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}
# Lines that start the page furniture after a story; the story ends before the first.
_BOILERPLATE = re.compile(
    r"^\s*(about the author|leave a reply|leave a comment|related (articles|posts|stories)|"
    r"share this( article)?|tags?:|comments?\s*$|your email address will not be published|"
    r"subscribe to our newsletter)\b", re.IGNORECASE | re.MULTILINE)
_OUTLET_PATTERNS = [
    re.compile(r"^\s*Source:\s*([A-Z][\w.&' -]{1,40}?)\s*$", re.MULTILINE),
    re.compile(r"\b([A-Z][\w.-]*(?:\s[A-Z][\w.-]*){0,2}) reports\b"),
    re.compile(r"\b(?:Reporting from [A-Z]\w+, )([A-Z][\w ]{1,30}?)['\u2019]s\b"),
]


@dataclass(frozen=True)
class Article:
    source: str          # file name, relative to the source folder
    text: str            # the cleaned article text; offsets index into this
    title: str
    date: str | None     # ISO YYYY-MM-DD from the article's date marker, never guessed
    outlet: str | None
    sha256: str          # of the file's bytes
    story_end: int       # text[story_end:] is page boilerplate, left out of chunks
    removed_chars: int = 0   # zero-width / control characters cleaned out
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


def decode(data: bytes) -> tuple[str, str | None]:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else detected."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "decoded as UTF-16"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ValueError("not text in any encoding we can detect")
    return str(best), f"decoded as {best.encoding}"


def looks_binary(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    head = data[:4096]
    return b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > len(head) * 0.05


def html_to_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head", "iframe", "svg", "form", "nav", "footer"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    # Every block element ends a paragraph; unclosed <p> tags (common) lose nothing this way.
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "td", "tr",
                             "div", "section", "article", "header", "dt", "dd"]):
        el.insert_before("\n\n")
        el.insert_after("\n\n")
    paragraphs = [re.sub(r"\s+", " ", part).strip() for part in re.split(r"\n\s*\n", soup.get_text())]
    return html.unescape("\n\n".join(p for p in paragraphs if p))


def clean(text: str) -> tuple[str, int]:
    """Remove zero-width and control characters (keeping newlines and tabs)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = [c for c in text if c in "\n\t" or (c not in _INVISIBLE and unicodedata.category(c) not in ("Cc", "Cf"))]
    return "".join(kept), len(text) - len(kept)


def story_end(text: str) -> int:
    """Where the story stops: before the first page-furniture line, and before the
    short tag-like lines (no sentence punctuation, a few words) just above it."""
    m = _BOILERPLATE.search(text)
    if not m:
        return len(text)
    end = m.start()
    while True:
        head = text[:end].rstrip()
        line_start = head.rfind("\n") + 1
        line = head[line_start:].strip()
        if not line or line_start == 0 or len(line.split()) > 4 or line[-1] in ".!?\"'”:" or ":" in line:
            return len(head)
        end = line_start


def title_and_date(text: str) -> tuple[str, str | None]:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    date = None
    m = _DATE_MARK.match(first)
    if m:
        date = "-".join(m.groups())
        first = first[m.end():]
    first = first.strip()
    if len(first) > 120:
        sentence = re.split(r"(?<=[.!?])\s+", first, maxsplit=1)[0]
        first = sentence if len(sentence) <= 120 else sentence[:119].rsplit(" ", 1)[0] + "…"
    return first, date


def outlet(text: str) -> str | None:
    for pattern in _OUTLET_PATTERNS:
        m = pattern.search(text)
        if m:
            return m.group(1).strip()
    return None


def read_article(path: Path, source: str) -> Article:
    """One file into an Article; raises ValueError with a reason when it is unusable."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{size // 1_000_000} MB is over the {MAX_FILE_BYTES // 1_000_000} MB limit for one article")
    data = path.read_bytes()
    if not data.strip():
        raise ValueError("empty file")
    if looks_binary(data):
        raise ValueError("binary file, not text")
    text, note = decode(data)
    warnings = [note] if note else []
    if path.suffix.lower() in (".html", ".htm"):
        text = html_to_text(text)
    text, removed = clean(text)
    if removed:
        warnings.append(f"removed {removed} invisible or control characters")
    if not text.strip():
        raise ValueError("no text after cleaning")
    title, date = title_and_date(text)
    end = story_end(text)
    return Article(source=source, text=text, title=title, date=date, outlet=outlet(text[:end]),
                   sha256=hashlib.sha256(data).hexdigest(), story_end=end,
                   removed_chars=removed, warnings=tuple(warnings))


def list_files(folder: Path) -> list[tuple[Path, str]]:
    """Files under `folder` with a known suffix, sorted; links that leave the folder are skipped."""
    if not folder.is_dir():
        raise SourceError(f"source folder {folder} does not exist: pass --source DIR or set NEWSRAG_SOURCE")
    root = folder.resolve()
    out = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in SUFFIXES or path.name.startswith("."):
            continue
        try:
            real = path.resolve()
        except OSError:
            continue
        if root not in real.parents or not real.is_file():
            continue
        out.append((path, path.relative_to(folder).as_posix()))
    return out


def read_folder(folder: Path) -> tuple[list[Article], list[Skipped]]:
    """Every usable article in `folder`, and the files skipped with the reason."""
    articles, skipped = [], []
    files = list_files(Path(folder))
    root = Path(folder).resolve()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_symlink() and path.suffix.lower() in SUFFIXES:
            try:
                inside = root in path.resolve().parents
            except OSError:
                inside = False
            if not inside:
                skipped.append(Skipped(path.relative_to(folder).as_posix(), "link pointing outside the source folder, not followed"))
    for path, source in files:
        try:
            articles.append(read_article(path, source))
        except (OSError, ValueError, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            skipped.append(Skipped(source, reason))
    return articles, skipped
