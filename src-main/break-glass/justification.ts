/**
 * Whether a written break-glass justification says something: at least the policy length once
 * spaces are collapsed, and not padding (one character repeated, or one short word or pattern
 * over and over, which a hurried "xxxxxxxx" or "test test test" would be). Returns the problem in
 * words for the dialog, or null when it is acceptable.
 */
export function justificationProblem(text: string, minLength: number): string | null {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  if (collapsed.length === 0) return 'Write why you need emergency access.';
  if (collapsed.length < minLength) return `Write at least ${minLength} characters (you wrote ${collapsed.length}).`;
  const letters = collapsed.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
  if (new Set(letters).size < 4) return 'Write a real reason, not repeated characters.';
  // The same short unit repeated: "abcabcabc", "test test test".
  const compact = collapsed.toLowerCase().replace(/\s+/g, '');
  for (let unit = 1; unit <= 8 && unit <= compact.length / 3; unit++) {
    if (
      compact ===
      compact
        .slice(0, unit)
        .repeat(Math.ceil(compact.length / unit))
        .slice(0, compact.length)
    ) {
      return 'Write a real reason, not a repeated word or pattern.';
    }
  }
  const words = collapsed
    .toLowerCase()
    .split(' ')
    .filter((w) => w.length > 0);
  if (words.length >= 3 && new Set(words).size === 1) return 'Write a real reason, not a repeated word or pattern.';
  return null;
}
