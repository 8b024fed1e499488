#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the test kernel under QEMU and collect what the tests report.

The host root is the VM's root (9p, read-only); a fresh run folder is the
VM's only writable share. The in-VM init (vm/init) reads its job from the
kernel command line. This program prints the tests' progress, writes the
console to <run>/console.log, and ends with one line "N passed, N failed".
It exits non-zero when a test failed, the VM panicked or hung, or the
console shows a kernel report (oops, WARN, BUG, KASAN, UBSAN, KFENCE,
lockdep, ODEBUG, SLUB, kmemleak, ...). Each report is counted as a failure
and named after the test that was running (vm/run-tests marks every test's
start and end in the kernel log, so the marks and the kernel's messages
share one order on the console).

The debug flavour (kernel/debug.config) boots with its checkers set to
report and carry on, more memory, and every timeout multiplied by --slow.
"""
import argparse
import os
import re
import select
import shlex
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PANIC = re.compile(r'Kernel panic - not syncing.*')
# vm/run-tests writes "rig-mark: start|end GROUP/TEST" to /dev/kmsg.
MARK = re.compile(r'rig-mark: (start|end) (\S+)')

# Kernel reports: (kind, pattern); the first match names the report
# "KIND: <group 1>" (or the whole match). The header strings are the kernel's
# own (7.3): mm/kasan/report.c, mm/kfence/report.c, lib/ubsan.c,
# mm/slub.c (slab_bug), lib/debugobjects.c, kernel/locking/lockdep.c,
# kernel/sched/core.c (__might_resched), mm/kmemleak.c. Specific kinds come
# before the catch-all BUG:/WARNING: lines, which must start a word (not
# "ODEBUG: selftest passed").
REPORTS = [(kind, re.compile(pat)) for kind, pat in [
    ('KASAN', r'(?<!\w)BUG: KASAN: (.*)'),
    ('KFENCE', r'(?<!\w)BUG: KFENCE: (.*)'),
    ('UBSAN', r'UBSAN: (.*)'),
    ('SLUB', r'(?<!\w)BUG (\S+ \((?:Not tainted|Tainted: [^)]*)\): .*)'),
    ('ODEBUG', r'ODEBUG: (.* object type: .*|Out of memory.*)'),
    ('lockdep', r'(?<!\w)WARNING: (possible circular locking dependency detected|'
                r'possible recursive locking detected|inconsistent lock state|'
                r'.*-safe -> .*-unsafe lock order detected|'
                r'possible irq lock inversion dependency detected|'
                r'bad unlock balance detected!|held lock freed!|'
                r'.* still has locks held!|lock held when returning to user space!|'
                r'suspicious RCU usage|Nested lock was not taken|chain_key collision|'
                r'bad contention detected!)'),
    ('lockdep', r'\[ BUG: (Invalid wait context) \]'),
    ('lockdep', r'(?<!\w)BUG: (MAX_\w+ too low!|key \S+ has not been registered!|'
                r'looking up invalid subclass.*)'),
    ('atomic sleep', r'(?<!\w)BUG: (sleeping function called from invalid context.*|'
                     r'scheduling while atomic.*)'),
    # kmemleak's own warnings (API misuse, no memory, stopping). Leaks are
    # counted by vm/run-tests' rig/kmemleak test, which scans at the end.
    ('kmemleak', r'kmemleak: ((?!Kernel memory leak detector initialized|'
                 r'Automatic memory scanning thread|\d+ new suspected memory leak|'
                 r'  |\.\.\. and )\S.*)'),
    ('hung task', r'INFO: (task .* blocked.*)'),
    ('lockup', r'((?:soft lockup|hard LOCKUP).*)'),
    ('Oops', r'Oops: (.*)'),
    ('Oops', r'((?:Oops|general protection fault).*)'),
    ('KASAN', r'KASAN: (\S+ in range .*)'),
    # __warn() in 7.3: "WARNING: FILE:LINE at FUNC+0x../0x.., CPU#N: COMM/PID"
    ('WARNING', r'(?<!\w)WARNING: ((?:\S+:\d+ )?at \S+(?: \[\S+\])?), CPU#\d+:'),
    ('WARNING', r'(?<!\w)WARNING: (.*)'),
    ('BUG', r'(?<!\w)BUG: (.*)'),
]]
# Lines that continue a report counted just before rather than start one:
# the WARN_ON that slab_err/object_err and debug_print_object end with,
# the Oops after a "BUG: kernel NULL pointer dereference", the KASAN
# address-range line after a general protection fault.
TAIL_WARN = re.compile(r'(?<!\w)WARNING: (?:lib/debugobjects\.c|mm/slub\.c|mm/kasan/|mm/kfence/|'
                       r'mm/kmemleak\.c)\S* at ')
TAIL = re.compile(r'Oops|general protection fault|KASAN: \S+ in range')
TAIL_LINES = 400


def rig_paths(flavour):
    """Build folder, version cache and slowness of a flavour (scripts/lib.sh)."""
    out = subprocess.run(
        ['bash', '-c', f'. "{TOP}/scripts/lib.sh"; build_of {flavour}; echo "$VCACHE"; '
         f'slow_of {flavour}'],
        check=True, capture_output=True, text=True).stdout.split('\n')
    return out[0], out[1], int(out[2])


class Console:
    """Follows the console line by line: which test runs, which reports.

    A report is attributed to the test whose start mark came last; after
    its end mark and before the next start it happened between tests."""

    def __init__(self):
        self.lineno = 0
        self.test = None         # last test started
        self.running = False     # ... and not yet ended
        self.boots = 0
        self.reports = []        # (kind, what, where, line number)
        self.last_report = None  # (line number, where) of the latest one
        self.panic = None        # (line, where) of the first panic

    def where(self):
        if self.test is None:
            return f'during boot {self.boots}' if self.boots > 1 else 'during boot'
        return f'{"during" if self.running else "after"} {self.test}'

    def new_boot(self):
        self.boots += 1
        self.test, self.running, self.last_report = None, False, None

    def feed(self, line):
        """One console line; returns a report message to print, or None."""
        self.lineno += 1
        m = MARK.search(line)
        if m:
            self.test, self.running = m.group(2), m.group(1) == 'start'
            return None
        # The runner's own lines quote kernel messages already counted.
        if line.startswith(('rig:', 'demo:')):
            return None
        where = self.where()
        if PANIC.search(line):
            if self.panic is None:
                self.panic = (self.lineno, where)
            return None
        near = (self.last_report is not None and self.last_report[1] == where and
                self.lineno - self.last_report[0] <= TAIL_LINES)
        if near and (TAIL_WARN.search(line) or TAIL.search(line)):
            return None
        for kind, pat in REPORTS:
            m = pat.search(line)
            if m:
                what = (m.group(1) if m.groups() else m.group(0)).strip()[:160]
                self.reports.append((kind, what, where, self.lineno))
                self.last_report = (self.lineno, where)
                return f'report: {kind}: {what} {where} (console.log line {self.lineno})'
        return None


def kernel_of(flavour, build):
    """The kernel a flavour boots: the build's, or Debian's (stock)."""
    if flavour == 'stock':
        return os.path.join(build, 'vmlinuz')
    return os.path.join(build, 'arch/x86/boot/bzImage')


def kernel_line():
    """The kernel line of the run (make KERNEL=; 7.3 by default)."""
    return os.environ.get('KERNEL') or '7.3'


def qemu_argv(a, build, run_dir):
    kernel = kernel_of(a.flavour, build)
    cmdline = [
        'console=ttyS0,115200', 'earlyprintk=serial,ttyS0,115200',
        'root=/dev/root', 'rootfstype=9p',
        'rootflags=trans=virtio,version=9p2000.L,msize=524288,cache=loose',
        'ro', f'init={TOP}/vm/init', 'panic=-1', 'oops=panic' if a.panic_on_oops else '',
        # The hung-task watchdog is a sysctl (a bare hung_task_timeout_secs=
        # would only reach init's environment); slow kernels get longer.
        'loglevel=6', f'sysctl.kernel.hung_task_timeout_secs={120 * a.slow}',
        # The kselftest group logs about 250 KB (6.12, 2026-11-28; most of
        # it under_load's flips and deleted disks), more than the 128 KiB
        # of a tinyconfig kernel: a buffer that keeps the whole group, so
        # the rig's scan after it starts from its mark (the console sees
        # each report as well). 8 MiB of text and about 28 MiB of records.
        'log_buf_len=8M',
        f'rig_top={TOP}', f'rig_build={build}', f'rig_flavour={a.flavour}',
        # The kernel line (make KERNEL=): tests whose subject an older line
        # lacks skip with the reason, and expected bytes follow the line.
        f'rig_kernel={kernel_line()}',
        f'rig_mode={"shell" if a.shell else "test"}',
        f'rig_groups={a.groups}',
    ]
    if a.slow != 1:
        # vm/run-tests multiplies each test's timeout by it; the soft-lockup
        # watchdog (20 s by default, at most 120 s) is stretched the same.
        cmdline += [f'rig_slow={a.slow}', f'watchdog_thresh={min(10 * a.slow, 60)}']
    if a.flavour == 'debug':
        # Report and carry on, so that every report of a run is seen and
        # counted: no panic on WARN (KASAN and UBSAN check it too), KASAN's
        # default of one report per boot lifted, kmemleak on (the default
        # of the fragment, made explicit), and SLUB's consistency checks,
        # red zones, poisoning and owner tracking on every cache.
        cmdline += ['panic_on_warn=0', 'kasan.fault=report', 'kasan_multi_shot',
                    'kmemleak=on', 'slab_debug=FZPU']
    if a.flavour == 'stock':
        # Debian's own kernel (scripts/stock.sh): vm/stock-init in its
        # initramfs mounts the root with the image's files on top.
        # Debian builds it with INIT_ON_ALLOC_DEFAULT_ON, which zeroes
        # every page it allocates: off, as in the rig's kernels, so that
        # the tests see what code that forgets to clear memory hands out
        # (vhost/failed_misaligned_read_returns_no_host_memory).
        cmdline += ['rig_stock=1', 'init_on_alloc=0']
    if a.only:
        cmdline.append(f'rig_only={a.only}')
    if a.guests:
        cmdline.append(f'rig_guests={a.guests}')
    if a.ksft_args:
        # One word on the kernel command line: commas for the spaces.
        cmdline.append('rig_ksft_args=' + ','.join(a.ksft_args.split()))
    cmdline += a.append
    accel = ['-accel', 'kvm', '-cpu', 'host'] if a.kvm else ['-accel', 'tcg', '-cpu', 'max']
    argv = ['qemu-system-x86_64', '-machine', 'q35', *accel,
            '-smp', str(a.smp), '-m', a.mem, '-nodefaults', '-no-user-config',
            '-display', 'none', '-no-reboot', '-nic', 'none',
            '-kernel', kernel, '-append', ' '.join(c for c in cmdline if c),
            *(['-initrd', os.path.join(build, 'initrd.cpio'),
               # the image's files, a share of their own: overlayfs
               # refuses a layer inside another layer's file system tree
               '-fsdev', f'local,id=stock,path={os.path.realpath(os.path.join(build, "root"))},'
               'security_model=none,readonly=on,multidevs=remap',
               '-device', 'virtio-9p-pci,fsdev=stock,mount_tag=stock']
              if a.flavour == 'stock' else []),
            '-fsdev', 'local,id=root,path=/,security_model=none,readonly=on,multidevs=remap',
            '-device', 'virtio-9p-pci,fsdev=root,mount_tag=/dev/root',
            '-fsdev', f'local,id=out,path={run_dir},security_model=none',
            '-device', 'virtio-9p-pci,fsdev=out,mount_tag=rigout',
            '-device', 'virtio-rng-pci',
            '-serial', 'stdio']
    # Real SCSI disks with a small host limit for the tests: a virtio-scsi
    # HBA whose queue takes 256 KiB, a 512-byte and a 4Kn disk. Their own
    # Block Limits pages report far more than that.
    argv += ['-device', 'virtio-scsi-pci,id=hba0,max_sectors=512']
    for name, bs in (('rig-512', 512), ('rig-4kn', 4096)):
        img = os.path.join(run_dir, f'{name}.img')
        with open(img, 'wb') as f:
            f.truncate(64 << 20)
        argv += ['-drive', f'if=none,id={name},file={img},format=raw,cache=unsafe',
                 '-device', f'scsi-hd,bus=hba0.0,drive={name},serial={name},'
                 f'logical_block_size={bs},physical_block_size={bs}']
    for extra in a.qemu:
        argv += shlex.split(extra)
    return argv


MAX_BOOTS = 4


def run_once(a, argv, console, t0, follow):
    """One boot: copy the console, echo progress and reports; True if it hung."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    follow.new_boot()
    buf = b''
    hung = False

    def lines_of(raws):
        for raw in raws:
            line = raw.decode('utf-8', 'replace').rstrip('\r')
            report = follow.feed(line)
            stamp = f'[{time.monotonic() - t0:6.1f}s]'
            if a.verbose or report or line.startswith(('rig:', 'demo:')) or \
                    PANIC.search(line):
                print(f'{stamp} {line}', flush=True)
            if report:
                print(f'{stamp} {report}', flush=True)

    while True:
        left = a.timeout * a.slow - (time.monotonic() - t0)
        if left <= 0:
            hung = True
            proc.kill()
            break
        ready, _, _ = select.select([proc.stdout], [], [], min(left, 5))
        if not ready:
            if proc.poll() is not None:
                break
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        console.write(chunk)
        console.flush()
        buf += chunk
        *lines, buf = buf.split(b'\n')
        lines_of(lines)
    if buf:
        lines_of([buf])      # a last line without a newline
    proc.wait()
    return hung


