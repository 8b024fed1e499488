#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Flatten TAP/KTAP into one result line per leaf test.

Nesting is either KTAP indentation (four spaces a level, as KUnit prints)
or kselftest's "# " prefix a level (as run_kselftest.sh prints a harness
program's own TAP). A result with children is replaced by its children,
named parent/child; a parent that failed while none of its children did is
kept as a failure of its own, so no failure is ever lost.

usage: ktap.py PREFIX <input >output   (prints "ok|not ok PREFIX/name ...")
"""
import re
import sys

RESULT = re.compile(r'^(not ok|ok)\s+\d+\s*-?\s*([^#]*?)\s*(#\s*(.*))?$')


def depth_and_rest(line):
    depth = 0
    while True:
        if line.startswith('    '):
            line = line[4:]
        elif line.startswith('# ') and RESULT.match(line[2:].lstrip('# ') or ''):
            line = line[2:]
        elif line.startswith('\t'):
            line = line[1:]
        else:
            return depth, line
        depth += 1


def flatten(lines):
    levels = {}          # depth -> flattened results collected at that depth
    for raw in lines:
        depth, rest = depth_and_rest(raw.rstrip('\n'))
        m = RESULT.match(rest)
        if not m:
            continue
        ok = m.group(1) == 'ok'
        name = m.group(2).strip() or '(unnamed)'
        directive = (m.group(4) or '').strip()
        children = levels.pop(depth + 1, [])
        for deeper in [d for d in levels if d > depth + 1]:
            children += levels.pop(deeper)
        mine = levels.setdefault(depth, [])
        if children:
            for c_ok, c_name, c_dir in children:
                mine.append((c_ok, f'{name}/{c_name}', c_dir))
            if not ok and all(c[0] for c in children):
                mine.append((False, name, directive))
        else:
            mine.append((ok, name, directive))
    out = []
    for d in sorted(levels):
        out += levels[d]
    return out


def main():
    prefix = sys.argv[1] if len(sys.argv) > 1 else ''
    for ok, name, directive in flatten(sys.stdin):
        full = f'{prefix}/{name}' if prefix else name
        line = ('ok ' if ok else 'not ok ') + full
        if directive:
            line += ' # ' + directive
        print(line)


if __name__ == '__main__':
    main()
