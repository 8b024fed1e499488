#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Flatten TAP/KTAP into one result line per leaf test.

Nesting is either KTAP indentation (four spaces a level, as KUnit prints,
children before their parent's result) or kselftest's "# " prefix a level
(as run_kselftest.sh prints a harness program's own TAP, after the
program's result: --children-after). A result with children is replaced by
its children, named parent/child; a parent that failed while none of its
children did is kept as a failure of its own, so no failure is ever lost.

usage: ktap.py [--children-after] PREFIX <input >output
       (prints "ok|not ok PREFIX/name ...")
"""
import re
import sys

RESULT = re.compile(r'^(not ok|ok)\s+\d+\s*-?\s*([^#]*?)\s*(#\s*(.*))?$')
# The kselftest harness's line before a test: "#  RUN  fixture.test ...".
# Before Linux 6.2 its result for a skipped test carries no name
# ("ok 141 # SKIP reason"): the name is the one this line announced.
RUN = re.compile(r'#\s+RUN\s+(\S+)\s+\.\.\.\s*$')


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


def parse(lines, children_after):
    """Results as a tree: [ok, name, directive, children]."""
    top = []
    last = {}            # depth -> the latest node at that depth
    pending = {}         # depth -> nodes waiting for their parent (KTAP)
    announced = None     # the test the harness's last RUN line named
    for raw in lines:
        depth, rest = depth_and_rest(raw.rstrip('\n'))
        m = RESULT.match(rest)
        if not m:
            r = RUN.search(raw)
            if r:
                announced = r.group(1)
            continue
        name = m.group(2).strip() or announced or '(unnamed)'
        announced = None
        node = [m.group(1) == 'ok', name, (m.group(4) or '').strip(), []]
        if not children_after:
            # KTAP: a parent's result follows its children.
            for d in sorted(k for k in pending if k > depth):
                node[3] += pending.pop(d)
        if depth == 0:
            top.append(node)
        elif children_after and depth - 1 in last:
            last[depth - 1][3].append(node)
        else:
            pending.setdefault(depth, []).append(node)
        last[depth] = node
        for d in [k for k in last if k > depth]:
            del last[d]
    for d in sorted(pending):
        top += pending[d]
    return top


def flatten(nodes, prefix=''):
    out = []
    for ok, name, directive, children in nodes:
        full = f'{prefix}/{name}' if prefix else name
        if children:
            flat = flatten(children, full)
            out += flat
            if not ok and all(c[0] for c in flat):
                out.append((False, full, directive))
        else:
            out.append((ok, full, directive))
    return out


def main():
    args = sys.argv[1:]
    children_after = '--children-after' in args
    args = [a for a in args if a != '--children-after']
    prefix = args[0] if args else ''
    for ok, full, directive in flatten(parse(sys.stdin, children_after), prefix):
        line = ('ok ' if ok else 'not ok ') + full
        if directive:
            line += ' # ' + directive
        print(line)


if __name__ == '__main__':
    main()
