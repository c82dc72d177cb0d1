#!/usr/bin/env python3
"""Checks that every code block of the guide is cut from a compiled example.

In a guide chapter, a code block is tied to an example by the comment line before it:

    <!-- snippet: examples/seeds/greenlet_switch.cpp greenlet-switch -->
    ```cpp
    ...
    ```

In the example, the region sits between `// [guide:greenlet-switch]` and `// [guide-end]`.
The block must equal the region's lines byte for byte, less the indentation of the marker
line (which every line of the region must start with). Every code block in the guide needs
such a comment, so the guide never shows code that does not build. Every program the text
names (`name.cpp` for examples/seeds/name.cpp, or a path) must exist.

Usage: check_snippets.py REPO_ROOT [--write]   (--write copies the regions into the guide)
"""
import pathlib
import re
import sys

SNIPPET = re.compile(r"<!-- snippet: (\S+) (\S+) -->")
PROGRAM = re.compile(r"`([\w/]+\.cpp)`")
FENCE = "```"


def region(root, path, name):
    """The region's text, or raise ValueError naming what is wrong."""
    source = root / path
    if not source.is_file():
        raise ValueError(f"{path} does not exist")
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    begin = [i for i, line in enumerate(lines) if line.strip() == f"// [guide:{name}]"]
    if len(begin) != 1:
        raise ValueError(f"{path} has {len(begin)} '// [guide:{name}]' markers, not one")
    indent = lines[begin[0]][: len(lines[begin[0]]) - len(lines[begin[0]].lstrip())]
    out = []
    for line in lines[begin[0] + 1:]:
        if line.strip() == "// [guide-end]":
            return "".join(out)
        if line.strip() and not line.startswith(indent):
            raise ValueError(f"{path} [{name}]: a line is indented less than its marker")
        out.append(line[len(indent):] if line.strip() else line.lstrip(" "))
    raise ValueError(f"{path} [{name}]: no '// [guide-end]' after the marker")


def check_chapter(root, chapter, write):
    """Problems found in one chapter; rewrites it from the examples when `write`."""
    problems = []
    lines = chapter.read_text(encoding="utf-8").splitlines(keepends=True)
    out = []
    i = 0
    tied = False
    while i < len(lines):
        line = lines[i]
        match = SNIPPET.fullmatch(line.strip())
        if match:
            tied = True
            out.append(line)
            i += 1
            continue
        if line.startswith(FENCE):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(FENCE)), None)
            if end is None:
                problems.append(f"{chapter.name}:{i + 1}: code block never closed")
                return problems
            previous = next((l for l in reversed(out) if l.strip()), "")
            source = SNIPPET.fullmatch(previous.strip())
            if not tied or not source:
                problems.append(f"{chapter.name}:{i + 1}: code block without a snippet comment")
                out.extend(lines[i:end + 1])
            else:
                block = "".join(lines[i + 1:end])
                try:
                    expected = region(root, source.group(1), source.group(2))
                except ValueError as error:
                    problems.append(f"{chapter.name}:{i + 1}: {error}")
                    expected = block
                if block != expected and not write:
                    problems.append(f"{chapter.name}:{i + 1}: block differs from "
                                    f"{source.group(1)} [{source.group(2)}]")
                out.append(line)
                out.append(expected)
                out.append(lines[end])
            tied = False
            i = end + 1
            continue
        if line.strip():
            tied = False
        out.append(line)
        i += 1
    for number, line in enumerate(lines, 1):
        for name in PROGRAM.findall(line):
            path = name if "/" in name else f"examples/seeds/{name}"
            if not (root / path).is_file():
                problems.append(f"{chapter.name}:{number}: names {name}, which does not exist")
    if write:
        chapter.write_text("".join(out), encoding="utf-8")
    return problems


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--write"):
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[1])
    write = len(sys.argv) == 3
    chapters = sorted((root / "docs" / "guide").glob("*.md"))
    if not chapters:
        sys.exit("no chapters in docs/guide")
    problems = [p for chapter in chapters for p in check_chapter(root, chapter, write)]
    for problem in problems:
        print(problem, file=sys.stderr)
    blocks = sum(chapter.read_text(encoding="utf-8").count("<!-- snippet:") for chapter in chapters)
    if problems:
        return 1
    print(f"{len(chapters)} chapters, {blocks} code blocks, all cut from the examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
