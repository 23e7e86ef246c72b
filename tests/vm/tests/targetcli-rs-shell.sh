# targetcli-rs's interactive shell on in-tree LIO, driven through tmux as a
# person would type: the prompt follows cd, ls draws the tree, Tab
# completes paths, verbs and parameters, errors are reported and the shell
# goes on, Ctrl-C drops a line, `cd` alone shows the tree to pick a node
# from, `cd <` and `cd >` walk the path history, history survives a
# restart, exit and Ctrl-D leave (saving first, as auto_save_on_exit says).
# vm-kernels: release
. "$TCM_ROOT/tests/vm/lib.sh"

work=$(mktemp -d /tmp/targetcli-rs-shell.XXXXXX)
export TARGETCLI_HOME=$work/home
RS=targetcli-rs
# A tmux server of our own, so that nothing else's sessions are touched.
T() { tmux -L tcm-rs-shell-test "$@"; }
cleanup() {
	T kill-server 2>/dev/null || true
	$RS clearconfig confirm=true >/dev/null 2>&1 || true
	lio_unload || true
	rm -rf "$work"
}
trap cleanup EXIT

# The screen, without trailing blank lines; its last line (the prompt and
# what is typed after it).
screen() { T capture-pane -p -t rs -S -300 | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }
last_line() { screen | tail -n 1; }
keys() { T send-keys -t rs "$@"; }

# until DESCRIPTION COMMAND...: waits up to 30 s (TCG is slow) for the
# command to succeed; fails with the screen otherwise.
until_ok() {
	local what=$1 i; shift
	for i in $(seq 300); do
		if "$@"; then pass "$what"; return 0; fi
		sleep 0.1
	done
	fail "$what; the screen:
$(screen)"
}
line_is() { [ "$(last_line)" = "$1" ]; }
# The line before the prompt: what the last command said.
said() { [ "$(screen | tail -n 2 | head -n 1)" = "$1" ]; }
# highlighted NAME: the line of node NAME is in reverse video.
highlighted() { T capture-pane -p -e -t rs | grep -qE $'\e\\[7m[ |]*o- '"$1 "; }
shows() { screen | grep -qE -- "$1"; }
# run_line TEXT PROMPT: types a command, runs it, waits for the prompt.
run_line() {
	keys -l "$1"
	keys Enter
	until_ok "'$1' runs and the prompt is back" line_is "$2"
}

start_shell() {
	T new-session -d -s rs -x 200 -y 50 \
		"$RS --savefile $work/exit.json; echo shell-exit=\$?; sleep 600"
	until_ok "the shell starts at / with the prompt '/>'" line_is "/>"
}

expect "a ramdisk to look at" $RS /backstores/ramdisk create name=rd0 size=16M
start_shell

# Path completion, absolute, then relative to what is typed.
keys -l "cd /backs"
keys Tab
until_ok "Tab completes a path: cd /backs -> cd /backstores/" line_is "/> cd /backstores/"
keys -l "ra"
keys Tab
until_ok "Tab completes the next level: /backstores/ramdisk/" line_is "/> cd /backstores/ramdisk/"
keys Enter
until_ok "the prompt shows the new path" line_is "/backstores/ramdisk>"

run_line "ls" "/backstores/ramdisk>"
until_ok "ls draws the tree with summaries" shows '^o- ramdisk \.+ \[Storage Objects: 1\]$'
until_ok "ls shows rd0's size and state (no LUN: deactivated)" shows '^  o- rd0 \.+ \[\(16\.0MiB\) deactivated\]$'

run_line "cd .." "/backstores>"
run_line "pwd" "/backstores>"
until_ok "pwd prints the path" shows '^/backstores$'

# Verb completion, then parameter-name completion.
keys -l "sta"
keys Tab
until_ok "Tab completes a verb: sta -> status" line_is "/backstores> status"
keys Enter
until_ok "status reports the node" shows '^Status for /backstores: '
run_line "cd ramdisk" "/backstores/ramdisk>"
keys -l "create rd1 s"
keys Tab
until_ok "Tab completes a parameter name: s -> size=" line_is "/backstores/ramdisk> create rd1 size="
keys -l "8M"
keys Enter
until_ok "create runs from the completed line" shows '^Created ramdisk storage object rd1\.$'
until_ok "the prompt is back" line_is "/backstores/ramdisk>"
keys -l "rd1/ set attribute block_s"
keys Tab
until_ok "Tab completes an attribute name" line_is "/backstores/ramdisk> rd1/ set attribute block_size="
keys C-u
until_ok "Ctrl-U clears the line" line_is "/backstores/ramdisk>"

# Errors are reported and the shell goes on.
run_line "frobnicate" "/backstores/ramdisk>"
until_ok "an unknown command is named, with the commands there are" \
	shows '^Error: unknown command "frobnicate"; commands are: ls, cd'
