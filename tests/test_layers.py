"""The layers hold: index < rag < evals, bench < ui (DESIGN.md). Nothing in index imports rag,
evals, bench or ui; rag imports only index; evals and bench import rag and index but not each
other; ui may import all. Checked by import-linter's layers contract in pyproject.toml, over
every import in the code, those inside functions included."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_imports_follow_the_layers(capsys):
    from importlinter.cli import lint_imports

    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 kept, 0 broken" in out, out
