//! The interactive shell's `cd` without a path, as configshell-fb offers
//! it: the whole tree (as `ls /` draws it) on the full screen, the current
//! node highlighted; Up and Down (PageUp, PageDown, Home and End) move,
//! Enter picks the highlighted node. configshell-fb has no way out but
//! Enter; here q, Esc and Ctrl-C leave without moving.
//!
//! The logic (decoding keys, moving, scrolling, drawing a frame) is pure
//! and tested; [`pick`] only puts the terminal in raw mode on the
//! alternate screen, feeds it keys and puts it back however it ends.

use std::io::{self, Write};
use std::ops::Range;

/// A key the picker knows; other input is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    /// q, Esc, Ctrl-C, Ctrl-D: leave without moving.
    Cancel,
}

const ESC: u8 = 0x1b;

/// The keys in `input` and how many bytes they took: an escape sequence
/// cut short at the end is left for more input (see [`decode_rest`]).
pub fn decode(input: &[u8]) -> (Vec<Key>, usize) {
    let mut keys = Vec::new();
    let mut i = 0;
    while i < input.len() {
        let key = match input[i] {
            ESC => match escape(&input[i..]) {
                Escape::Incomplete => break,
                Escape::Seq(len, key) => {
                    i += len;
                    keys.extend(key);
                    continue;
                }
            },
            b'\r' | b'\n' => Some(Key::Enter),
            b'q' | b'Q' | 0x03 | 0x04 => Some(Key::Cancel),
            // vi's and readline's (Ctrl-P, Ctrl-N) up and down.
            b'k' | 0x10 => Some(Key::Up),
            b'j' | 0x0e => Some(Key::Down),
            b'g' => Some(Key::Home),
            b'G' => Some(Key::End),
            b' ' => Some(Key::PageDown),
            _ => None,
        };
        keys.extend(key);
        i += 1;
    }
    (keys, i)
}

/// What is left over when no more input comes: a lone Esc (or the start
/// of a sequence the terminal never finished) leaves.
pub fn decode_rest(rest: &[u8]) -> Vec<Key> {
    match rest.first() {
        Some(&ESC) => vec![Key::Cancel],
        _ => Vec::new(),
    }
}

enum Escape {
    /// More bytes are needed.
    Incomplete,
    /// A sequence of this length, meaning this key (None: unknown).
    Seq(usize, Option<Key>),
}

/// The escape sequence at the start of `s` (which starts with Esc): CSI
/// (`Esc [ params final`) and SS3 (`Esc O final`), as terminals send for
/// cursor and editing keys; Esc followed by anything else is Esc alone.
fn escape(s: &[u8]) -> Escape {
    match s.get(1) {
        None => Escape::Incomplete,
        Some(b'O') => match s.get(2) {
            None => Escape::Incomplete,
            Some(&f) => Escape::Seq(3, final_key(f, b"")),
        },
        Some(b'[') => {
            // Parameters and intermediates, then one final byte.
            let body = &s[2..];
            match body.iter().position(|b| !(0x20..=0x3f).contains(b)) {
                None => Escape::Incomplete,
                Some(n) if (0x40..=0x7e).contains(&body[n]) => {
                    Escape::Seq(3 + n, final_key(body[n], &body[..n]))
                }
                // Not a sequence after all: skip Esc [ and go on.
                Some(_) => Escape::Seq(2, None),
            }
        }
        Some(_) => Escape::Seq(1, Some(Key::Cancel)),
    }
}

/// The key of a CSI or SS3 sequence from its final byte and parameters
/// (modifiers such as `1;5` are ignored).
fn final_key(f: u8, params: &[u8]) -> Option<Key> {
    let first = params.split(|&b| b == b';').next().unwrap_or_default();
    match (f, first) {
        (b'A', _) => Some(Key::Up),
        (b'B', _) => Some(Key::Down),
        (b'H', _) => Some(Key::Home),
        (b'F', _) => Some(Key::End),
        (b'~', b"1" | b"7") => Some(Key::Home),
        (b'~', b"4" | b"8") => Some(Key::End),
        (b'~', b"5") => Some(Key::PageUp),
        (b'~', b"6") => Some(Key::PageDown),
        _ => None,
    }
}