run_line "cd /nowhere" "/backstores/ramdisk>"
until_ok "a bad path is named, with what to do" shows '^Error: path /nowhere does not exist; see `ls`'

# Ctrl-C drops the line and runs nothing.
keys -l "delete rd1"
keys C-c
until_ok "Ctrl-C gives a new prompt" line_is "/backstores/ramdisk>"
expect "the dropped line did not run" test -d "$(echo "$TARGET"/core/rd_mcp_*/rd1)"

# History: Up recalls the last commands, newest first.
keys Up
until_ok "Up recalls the last command" line_is "/backstores/ramdisk> cd /nowhere"
keys Up
until_ok "Up again recalls the one before" line_is "/backstores/ramdisk> frobnicate"
keys C-u

# cd alone: the whole tree on the full screen, the current node
# highlighted; Down and Enter go to the next node; q, Esc and Ctrl-C stay.
keys -l "cd"
keys Enter
until_ok "cd alone shows the whole tree" shows '^o- / \.+ \[\.\.\.\]$'
until_ok "the tree has every level" shows '^  o- backstores \.+ \[\.\.\.\]$'
until_ok "the tree shows rd1" shows '^[ |]*o- rd1 \.+ \['
until_ok "the last line says what Enter and q do" shows '^Enter: cd /backstores/ramdisk  q: stay'
until_ok "the current node is highlighted" highlighted ramdisk
keys Down
until_ok "Down moves to rd0" highlighted rd0
until_ok "the last line names rd0" shows '^Enter: cd /backstores/ramdisk/rd0  q: stay'
keys Enter
until_ok "Enter goes there: the prompt shows rd0" line_is "/backstores/ramdisk/rd0>"
until_ok "the tree is gone with the full screen" eval '! shows "Enter: cd "'
run_line "pwd" "/backstores/ramdisk/rd0>"
until_ok "pwd agrees" said "/backstores/ramdisk/rd0"
for cancel in q Escape C-c; do
	keys -l "cd"
	keys Enter
	until_ok "cd alone again starts at rd0" highlighted rd0
	keys Up
	until_ok "Up moves to ramdisk" highlighted ramdisk
	keys "$cancel"
	until_ok "$cancel leaves the tree without moving" line_is "/backstores/ramdisk/rd0>"
	until_ok "the tree is gone after $cancel" eval '! shows "Enter: cd "'
done

# cd < and cd >: back and forth through where cd went.
run_line "cd <" "/backstores/ramdisk>"
until_ok "cd < says where it goes" said "Taking you back to /backstores/ramdisk."
run_line "cd <" "/backstores>"
until_ok "cd < again goes further back" said "Taking you back to /backstores."
run_line "cd >" "/backstores/ramdisk>"
until_ok "cd > says where it goes" said "Taking you back to /backstores/ramdisk."
run_line "cd >" "/backstores/ramdisk/rd0>"
run_line "cd >" "/backstores/ramdisk/rd0>"
until_ok "cd > at the end says so" said "Reached the end of path history."
run_line "cd <" "/backstores/ramdisk>"
run_line "cd /" "/>"
run_line "cd >" "/>"
until_ok "cd / dropped rd0, which lay ahead" said "Reached the end of path history."
run_line "cd <" "/backstores/ramdisk>"
until_ok "cd < goes back to before cd /" said "Taking you back to /backstores/ramdisk."

# exit saves the configuration (auto_save_on_exit defaults to true, root).
keys -l "exit"
keys Enter
until_ok "exit leaves the shell with status 0" shows '^shell-exit=0$'
until_ok "exit says it saves, as targetcli-fb does" shows '^Global pref auto_save_on_exit=true$'
saved=$(jq -r '.storage_objects[].name' "$work/exit.json" | sort | tr '\n' ' ')
expect "exit saved the configuration (storage objects: $saved)" test "$saved" = "rd0 rd1 "
expect "the history file was written" grep -qx frobnicate "$TARGETCLI_HOME/history"
T kill-session -t rs

# A new session has the old history; Ctrl-D leaves; the preference holds.
rm "$work/exit.json"
start_shell
keys Up
until_ok "history survives a restart" line_is "/> exit"
keys C-u
run_line "set global auto_save_on_exit=false" "/>"
expect "the preference is kept" grep -q '"auto_save_on_exit": false' "$TARGETCLI_HOME/prefs.json"
keys -l "saveconfig /tm"
keys Tab
until_ok "Tab completes a file name for saveconfig" line_is "/> saveconfig /tmp/"
keys C-u
keys -l "bookmarks a"
keys Tab
until_ok "Tab completes a bookmarks action" line_is "/> bookmarks add"
keys C-u
keys C-d
until_ok "Ctrl-D leaves the shell with status 0" shows '^shell-exit=0$'
expect "nothing was saved with auto_save_on_exit=false" test ! -e "$work/exit.json"
