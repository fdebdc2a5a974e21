// Text that a server or a page sent (a CircleCI login, an alert on a registry page, an error
// body) is shown to the responder and written to the audit record. It must not be able to drive
// the terminal: clear the screen, retitle the window, write the clipboard (OSC 52) or draw a
// fake "all good" line. Every such string passes through inert() before it is printed or recorded.

// ESC sequences (CSI, OSC, DCS/SOS/PM/APC strings, two-byte escapes), then the C0 controls other
// than newline, DEL and the C1 controls, then the bidirectional controls (embeddings and overrides
// U+202A–U+202E, isolates U+2066–U+2069, the marks U+200E/U+200F): a right-to-left override makes
// a terminal show "…gpj.exe" as "…exe.jpg", so a name or a message could read as something else.
const CONTROLS =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[\s\S]?|[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function inert(text: string): string {
  return text.replace(CONTROLS, "");
}

/**
 * For a value that belongs on one line (a login, a page's error text, an audit detail): inert,
 * and line breaks (including Unicode's line and paragraph separators) become spaces, so it
 * cannot start a line of its own that looks like rotate's.
 */
export function inertLine(text: string): string {
  return inert(text.replace(/\r\n|[\n\u2028\u2029]/g, " "));
}

// What rotate and its prompt library write on purpose to a terminal: colours (SGR), erasing a
// line or what is below the cursor, moving the cursor, and hiding or showing it.

const OWN_SEQUENCE = /^\x1b\[(?:[0-9;]*[mKABCDGH]|0?J|\?25[hl])$/;

/**
 * The last line of defence for everything written to a terminal: keeps the sequences rotate's
 * spinner and prompts use (carriage return, the ones above) and drops the rest of inert()'s
 * list — window titles, clipboard writes, clearing the screen or scrollback, reports the
 * terminal would type back as input. Cursor movement stays possible here, which is why each
 * boundary that receives server text applies inert() itself.
 */
export function terminalSafe(text: string): string {
  return text.replace(CONTROLS, (match) => (match === "\r" || OWN_SEQUENCE.test(match) ? match : ""));
}
