# `make bench` (for now): the reference figures that tcm-rs will be measured
# against, in one VM run: fio 4k random read at queue depth 1 and 32 on
# null_blk and scsi_debug (the block-layer ceilings) and on in-tree LIO
# (tcm_loop over rd_mcp). Prints a table; writes bench.json into the run
# directory. Under TCG absolute numbers mean little: compare ratios.
. "$TCM_ROOT/tests/vm/lib.sh"

runtime=${BENCH_RUNTIME:-5}
results=()

fio_iops() { # DEVICE DEPTH -> "iops mean_lat_us"
	fio --name=b --filename="$1" --direct=1 --ioengine=libaio --rw=randread --bs=4k \
		--iodepth="$2" --runtime="$runtime" --time_based --size=64M \
		--output-format=json 2>/dev/null |
		jq -r '.jobs[0].read | "\(.iops | floor) \(.lat_ns.mean / 1000 | floor)"'
}

measure() { # NAME DEVICE
	for qd in 1 32; do
		read -r iops lat < <(fio_iops "$2" "$qd")
		printf '%-22s QD%-3s %8s IOPS %7s us mean\n' "$1" "$qd" "$iops" "$lat"
		results+=("{\"target\":\"$1\",\"qd\":$qd,\"iops\":$iops,\"mean_lat_us\":$lat}")
	done
}

wait_disk() { # VENDOR-PATTERN -> device node
	for _ in $(seq 50); do
		dev=$(lsscsi | awk -v p="$1" '$0 ~ p {print $NF; exit}')
		[ -b "$dev" ] && { echo "$dev"; return; }
		sleep 0.2
	done
	fail "no disk matching $1"
}

modprobe null_blk nr_devices=1 gb=1 || fail "null_blk"
measure null_blk /dev/nullb0
modprobe -r null_blk

modprobe scsi_debug dev_size_mb=64 delay=0 || fail "scsi_debug"
measure scsi_debug "$(wait_disk scsi_debug)"
modprobe -r scsi_debug

start_dbus
targetcli /backstores/ramdisk create name=bench size=64M >/dev/null
targetcli /loopback create naa.5001405000000b01 >/dev/null
targetcli /loopback/naa.5001405000000b01/luns create /backstores/ramdisk/bench >/dev/null
measure lio_loop_rd_mcp "$(wait_disk LIO-ORG)"
targetcli clearconfig confirm=true >/dev/null
lio_unload || fail "LIO did not unload"

printf '[%s]\n' "$(IFS=,; echo "${results[*]}")" >"$TCM_RUN/bench.json"
echo "figures: $TCM_RUN/bench.json"
