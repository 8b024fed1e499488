#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of make bench: medians and ratios of <run>/bench.csv.

Reads the rows tests/bench/001-data-path wrote (kernel, mode, disk,
workload, bytes, depth, rep, iops, mbs), writes <run>/medians.csv and
prints a table and one closing line:
  bench: iops on/unpatched R, off/unpatched R, guest/host-direct R
where the IOPS ratios are those of 4 KiB random reads at depth 32 on the
scsi_debug disk (fake_rw: the target path dominates), and guest/host-direct
is the guest's sequential reads at the advertised limit on the QEMU disk
over the host's own O_DIRECT reads of it. Each ratio is one of medians.
"""
import csv
import os
import statistics
import sys

MODES = ['unpatched', 'off', 'on', 'direct']
WORKLOADS = ['rand4k', 'rand64k', 'seqread', 'seqwrite', 'seqbig', 'direct']


def main():
    run = sys.argv[1]
    rows = list(csv.DictReader(open(os.path.join(run, 'bench.csv'))))
    if not rows:
        sys.exit('bench-report: no rows')
    series = {}
    for r in rows:
        key = (r['disk'], r['workload'], int(r['bytes']), int(r['depth']), r['mode'])
        try:
            v = (float(r['iops']), float(r['mbs']))
        except ValueError:
            sys.exit(f'bench-report: a row without numbers: {r}')
        series.setdefault(key, []).append(v)
    med = {k: (statistics.median(x for x, _ in v), statistics.median(y for _, y in v), len(v))
           for k, v in series.items()}
    with open(os.path.join(run, 'medians.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['disk', 'workload', 'bytes', 'depth', 'mode', 'runs', 'iops', 'mbs'])
        for k in sorted(med, key=lambda k: (k[0], WORKLOADS.index(k[1]), k[2], MODES.index(k[4]))):
            w.writerow([*k, med[k][2], f'{med[k][0]:.0f}', f'{med[k][1]:.1f}'])

    def get(disk, workload, mode, col):
        for k, v in med.items():
            if k[0] == disk and k[1] == workload and k[4] == mode:
                return v[col]
        return None

    def ratio(a, b):
        return f'{a / b:.2f}' if a is not None and b else 'n/a'

    print(f'{"disk":<11} {"workload":<10} {"bytes":>8} {"qd":>3}  {"unpatched":>10} '
          f'{"off":>10} {"on":>10}  {"off/unp":>7} {"on/unp":>7}  unit')
    for disk in sorted({k[0] for k in med}):
        for wl in WORKLOADS:
            keys = [k for k in med if k[0] == disk and k[1] == wl]
            if not keys:
                continue
            col = 0 if wl.startswith('rand') else 1
            vals = {m: get(disk, wl, m, col) for m in MODES}
            b, d = keys[0][2], keys[0][3]

            def cell(m):
                return f'{vals[m]:>10.{0 if col == 0 else 1}f}' if vals[m] is not None else f'{"":>10}'
            if wl == 'direct':
                print(f'{disk:<11} {"direct":<10} {b:>8} {d:>3}  {cell("direct")} '
                      f'{"":>10} {"":>10}  {"":>7} {"":>7}  MB/s, the host\'s own O_DIRECT reads '
                      '(both kernels)')
                continue
            note = ' (series only: split or carried whole)' if wl == "seqbig" else ''
            print(f'{disk:<11} {wl:<10} {b:>8} {d:>3}  {cell("unpatched")} {cell("off")} '
                  f'{cell("on")}  {ratio(vals["off"], vals["unpatched"]):>7} '
                  f'{ratio(vals["on"], vals["unpatched"]):>7}  {"IOPS" if col == 0 else "MB/s"}{note}')
    for disk in sorted({k[0] for k in med}):
        on, x4, direct = (get(disk, 'seqread', 'on', 1), get(disk, 'seqbig', 'on', 1),
                          get(disk, 'direct', 'direct', 1))
        print(f'{disk}: guest at the limit / host O_DIRECT {ratio(on, direct)}; '
              f'larger commands (seqbig) / the limit {ratio(x4, on)}')
    print(f'bench: iops on/unpatched {ratio(get("scsi_debug", "rand4k", "on", 0), get("scsi_debug", "rand4k", "unpatched", 0))}, '
          f'off/unpatched {ratio(get("scsi_debug", "rand4k", "off", 0), get("scsi_debug", "rand4k", "unpatched", 0))}, '
          f'guest/host-direct {ratio(get("scsi-hd", "seqread", "on", 1), get("scsi-hd", "direct", "direct", 1))}')


if __name__ == '__main__':
    main()
