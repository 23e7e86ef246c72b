# Deliberately provokes a kernel WARNING (LKDTM, in the debug kernel). The
# harness must fail this run and quote the warning: tests/vm/selftest.sh
# checks that it does.
modprobe lkdtm || exit 0
echo WARNING >/sys/kernel/debug/provoke-crash/DIRECT
exit 0
