/** Builders for hand-made pgoutput v1 messages (unit tests of the decoder and the exporter). */
export class B {
  private parts: Buffer[] = [];
  ch(c: string) { this.parts.push(Buffer.from(c, 'latin1')); return this; }
  u8(n: number) { this.parts.push(Buffer.from([n])); return this; }
  i16(n: number) { const b = Buffer.alloc(2); b.writeInt16BE(n); this.parts.push(b); return this; }
  i32(n: number) { const b = Buffer.alloc(4); b.writeInt32BE(n); this.parts.push(b); return this; }
  u64(n: bigint) { const b = Buffer.alloc(8); b.writeBigUInt64BE(n); this.parts.push(b); return this; }
  str(s: string) { this.parts.push(Buffer.from(s, 'utf8'), Buffer.from([0])); return this; }
  /** TupleData: strings are 't', null 'n', undefined 'u'. */
  tuple(values: (string | null | undefined)[]) {
    this.i16(values.length);
    for (const v of values) {
      if (v === null) this.ch('n');
      else if (v === undefined) this.ch('u');
      else { const b = Buffer.from(v, 'utf8'); this.ch('t').i32(b.length); this.parts.push(b); }
    }
    return this;
  }
  get buf() { return Buffer.concat(this.parts); }
}

export const relation = (id: number, schema: string, name: string, ident: string, cols: [string, boolean][]) => {
  const b = new B().ch('R').i32(id).str(schema).str(name).ch(ident).i16(cols.length);
  for (const [c, key] of cols) b.u8(key ? 1 : 0).str(c).i32(23).i32(-1);
  return b.buf;
};

