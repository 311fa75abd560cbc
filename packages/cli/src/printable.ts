/**
 * Values printed by the CLI come from data people outside Concord typed (a SKU, a company
 * name, a 1C error text): an escape sequence in them must not reach the terminal, where it could
 * rewrite the screen, hide lines, set the window title or worse. Every printed line goes
 * through here: C0 controls except newline and tab (tab becomes a space), DEL, C1 controls, and
 * the bidirectional overrides that reorder what is shown are replaced by `�` (U+FFFD), so a
 * person sees that something was there.
 */
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(/\t/g, " ").replace(/\r\n?/g, "\n").replace(UNPRINTABLE, "\uFFFD");
}
