/** A small XML well-formedness check for the reports we write (no XML library needed). */
import assert from 'node:assert/strict';

/** Balanced tags, no raw '<' or bare '&' in text, no control characters XML 1.0 forbids. */
export function assertWellFormedXml(xml: string): void {
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/);
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  assert.doesNotMatch(body, /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  assert.doesNotMatch(body, /&(?!(amp|lt|gt|quot|apos);)/);
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w.-]*)>|</g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    assert.ok(m[2], `stray '<' at offset ${m.index}`);
    if (m[1]) assert.equal(stack.pop(), m[2], `unbalanced </${m[2]}> at offset ${m.index}`);
    else stack.push(m[2]);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
}