/// The selection and the part of the tree in view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    len: usize,
    selected: usize,
    top: usize,
}

/// What a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Enter on this line.
    Picked(usize),
    /// Left without picking.
    Cancelled,
}

impl Picker {
    /// A picker over `len` lines (at least one), `start` selected.
    pub fn new(len: usize, start: usize) -> Picker {
        let len = len.max(1);
        Picker {
            len,
            selected: start.min(len - 1),
            top: 0,
        }
    }

    /// Applies `key` with `height` lines in view; Some when the picker is
    /// done.
    pub fn key(&mut self, key: Key, height: usize) -> Option<Done> {
        let last = self.len - 1;
        let page = height.saturating_sub(1).max(1);
        self.selected = match key {
            Key::Up => self.selected.saturating_sub(1),
            Key::Down => (self.selected + 1).min(last),
            Key::PageUp => self.selected.saturating_sub(page),
            Key::PageDown => (self.selected + page).min(last),
            Key::Home => 0,
            Key::End => last,
            Key::Enter => return Some(Done::Picked(self.selected)),
            Key::Cancel => return Some(Done::Cancelled),
        };
        None
    }

    /// The lines in view when `height` fit: the view scrolls as little as
    /// it must to show the selection, and never past the end.
    pub fn window(&mut self, height: usize) -> Range<usize> {
        let height = height.max(1);
        if self.selected < self.top {
            self.top = self.selected;
        } else if self.selected >= self.top + height {
            self.top = self.selected + 1 - height;
        }
        self.top = self.top.min(self.len.saturating_sub(height));
        self.top..(self.top + height).min(self.len)
    }

    /// What to write to show `lines` (whose paths are `paths`) on a
    /// `rows` x `cols` screen: the tree, the selected line in reverse
    /// video, and a last line that says what Enter and q do.
    pub fn frame(&mut self, lines: &[&str], paths: &[&str], rows: usize, cols: usize) -> String {
        let (rows, cols) = (rows.max(1), cols.max(1));
        let height = if rows > 1 { rows - 1 } else { 1 };
        let mut out = String::from("\x1b[H");
        for (row, i) in self.window(height).enumerate() {
            let line: String = lines.get(i).unwrap_or(&"").chars().take(cols).collect();
            out.push_str(&format!("\x1b[{};1H", row + 1));
            if i == self.selected {
                let pad = cols - line.chars().count();
                out.push_str(&format!("\x1b[7m{line}{}\x1b[0m", " ".repeat(pad)));
            } else {
                out.push_str(&line);
                out.push_str("\x1b[K");
            }
        }
        out.push_str("\x1b[J");
        if rows > 1 {
            let path = paths.get(self.selected).unwrap_or(&"");
            let help = format!(
                "Enter: cd {path}  q: stay  Up/Down/PgUp/PgDn/Home/End: move  ({}/{})",
                self.selected + 1,
                self.len
            );
            let help: String = help.chars().take(cols).collect();
            out.push_str(&format!("\x1b[{rows};1H{help}\x1b[K"));
        }
        out
    }
}

/// The terminal in raw mode on the alternate screen, put back as it was
/// when dropped (on return, error or panic). Both changes take effect at
/// once (TCSANOW): keys typed ahead are kept, not flushed.
struct Screen {
    saved: libc::termios,
}

impl Screen {
    fn enter() -> io::Result<Screen> {
        // SAFETY: an all-zero termios is a valid value for tcgetattr to
        // fill.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: tcgetattr fills the termios given, and only that.
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut saved) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
        raw.c_iflag &= !(libc::IXON | libc::ICRNL | libc::INLCR);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: tcsetattr reads the termios given, and only that.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &raw) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let screen = Screen { saved };
        // Alternate screen, cursor hidden.
        put("\x1b[?1049h\x1b[?25l")?;
        Ok(screen)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        // Cursor back, main screen back, the line discipline as it was.
        let _ = put("\x1b[?25h\x1b[?1049l");
        // SAFETY: restores the termios read in enter().
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved) };
    }
}