def tap_results(run_dir):
    """(test, 'pass'|'fail'|'skip', note, line) for each test line of a run's TAP files."""
    for name in sorted(os.listdir(run_dir)):
        if not name.endswith('.tap'):
            continue
        with open(os.path.join(run_dir, name), encoding='utf-8', errors='replace') as f:
            for line in f:
                line = line.rstrip('\n')
                m = re.match(r'(not ok|ok) (.*?)(?:\s+#\s*(.*))?$', line)
                if not m:
                    continue
                note = m.group(3) or ''
                if m.group(1) == 'not ok':
                    yield m.group(2), 'fail', note, line
                elif re.match(r'SKIP\b', note, re.I):
                    yield m.group(2), 'skip', note[4:].strip(), line
                else:
                    yield m.group(2), 'pass', note, line


def count(run_dir):
    passed = failed = skipped = 0
    failures = []
    for _, outcome, _, line in tap_results(run_dir):
        if outcome == 'fail':
            failed += 1
            failures.append(line)
        elif outcome == 'skip':
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped, failures


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--flavour', default='series', choices=['series', 'debug', 'baseline', 'stock'])
    p.add_argument('--groups', default='kunit,kselftest,scenario,guest')
    p.add_argument('--only', default='', help='glob: run only matching tests')
    p.add_argument('--guests', default='', help='glob: of the guest group, run only these')
    p.add_argument('--ksft-args', default='',
                   help='arguments for the vhost_scsi kselftest binary (harness filters)')
    p.add_argument('--shell', action='store_true', help='interactive shell in the VM')
    p.add_argument('--kvm', action='store_true', help='use KVM (hangs when nested)')
    p.add_argument('--timeout', type=int, default=1800,
                   help='seconds for the whole VM (multiplied by --slow)')
    p.add_argument('--slow', type=int, default=None,
                   help='multiply every timeout by this (default: 3 for debug, else 1)')
    p.add_argument('--mem', default=None,
                   help='VM memory (default: 4G; 6G for debug, whose KASAN shadow '
                   'takes an eighth and SLUB/kmemleak metadata more)')
    p.add_argument('--smp', type=int, default=2)
    p.add_argument('--append', action='append', default=[], help='extra kernel argument')
    p.add_argument('--qemu', action='append', default=[], help='extra QEMU arguments')
    p.add_argument('--panic-on-oops', action='store_true')
    p.add_argument('--verbose', '-v', action='store_true', help='echo the whole console')
    p.add_argument('--dry-run', action='store_true', help='print the QEMU command')
    a = p.parse_args()

    build, vcache, slow = rig_paths(a.flavour)
    if a.slow is None:
        a.slow = slow
    if a.mem is None:
        a.mem = '6G' if a.flavour == 'debug' else '4G'
    if not os.path.exists(kernel_of(a.flavour, build)):
        make = 'scripts/stock.sh' if a.flavour == 'stock' else f'scripts/build.sh {a.flavour}'
        sys.exit(f'error: no kernel in {build}: run {make}')
    runs = os.path.join(vcache, 'runs')
    run_dir = os.path.join(runs, time.strftime('%Y%m%d-%H%M%S') + f'-{a.flavour}-{os.getpid()}')
    os.makedirs(run_dir)
    # for scripts/baseline-check.py: the kernel line its rules are for
    with open(os.path.join(run_dir, 'kernel-line'), 'w', encoding='utf-8') as f:
        f.write(kernel_line() + '\n')
    if a.only:
        # for scripts/baseline-check.py: the tests the run left out
        with open(os.path.join(run_dir, 'only'), 'w', encoding='utf-8') as f:
            f.write(a.only + '\n')
    if a.guests:
        with open(os.path.join(run_dir, 'guests'), 'w', encoding='utf-8') as f:
            f.write(a.guests + '\n')
    latest = os.path.join(runs, 'latest')
    if os.path.islink(latest) or os.path.exists(latest):
        os.unlink(latest)
    os.symlink(run_dir, latest)
    argv = qemu_argv(a, build, run_dir)
    if a.dry_run:
        print(shlex.join(argv))
        return 0

    console_path = os.path.join(run_dir, 'console.log')
    if a.shell:
        print(f'rig: console log {console_path}', file=sys.stderr)
        return subprocess.call(argv)

    t0 = time.monotonic()
    print(f'# {a.flavour} kernel, groups {a.groups}{", only " + a.only if a.only else ""}'
          f'{", guests " + a.guests if a.guests else ""}'
          f'{", kselftest args " + a.ksft_args if a.ksft_args else ""}'
          f'{f", timeouts x{a.slow}" if a.slow != 1 else ""}, run folder {run_dir}', flush=True)
    follow = Console()
    panicked = hung = False
    boots = 0
    reboot_flag = os.path.join(run_dir, 'reboot-requested')
    with open(console_path, 'wb') as console:
        # A test may ask for a reboot (vm/run-tests): the VM ends, and a
        # new boot of the same machine, disks and run folder continues.
        while True:
            boots += 1
            hung = run_once(a, argv, console, t0, follow)
            panicked = follow.panic is not None
            if hung or panicked or not os.path.exists(reboot_flag) or boots > MAX_BOOTS:
                break
            with open(reboot_flag) as f:
                who = f.read().strip()
            os.unlink(reboot_flag)
            if os.path.exists(os.path.join(run_dir, 'exit-status')):
                os.unlink(os.path.join(run_dir, 'exit-status'))
            print(f'[{time.monotonic() - t0:6.1f}s] rig: rebooting the VM for {who}', flush=True)
    elapsed = time.monotonic() - t0

    passed, failed, skipped, failures = count(run_dir)
    status_file = os.path.join(run_dir, 'exit-status')
    problems = []
    if hung:
        problems.append(f'VM hung: no end after {a.timeout * a.slow}s (killed), '
                        f'{follow.where()}')
    if panicked:
        problems.append(f'kernel panic {follow.panic[1]} (console.log line {follow.panic[0]})')
    if os.path.exists(reboot_flag):
        problems.append(f'tests asked for more than {MAX_BOOTS - 1} reboots')
    elif not hung and not panicked and not os.path.exists(status_file):
        problems.append('VM ended without reporting (init died or the VM crashed)')
    groups_done = []
    if os.path.exists(os.path.join(run_dir, 'groups-done')):
        with open(os.path.join(run_dir, 'groups-done')) as f:
            groups_done = f.read().split()
    for g in a.groups.split(','):
        if g not in groups_done and not problems:
            problems.append(f'group {g} did not finish')
    failed += len(problems) + len(follow.reports)

    for line in failures:
        print(f'# FAILED: {line}')
    for prob in problems:
        print(f'# FAILED: {prob}')
    shown = 20
    for kind, what, where, lineno in follow.reports[:shown]:
        print(f'# FAILED: kernel report: {kind}: {what} {where} (console.log line {lineno})')
    if len(follow.reports) > shown:
        print(f'# FAILED: ... and {len(follow.reports) - shown} more kernel reports')
    kinds = {}
    for kind, *_ in follow.reports:
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f'# kernel reports: {len(follow.reports)}'
          + (' (' + ', '.join(f'{k} {n}' for k, n in kinds.items()) + ')' if kinds else ''))
    print(f'# VM ran {elapsed:.0f}s; console: {console_path}; logs: {run_dir}/logs')
    tail = f', {skipped} skipped' if skipped else ''
    print(f'{passed} passed, {failed} failed{tail}', flush=True)
    return 1 if failed or passed == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
