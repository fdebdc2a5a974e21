// Text that a server or a page sent (a CircleCI login, an alert on a registry page, an error
// body) is shown to the responder and written to the audit record. It must not be able to drive
// the terminal: clear the screen, retitle the window, write the clipboard (OSC 52) or draw a
// fake "all good" line. Every such string passes through inert() before it is printed or recorded.

// ESC sequences (CSI, OSC, DCS/SOS/PM/APC strings, two-byte escapes), then the C0 controls other
// than newline, DEL and the C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROLS = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[\s\S]?|[\x00-\x09\x0b-\x1f\x7f-\x9f]/g;

export function inert(text: string): string {
  return text.replace(CONTROLS, "");
}