fn put(s: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()
}

/// The terminal's size (rows, columns); 24 x 80 if it will not say.
fn size() -> (usize, usize) {
    crate::output::terminal_size().unwrap_or((24, 80))
}

/// Waits up to `ms` milliseconds for input; true when there is some.
fn input_within(ms: i32) -> io::Result<bool> {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd, the one given.
    match unsafe { libc::poll(&mut fd, 1, ms) } {
        -1 => {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(e)
            }
        }
        n => Ok(n > 0),
    }
}

/// Reads what input there is (None: the end of input).
fn read_input(buf: &mut Vec<u8>) -> io::Result<Option<()>> {
    let mut chunk = [0u8; 64];
    // SAFETY: reads at most chunk.len() bytes into chunk.
    let n = unsafe { libc::read(libc::STDIN_FILENO, chunk.as_mut_ptr().cast(), chunk.len()) };
    match n {
        0 => Ok(None),
        n if n > 0 => {
            buf.extend_from_slice(&chunk[..n as usize]);
            Ok(Some(()))
        }
        _ => {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                Ok(Some(()))
            } else {
                Err(e)
            }
        }
    }
}

/// Shows `lines` (the tree, whose nodes are at `paths`) full screen with
/// `start` selected, until Enter (Some: the line picked) or q, Esc,
/// Ctrl-C or the end of input (None). Standard input and output must be
/// the terminal.
pub fn pick(lines: &[&str], paths: &[&str], start: usize) -> io::Result<Option<usize>> {
    if lines.is_empty() {
        return Ok(None);
    }
    let _screen = Screen::enter()?;
    let mut picker = Picker::new(lines.len(), start);
    let mut pending = Vec::new();
    let mut shown = None;
    loop {
        let (rows, cols) = size();
        let height = if rows > 1 { rows - 1 } else { 1 };
        // Redraw after a key, or when the terminal was resized.
        if shown != Some((rows, cols, picker.clone())) {
            put(&picker.frame(lines, paths, rows, cols))?;
            shown = Some((rows, cols, picker.clone()));
        }
        if !input_within(250)? {
            continue;
        }
        if read_input(&mut pending)?.is_none() {
            return Ok(None);
        }
        // An Esc alone may be the start of a sequence still on its way.
        let (mut keys, used) = decode(&pending);
        pending.drain(..used);
        if !pending.is_empty() && !input_within(50)? {
            keys.extend(decode_rest(&pending));
            pending.clear();
        }
        for key in keys {
            match picker.key(key, height) {
                Some(Done::Picked(i)) => return Ok(Some(i)),
                Some(Done::Cancelled) => return Ok(None),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_keys_and_sequences() {
        let (keys, used) = decode(b"\x1b[A\x1b[B\x1bOA\x1b[5~\x1b[6~\x1b[H\x1b[4~\r");
        assert_eq!(
            keys,
            [
                Key::Up,
                Key::Down,
                Key::Up,
                Key::PageUp,
                Key::PageDown,
                Key::Home,
                Key::End,
                Key::Enter
            ]
        );
        assert_eq!(used, 25);
        assert_eq!(
            decode(b"jkqgG\n").0,
            [
                Key::Down,
                Key::Up,
                Key::Cancel,
                Key::Home,
                Key::End,
                Key::Enter
            ]
        );
        assert_eq!(decode(b"\x03").0, [Key::Cancel], "Ctrl-C");
        // Modifiers are ignored; unknown sequences and bytes too.
        assert_eq!(decode(b"\x1b[1;5B").0, [Key::Down]);
        assert_eq!(decode(b"x\x1b[15~\x1b[Z\xc3\xa9").0, []);
        // Esc then another key: Esc leaves.
        assert_eq!(decode(b"\x1bx").0, [Key::Cancel]);
    }

    #[test]
    fn a_sequence_cut_short_waits_for_more() {
        for cut in [&b"\x1b"[..], b"\x1b[", b"\x1b[1;5", b"\x1bO"] {
            let mut input = b"j".to_vec();
            input.extend_from_slice(cut);
            let (keys, used) = decode(&input);
            assert_eq!((keys.as_slice(), used), (&[Key::Down][..], 1), "{cut:?}");
            // Nothing more came: Esc alone.
            assert_eq!(decode_rest(&input[used..]), [Key::Cancel], "{cut:?}");
        }
        assert_eq!(decode_rest(b""), []);
        // Not a sequence: Esc [ then a control byte.
        assert_eq!(decode(b"\x1b[\x01j").0, [Key::Down]);
    }

    #[test]
    fn keys_move_within_the_lines_and_finish() {
        let mut p = Picker::new(10, 3);
        assert_eq!(p.key(Key::Up, 4), None);
        assert_eq!(p.selected, 2);
        p.key(Key::Home, 4);
        p.key(Key::Up, 4);
        assert_eq!(p.selected, 0, "Up stops at the top");
        p.key(Key::PageDown, 4);
        assert_eq!(p.selected, 3, "a page is the height less one line");
        p.key(Key::End, 4);
        p.key(Key::Down, 4);
        assert_eq!(p.selected, 9, "Down stops at the bottom");
        p.key(Key::PageUp, 4);
        assert_eq!(p.selected, 6);
        p.key(Key::PageDown, 4);
        p.key(Key::PageDown, 4);
        assert_eq!(p.selected, 9);
        assert_eq!(p.key(Key::Enter, 4), Some(Done::Picked(9)));
        assert_eq!(p.key(Key::Cancel, 4), Some(Done::Cancelled));
        // A start past the end selects the last line; no lines, one.
        assert_eq!(Picker::new(3, 7).selected, 2);
        assert_eq!(Picker::new(0, 0).key(Key::Enter, 1), Some(Done::Picked(0)));
        assert_eq!(Picker::new(5, 2).key(Key::PageDown, 0), None);
    }

    #[test]
    fn the_window_follows_the_selection() {
        let mut p = Picker::new(10, 0);
        assert_eq!(p.window(4), 0..4);
        for _ in 0..4 {
            p.key(Key::Down, 4);
        }
        assert_eq!(p.window(4), 1..5, "scrolls one line to show line 4");
        p.key(Key::End, 4);
        assert_eq!(p.window(4), 6..10);
        p.key(Key::Up, 4);
        assert_eq!(p.window(4), 6..10, "no scrolling while in view");
        p.key(Key::Home, 4);
        assert_eq!(p.window(4), 0..4);
        // Starting deep in the tree shows the start.
        assert_eq!(Picker::new(10, 8).window(3), 6..9);
        // A taller screen shows everything, never past the end.
        let mut p = Picker::new(10, 9);
        p.window(3);
        assert_eq!(p.window(20), 0..10);
        assert_eq!(p.window(0), 9..10);
    }

    #[test]
    fn the_frame_highlights_the_selection_and_says_what_keys_do() {
        let lines = ["o- / ....", "  o- a ....", "  o- b ...."];
        let paths = ["/", "/a", "/b"];
        let mut p = Picker::new(3, 1);
        let f = p.frame(&lines, &paths, 3, 12);
        assert!(f.starts_with("\x1b[H"), "{f:?}");
        assert!(f.contains("\x1b[1;1Ho- / ....\x1b[K"), "{f:?}");
        // Reverse video across the whole width.
        assert!(f.contains("\x1b[2;1H\x1b[7m  o- a .... \x1b[0m"), "{f:?}");
        assert!(!f.contains("o- b"), "two rows of tree on three: {f:?}");
        // The last row: cut to the width.
        assert!(f.ends_with("\x1b[3;1HEnter: cd /a\x1b[K"), "{f:?}");
        let f = p.frame(&lines, &paths, 10, 200);
        assert!(
            f.contains("Enter: cd /a  q: stay") && f.contains("(2/3)"),
            "{f:?}"
        );
        // Long lines are cut, not wrapped; one row is all tree.
        let f = Picker::new(3, 0).frame(&lines, &paths, 1, 4);
        assert_eq!(f, "\x1b[H\x1b[1;1H\x1b[7mo- /\x1b[0m\x1b[J");
    }
}
