"""README.md's examples run as written, with the shipped model.

Every ```python block runs, in order, in one fresh namespace (a block may use names an earlier
block defined) in a subprocess whose working directory is an empty temporary directory: files a
block writes land there, and a block that reads a file it did not create fails as it would for
a reader. The README's first command, ``curnlp route ...``, runs as ``python -m curnlp route ...``.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)


def blocks(language: str, text: str | None = None) -> list[tuple[int, str]]:
    """``(line, code)`` of every fenced block of ``language`` in the README (``line``: where it starts)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    return [(text.count("\n", 0, m.start()) + 1, m.group(2)) for m in _FENCE.finditer(text)
            if m.group(1).lower() == language]


# Runs the blocks given as JSON on stdin; on the first failure prints which block and why, exits 1.
_RUNNER = textwrap.dedent("""
    import json, sys, traceback
    namespace = {"__name__": "__readme__"}
    for line, code in json.load(sys.stdin):
        try:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
        except BaseException as exc:
            where = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("README.md")]
            at = f"README.md line {line + where[-1].lineno}" if where else f"the block at README.md line {line}"
            print(f"{at}: {type(exc).__name__}: {exc}", file=sys.stderr)
            sys.exit(1)
        print(f"block at line {line}: ok", flush=True)
""")


def _env() -> dict[str, str]:
    return dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


def run_blocks(code_blocks: list[tuple[int, str]], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _RUNNER], input=json.dumps(code_blocks), capture_output=True,
                          text=True, cwd=cwd, env=_env(), timeout=timeout)


def test_the_runner_finds_blocks_and_names_the_failing_line(tmp_path):
    """The harness itself: a block using a name no block defined fails with its README line."""
    text = "# x\n\n```python\nimport curnlp\nx = 1\n```\n\n```bash\nls\n```\n\n```python\ny = x + 1\nprint(texts)\n```\n"
    found = blocks("python", text)
    assert found == [(3, "import curnlp\nx = 1\n"), (12, "y = x + 1\nprint(texts)\n")]
    done = run_blocks(found, tmp_path, timeout=120)
    assert done.returncode == 1 and "block at line 3: ok" in done.stdout
    assert "README.md line 14: NameError: name 'texts' is not defined" in done.stderr


def test_python_examples_run_as_written(tmp_path):
    code_blocks = blocks("python")
    assert code_blocks, "README.md has no ```python block"
    done = run_blocks(code_blocks, tmp_path)
    assert done.returncode == 0, f"a README example fails: {done.stderr.strip().splitlines()[-1:]}\n{done.stdout}"


def _route_commands() -> list[list[str]]:
    """The arguments of every ``curnlp route`` command in the README's bash blocks."""
    found = []
    for _line, code in blocks("bash"):
        for line in code.replace("\\\n", " ").splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True  # words as a shell splits them; &&, ; and | stand alone
            words = list(lexer)
            for i, word in enumerate(words[:-1]):
                if word.endswith("curnlp") and words[i + 1] == "route":
                    rest = words[i + 2:]
                    ends = [j for j, w in enumerate(rest) if set(w) <= set("&|;")]
                    found.append(rest[:ends[0]] if ends else rest)
    return found


def test_the_first_command_routes(tmp_path):
    commands = _route_commands()
    assert commands, "README.md shows no `curnlp route` command"
    for args in commands:
        done = subprocess.run([sys.executable, "-m", "curnlp", "route", *args], capture_output=True, text=True,
                              cwd=tmp_path, env=_env(), timeout=300)
        assert done.returncode == 0, (args, done.stderr)
        routing = json.loads(done.stdout)
        assert routing["agency"]["label"] and routing["municipality"], routing
        assert routing["evidence"]["agency"] and routing["evidence_text"]["agency"]


@pytest.mark.parametrize("line, code", [pytest.param(line, code, id=f"line{line}") for line, code in blocks("python")])
def test_python_blocks_compile(line, code):
    compile(code, f"README.md:{line}", "exec")
