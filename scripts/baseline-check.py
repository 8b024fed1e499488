#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hold a baseline run to tests/baseline.expect: unpatched 7.3 (make
baseline-test), or Debian's own kernel image without pscsi-vpd-dkms (make
stock-baseline: a stock run that never ran the group "stock", which
installs the package).

Reads the TAP files of a run folder (default: the version cache's
runs/latest, which either command has just written) and prints TAP:
one line per test, ok when its outcome is the expected one, then one line
per expectation of a group the run finished that matched no test, and the
summary "N passed, N failed".
Exit status 1 if anything is not as expected."""
import argparse
import fnmatch
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'scripts'))
from vm import tap_results  # noqa: E402  (the rig's own TAP reader)


def kernel_line(run_dir):
    """The kernel line of a run, which scripts/vm.py writes in its folder;
    for a run of before that file, the line of the version cache it is in
    (runs/ of /var/cache/pscsi-vpd/6.1.192-2/ is of 6.1)."""
    path = os.path.join(run_dir, 'kernel-line')
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            return f.read().strip()
    version = os.path.basename(os.path.dirname(os.path.dirname(run_dir)))
    return '.'.join(version.split('-')[0].split('.')[:2])


def known_lines():
    """The kernel lines the repository has a series for: series/ is 7.3,
    lts/<line>/ each other one."""
    lts = os.path.join(TOP, 'lts')
    return {'7.3'} | {d for d in os.listdir(lts) if os.path.isdir(os.path.join(lts, d))}


def expectations(path, line_of_run, known):
    """The rules that hold for a run of line_of_run. A rule may begin with
    the kernel lines it is for, in brackets ([6.1] or [6.1,6.12]), each one
    of known; the others hold for every line."""
    rules = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            lines = None
            if line.startswith('['):
                lines, sep, line = line[1:].partition(']')
                if not sep:
                    sys.exit(f'{path}:{lineno}: no "]" after the kernel lines')
                lines = [x.strip() for x in lines.split(',')]
                bad = [x for x in lines if x not in known]
                if bad:
                    sys.exit(f'{path}:{lineno}: no kernel line {bad[0]!r} '
                             f'(the lines: {", ".join(sorted(known))})')
            # Every rule is checked, whatever line it is for.
            words = line.split(None, 1)
            if len(words) != 2:
                sys.exit(f'{path}:{lineno}: not "[lines] glob outcome"')
            glob, want = words[0], words[1].strip()
            kind, _, text = want.partition(':')
            if kind not in ('pass', 'fail', 'skip'):
                sys.exit(f'{path}:{lineno}: unknown outcome {want!r}')
            if lines is None or line_of_run in lines:
                rules.append((glob, kind, text, lineno))
    return rules


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('run_dir', nargs='?', help='a run folder (default: runs/latest)')
    p.add_argument('--expect', default=os.path.join(TOP, 'tests/baseline.expect'))
    a = p.parse_args()
    run_dir = a.run_dir
    if not run_dir:
        vcache = subprocess.run(['bash', '-c', f'. "{TOP}/scripts/lib.sh"; echo "$VCACHE"'],
                                check=True, capture_output=True, text=True).stdout.strip()
        run_dir = os.path.join(vcache, 'runs', 'latest')
    run_dir = os.path.realpath(run_dir)
    done = []
    if os.path.exists(os.path.join(run_dir, 'groups-done')):
        with open(os.path.join(run_dir, 'groups-done')) as f:
            done = f.read().split()
    name = os.path.basename(run_dir)
    if '-baseline-' not in name and ('-stock-' not in name or 'stock' in done):
        sys.exit(f'error: {run_dir} is not a baseline run '
                 '(make baseline-test, or make stock-baseline without the package)')
    line, known = kernel_line(run_dir), known_lines()
    if line not in known:
        sys.exit(f'error: {run_dir}: kernel line {line!r} is none of '
                 f'{", ".join(sorted(known))} (no kernel-line file, '
                 'and not in a version cache\'s runs/)')
    rules = expectations(a.expect, line, known)
    used = set()
    passed = failed = 0
    n = 0
    print(f'# baseline run {run_dir} (Linux {line}), expectations {a.expect}')
    for test, got, reason, _ in tap_results(run_dir):
        n += 1
        rule = next((r for r in rules if fnmatch.fnmatchcase(test, r[0])), None)
        if rule is None:
            print(f'not ok {n} - {test}: {got}, but no expectation names it')
            failed += 1
            continue
        used.add(rule[3])
        glob, want, text, _ = rule
        if got == want and (not text or text in reason):
            print(f'ok {n} - {test}: {got} as expected')
            passed += 1
        else:
            why = f' ({reason})' if reason else ''
            print(f'not ok {n} - {test}: {got}{why}, expected {want}'
                  + (f' with "{text}"' if text else ''))
            failed += 1
    # A group the run left out (make baseline-test GROUPS=...) is not
    # missing, nor a test its ONLY glob, or for the guest group its GUESTS
    # glob, left out (matched, as in vm/run-tests, against the name after
    # the group).
    def glob_of(what):
        path = os.path.join(run_dir, what)
        if not os.path.exists(path):
            return '*'
        with open(path, encoding='utf-8') as f:
            return f.read().strip() or '*'
    only, guests = glob_of('only'), glob_of('guests')
    for glob, want, _, lineno in rules:
        group, _, name = glob.partition('/')
        if only != '*' and not fnmatch.fnmatchcase(name, only):
            continue
        if group == 'guest' and guests != '*' and not fnmatch.fnmatchcase(name, guests):
            continue
        if lineno not in used and group in done:
            n += 1
            print(f'not ok {n} - {glob}: expected {want}, but no such test ran '
                  f'(baseline.expect line {lineno})')
            failed += 1
    print(f'{passed} passed, {failed} failed', flush=True)
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main())
