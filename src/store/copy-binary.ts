/**
 * Rows in PostgreSQL's binary COPY format (PostgreSQL docs, "COPY", Binary Format): numbers go
 * in as IEEE bytes instead of being printed to text and parsed back, which is most of the cost of
 * a text COPY from JavaScript.
 */
const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 2 ** 32;

export class BinaryCopyWriter {
  private buffer: Buffer;
  private view: DataView;
  private offset = 0;

  constructor(expectedBytes = 1 << 16) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, expectedBytes));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    for (const byte of SIGNATURE) this.buffer[this.offset++] = byte;
    this.int32(0); // flags
    this.int32(0); // header extension length
  }

  row(fields: number): this {
    this.ensure(2);
    this.view.setInt16(this.offset, fields);
    this.offset += 2;
    return this;
  }

  text(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    this.ensure(4 + length);
    this.view.setInt32(this.offset, length);
    this.offset += 4 + this.buffer.write(value, this.offset + 4, 'utf8');
    return this;
  }

  float8(value: number): this {
    this.ensure(12);
    this.view.setInt32(this.offset, 8);
    this.view.setFloat64(this.offset + 4, value);
    this.offset += 12;
    return this;
  }

  /** int8 from a safe integer, without a BigInt per value. */
  int8(value: number): this {
    this.ensure(12);
    this.view.setInt32(this.offset, 8);
    const high = Math.floor(value / TWO_32);
    this.view.setInt32(this.offset + 4, high);
    this.view.setUint32(this.offset + 8, value - high * TWO_32);
    this.offset += 12;
    return this;
  }

  /** timestamptz: microseconds since 2000-01-01 UTC, as int8. */
  timestampMs(epochMs: number): this {
    return this.int8((epochMs - POSTGRES_EPOCH_MS) * 1000);
  }

  finish(): Uint8Array {
    this.ensure(2);
    this.view.setInt16(this.offset, -1);
    this.offset += 2;
    return this.buffer.subarray(0, this.offset);
  }

  private int32(value: number): void {
    this.ensure(4);
    this.view.setInt32(this.offset, value);
    this.offset += 4;
  }

  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(next, 0, 0, this.offset);
    this.buffer = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }
}
