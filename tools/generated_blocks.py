"""Generated blocks in README.md and docs/*.md: every number a run produced is written by a command.

    python tools/generated_blocks.py            # rewrite every block from the committed results
    python tools/generated_blocks.py --check    # exit 1 naming each block that differs; writes nothing

A block is the text between a start and an end marker, HTML comments that Markdown does not show:

    <!-- generated: NAME key=value key="a value with spaces" -->
    ...what the generator NAME returns...
    <!-- end generated -->

On lines of their own the markers enclose whole lines (a table); inside a line they enclose a few
words (``... beats random by <!-- generated: paired ... -->+1.22 [...]<!-- end generated -->``).
NAME is a generator of :mod:`tools.generators`, which reads committed files under ``results/`` and
``benchmarks/results/`` (and the params files) and returns Markdown. Markers inside code (fenced
blocks, backtick spans) are text, not markers. An unknown NAME, a marker left open, a block inside
another, an end marker without a start, or a generator that cannot read what it names is one line,
``error: FILE:LINE: ...``, and exit code 2, with nothing written.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tools` and the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.generators import GENERATORS, GeneratorError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"<!--\s*(?:generated:(?P<spec>.*?)|(?P<end>end generated))\s*-->")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


class MarkerError(Exception):
    """A malformed block or a failed generator: ``str(error)`` is ``FILE:LINE: what``."""


@dataclass(frozen=True)
class Block:
    """One generated block of a file: ``text[start:end]`` is its content."""

    path: str
    line: int  # of the start marker, from 1
    spec: str  # the marker's text after "generated:", e.g. "paired file=... a=uot b=random"
    start: int
    end: int
    own_lines: bool  # markers on lines of their own: the content is whole lines
    indent: str = ""  # the start marker's indentation, given to every generated line (a block inside a list item)

    def _words(self) -> list[str]:
        try:
            return shlex.split(self.spec)
        except ValueError as error:  # an unclosed quote
            raise MarkerError(f"{self.path}:{self.line}: cannot read the marker's arguments ({error})") from None

    @property
    def name(self) -> str:
        return self._words()[0]

    def arguments(self) -> dict[str, str]:
        """The marker's ``key=value`` words (values may be quoted)."""
        words = self._words()[1:]
        bad = [word for word in words if "=" not in word]
        if bad:
            raise MarkerError(f"{self.path}:{self.line}: argument {bad[0]!r} of {self.name!r} is not key=value")
        return dict(word.split("=", 1) for word in words)


def _masked(text: str) -> str:
    """``text`` with fenced code blocks and backtick code spans blanked (same length, newlines kept)."""
    lines, fenced = [], False
    for line in text.splitlines(keepends=True):
        if FENCE.match(line):
            fenced = not fenced
            lines.append(" " * (len(line) - 1) + line[-1] if line.endswith("\n") else " " * len(line))
        elif fenced:
            lines.append(re.sub(r"[^\n]", " ", line))
        else:
            lines.append(CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line))
    return "".join(lines)


def _alone(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is the only thing but blanks on its line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return not text[line_start:start].strip() and not text[end:line_end].strip()


def parse(text: str, path: str) -> list[Block]:
    """Every block of ``text`` in order; a malformed one raises :class:`MarkerError`."""
    blocks, opened = [], None
    for match in MARKER.finditer(_masked(text)):
        line = text.count("\n", 0, match.start()) + 1
        if match.group("end") is None:
            if opened is not None:
                raise MarkerError(f"{path}:{line}: a generated block starts inside the block opened on line {opened[1]}; "
                                  "close that one first")
            spec = text[match.start("spec"):match.end("spec")].strip()  # the text itself: code spans in it were blanked
            if not spec:
                raise MarkerError(f"{path}:{line}: a generated block without a generator name; write <!-- generated: NAME ... -->")
            opened = (match, line, spec)
            continue
        if opened is None:
            raise MarkerError(f"{path}:{line}: an end marker without a generated block before it")
        start_match, start_line, spec = opened
        own_lines = _alone(text, start_match.start(), start_match.end())
        if own_lines != _alone(text, match.start(), match.end()):
            raise MarkerError(f"{path}:{start_line}: the block's markers must both be on lines of their own, or both inside a line")
        start = text.index("\n", start_match.end()) + 1 if own_lines else start_match.end()
        end = text.rfind("\n", 0, match.start()) + 1 if own_lines else match.start()
        indent = text[text.rfind("\n", 0, start_match.start()) + 1:start_match.start()] if own_lines else ""
        blocks.append(Block(path, start_line, spec, start, max(start, end), own_lines, indent))
        opened = None
    if opened is not None:
        raise MarkerError(f"{path}:{opened[1]}: the generated block {opened[2].split()[0]!r} is never closed; add <!-- end generated -->")
    return blocks


def generate(block: Block, root: Path = ROOT) -> str:
    """The content ``block`` should have: its generator's text (with a final newline for a block of lines)."""
    if block.name not in GENERATORS:
        raise MarkerError(f"{block.path}:{block.line}: unknown generator {block.name!r}; known: {', '.join(sorted(GENERATORS))}")
    try:
        text = GENERATORS[block.name](root, **block.arguments()).strip("\n")
    except GeneratorError as error:
        raise MarkerError(f"{block.path}:{block.line}: {block.name}: {error}") from None
    if not block.own_lines and "\n" in text:
        raise MarkerError(f"{block.path}:{block.line}: {block.name} gives several lines; put its markers on lines of their own")
    if not block.own_lines:
        return text
    return "".join(f"{block.indent}{line}\n" if line else "\n" for line in text.split("\n"))


def render(text: str, path: str, root: Path = ROOT) -> tuple[str, list[Block]]:
    """``text`` with every block regenerated, and the blocks whose content changed."""
    pieces, changed, position = [], [], 0
    for block in parse(text, path):
        new = generate(block, root)
        if text[block.start:block.end] != new:
            changed.append(block)
        pieces += [text[position:block.start], new]
        position = block.end
    pieces.append(text[position:])
    return "".join(pieces), changed


def documents(root: Path = ROOT) -> list[Path]:
    """README.md and every docs/*.md."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 naming each block that differs from its generator; write nothing")
    parser.add_argument("files", nargs="*", type=Path, help="Markdown files (default: README.md and docs/*.md)")
    args = parser.parse_args(argv)
    files = args.files or documents()
    try:
        rendered = {}
        for path in files:
            name = str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)
            text = path.read_text(encoding="utf-8")
            rendered[path] = (text, *render(text, name))
    except MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot read {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    stale = [(path, block) for path, (_, _, changed) in rendered.items() for block in changed]
    if args.check:
        for _, block in stale:
            print(f"{block.path}:{block.line}: generated block '{block.spec}' differs from what its generator gives now")
        if stale:
            print(f"{len(stale)} block(s) out of date: run python tools/generated_blocks.py", file=sys.stderr)
        return 1 if stale else 0
    for path, (old, new, _) in rendered.items():
        if new != old:
            path.write_text(new, encoding="utf-8")
    print(f"{len(stale)} block(s) rewritten in {len({path for path, _ in stale})} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
