#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the test kernel under QEMU and collect what the tests report.

The host root is the VM's root (9p, read-only); a fresh run folder is the
VM's only writable share. The in-VM init (vm/init) reads its job from the
kernel command line. This program prints the tests' progress, writes the
console to <run>/console.log, and ends with one line "N passed, N failed".
It exits non-zero when a test failed, the VM panicked or hung, or the
console shows an oops, WARN, BUG or lockdep report.
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

BAD_CONSOLE = re.compile(
    r'Oops|BUG:|WARNING:|Kernel panic|KASAN|UBSAN|possible circular locking|'
    r'possible recursive locking|inconsistent lock state|'
    r'sleeping function called from invalid context|INFO: task .* blocked|'
    r'soft lockup|hard LOCKUP|general protection fault')
PANIC = re.compile(r'Kernel panic - not syncing')


def rig_paths(flavour):
    out = subprocess.run(
        ['bash', '-c', f'. "{TOP}/scripts/lib.sh"; build_of {flavour}; echo "$VCACHE"'],
        check=True, capture_output=True, text=True).stdout.split('\n')
    return out[0], out[1]


def qemu_argv(a, build, run_dir):
    kernel = os.path.join(build, 'arch/x86/boot/bzImage')
    cmdline = [
        'console=ttyS0,115200', 'earlyprintk=serial,ttyS0,115200',
        'root=/dev/root', 'rootfstype=9p',
        'rootflags=trans=virtio,version=9p2000.L,msize=524288,cache=loose',
        'ro', f'init={TOP}/vm/init', 'panic=-1', 'oops=panic' if a.panic_on_oops else '',
        'loglevel=6', 'hung_task_timeout_secs=120',
        f'rig_top={TOP}', f'rig_build={build}', f'rig_flavour={a.flavour}',
        f'rig_mode={"shell" if a.shell else "test"}',
        f'rig_groups={a.groups}',
    ]
    if a.only:
        cmdline.append(f'rig_only={a.only}')
    cmdline += a.append
    accel = ['-accel', 'kvm', '-cpu', 'host'] if a.kvm else ['-accel', 'tcg', '-cpu', 'max']
    argv = ['qemu-system-x86_64', '-machine', 'q35', *accel,
            '-smp', str(a.smp), '-m', a.mem, '-nodefaults', '-no-user-config',
            '-display', 'none', '-no-reboot', '-nic', 'none',
            '-kernel', kernel, '-append', ' '.join(c for c in cmdline if c),
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


def run_once(a, argv, console, t0, bad_lines):
    """One boot: copy the console, echo progress; True if it hung."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    buf = b''
    hung = False
    while True:
        left = a.timeout - (time.monotonic() - t0)
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
        for raw in lines:
            line = raw.decode('utf-8', 'replace').rstrip('\r')
            if BAD_CONSOLE.search(line):
                bad_lines.append(line)
            if a.verbose or line.startswith(('rig:', 'demo:')) or BAD_CONSOLE.search(line):
                print(f'[{time.monotonic() - t0:6.1f}s] {line}', flush=True)
    proc.wait()
    return hung


def count(run_dir):
    passed = failed = skipped = 0
    failures = []
    for name in sorted(os.listdir(run_dir)):
        if not name.endswith('.tap'):
            continue
        with open(os.path.join(run_dir, name), encoding='utf-8', errors='replace') as f:
            for line in f:
                line = line.rstrip('\n')
                if line.startswith('not ok'):
                    failed += 1
                    failures.append(line)
                elif line.startswith('ok'):
                    if re.search(r'#\s*SKIP', line, re.I):
                        skipped += 1
                    else:
                        passed += 1
    return passed, failed, skipped, failures


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--flavour', default='series', choices=['series', 'baseline'])
    p.add_argument('--groups', default='kunit,kselftest,scenario,guest')
    p.add_argument('--only', default='', help='glob: run only matching tests')
    p.add_argument('--shell', action='store_true', help='interactive shell in the VM')
    p.add_argument('--kvm', action='store_true', help='use KVM (hangs when nested)')
    p.add_argument('--timeout', type=int, default=1800, help='seconds for the whole VM')
    p.add_argument('--mem', default='4G')
    p.add_argument('--smp', type=int, default=2)
    p.add_argument('--append', action='append', default=[], help='extra kernel argument')
    p.add_argument('--qemu', action='append', default=[], help='extra QEMU arguments')
    p.add_argument('--panic-on-oops', action='store_true')
    p.add_argument('--verbose', '-v', action='store_true', help='echo the whole console')
    p.add_argument('--dry-run', action='store_true', help='print the QEMU command')
    a = p.parse_args()

    build, vcache = rig_paths(a.flavour)
    if not os.path.exists(os.path.join(build, 'arch/x86/boot/bzImage')):
        sys.exit(f'error: no kernel in {build}: run scripts/build.sh {a.flavour}')
    runs = os.path.join(vcache, 'runs')
    run_dir = os.path.join(runs, time.strftime('%Y%m%d-%H%M%S') + f'-{a.flavour}-{os.getpid()}')
    os.makedirs(run_dir)
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
          f', run folder {run_dir}', flush=True)
    bad_lines = []
    panicked = hung = False
    boots = 0
    reboot_flag = os.path.join(run_dir, 'reboot-requested')
    with open(console_path, 'wb') as console:
        # A test may ask for a reboot (vm/run-tests): the VM ends, and a
        # new boot of the same machine, disks and run folder continues.
        while True:
            boots += 1
            hung = run_once(a, argv, console, t0, bad_lines)
            if any(PANIC.search(line) for line in bad_lines):
                panicked = True
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
        problems.append(f'VM hung: no end after {a.timeout}s (killed)')
    if panicked:
        problems.append('kernel panic')
    if bad_lines and not panicked:
        problems.append(f'kernel reported a problem: {bad_lines[0].strip()}')
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
    failed += len(problems)

    for line in failures:
        print(f'# FAILED: {line}')
    for prob in problems:
        print(f'# FAILED: {prob}')
    print(f'# VM ran {elapsed:.0f}s; console: {console_path}; logs: {run_dir}/logs')
    tail = f', {skipped} skipped' if skipped else ''
    print(f'{passed} passed, {failed} failed{tail}', flush=True)
    return 1 if failed or passed == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
