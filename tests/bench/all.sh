# `make bench`: every benchmark in one VM run, one after another.
for b in data-path config-plane memory; do
	echo "=== $b"
	bash -e "$TCM_ROOT/tests/bench/$b.sh" || exit 1
done
