// A workflow history as searchable text: every payload's bytes decoded as UTF-8, so a test can show that a
// value (a name, a number, a code) is absent from what Temporal stores, not merely from its base64 wrapping.
export function historyText(history: unknown): string {
  const seen: string[] = [];
  const walk = (node: unknown): void => {
    if (node instanceof Uint8Array) {
      seen.push(Buffer.from(node).toString('utf8'));
      return;
    }
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (typeof v === 'string') seen.push(`${k}=${v}`);
        else walk(v);
      }
    }
  };
  walk(history);
  return seen.join('\n');
}
