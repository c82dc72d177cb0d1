#!/usr/bin/env python3
"""Runs a seed example and checks its output against the block its source ends with.

The block is the comment that starts with a line `// Output:`; each following `// ` line is
one line the program must print, in order. Inside a line:
  <int>  an integer           <num>  a decimal number     <word>  text without spaces
  <any>  anything (maybe nothing)
A run of lines that start with `~ ` may appear in any order among themselves (the output of
processes or threads that run at once).
An optional line `// Test arguments: ...` in the source gives the program's arguments, and
optional lines `// Input: ...` the lines its standard input reads, in order (without them,
standard input is empty).

Usage: check_output.py SOURCE.cpp -- PROGRAM [ARGS...]
Exit status 0 when every line matched and the program exited with 0.
"""
import re
import shlex
import subprocess
import sys

PLACEHOLDERS = {
    "<int>": r"-?\d+",
    "<num>": r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?",
    "<word>": r"\S+",
    "<any>": r".*",
}


def line_pattern(text):
    parts = re.split(r"(<int>|<num>|<word>|<any>)", text)
    return re.compile("".join(PLACEHOLDERS.get(p, re.escape(p)) for p in parts))


def expected_block(source):
    """[(unordered, pattern, text)] from the source's `// Output:` block, its arguments and its
    standard input."""
    lines = open(source, encoding="utf-8").read().splitlines()
    arguments = []
    stdin = ""
    start = None
    for i, line in enumerate(lines):
        if line.startswith("// Test arguments:"):
            arguments = shlex.split(line[len("// Test arguments:"):])
        if line.startswith("// Input:"):
            stdin += line[len("// Input:"):].strip() + "\n"
        if line.strip() == "// Output:":
            start = i + 1
    if start is None:
        sys.exit(f"{source}: no '// Output:' block")
    block = []
    for line in lines[start:]:
        if not line.startswith("//"):
            break
        text = line[3:] if line.startswith("// ") else line[2:]
        unordered = text.startswith("~ ")
        if unordered:
            text = text[2:]
        block.append((unordered, line_pattern(text), text))
    return block, arguments, stdin


def compare(block, output):
    """The first mismatch as a message, or None."""
    i = 0
    while i < len(block):
        if not block[i][0]:
            if i >= len(output):
                return f"line {i + 1}: expected '{block[i][2]}', the output ended"
            if not block[i][1].fullmatch(output[i]):
                return f"line {i + 1}: expected '{block[i][2]}', got '{output[i]}'"
            i += 1
            continue
        j = i
        while j < len(block) and block[j][0]:
            j += 1
        group = list(range(i, j))
        for k in range(i, j):
            if k >= len(output):
                return f"line {k + 1}: expected one of the unordered lines, the output ended"
            match = next((g for g in group if block[g][1].fullmatch(output[k])), None)
            if match is None:
                wanted = " | ".join(block[g][2] for g in group)
                return f"line {k + 1}: '{output[k]}' matches none of: {wanted}"
            group.remove(match)
        i = j
    if len(output) > len(block):
        return f"line {len(block) + 1}: unexpected extra output '{output[len(block)]}'"
    return None


def main():
    if "--" not in sys.argv or sys.argv.index("--") != 2:
        sys.exit(__doc__)
    source = sys.argv[1]
    command = sys.argv[3:]
    block, arguments, stdin = expected_block(source)
    run = subprocess.run(command + arguments, input=stdin, stdout=subprocess.PIPE, text=True)
    output = run.stdout.splitlines()
    problem = compare(block, output)
    if problem is None and run.returncode != 0:
        problem = f"exit status {run.returncode}"
    if problem is None:
        return 0
    print(f"{source}: {problem}\n--- output ---\n{run.stdout}--- end ---", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
