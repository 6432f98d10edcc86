// Strict DER: a writer for the structures the portal builds and a reader that refuses BER
// (indefinite or non-minimal lengths). Bytes are Uint8Arrays throughout.

export const TAG = {
  INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06,
  UTF8: 0x0c, PRINTABLE: 0x13, IA5: 0x16, BMP: 0x1e, SEQUENCE: 0x30, SET: 0x31,
};

export class DerError extends Error {}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equal(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// -- writing ------------------------------------------------------------------------

function length(n) {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag, ...parts) {
  const value = concat(...parts);
  return concat(Uint8Array.of(tag), length(value.length), value);
}

export const seq = (...items) => tlv(TAG.SEQUENCE, ...items);
export const octets = (bytes) => tlv(TAG.OCTET_STRING, bytes);
export const bits = (bytes) => tlv(TAG.BIT_STRING, Uint8Array.of(0), bytes);
export const nul = () => Uint8Array.of(TAG.NULL, 0);
export const explicit = (n, ...items) => tlv(0xa0 | n, ...items);
export const utf8 = (text) => tlv(TAG.UTF8, new TextEncoder().encode(text));
export const bmp = (text) => tlv(TAG.BMP, utf16be(text));

/** SET OF in DER order: elements sorted by their encodings. */
export function set(...items) {
  const sorted = [...items].sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  });
  return tlv(TAG.SET, ...sorted);
}

/** INTEGER from a non-negative safe integer. */
export function int(n) {
  const bytes = [];
  let rest = n;
  do {
    bytes.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}

/** INTEGER from big-endian unsigned bytes (e.g. an ECDSA signature's r or s). */
export function unsignedInt(bytes) {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const value = bytes.subarray(i);
  return tlv(TAG.INTEGER, value[0] & 0x80 ? concat(Uint8Array.of(0), value) : value);
}

export function oid(dotted) {
  const arcs = dotted.split(".").map(Number);
  const body = [];
  for (let arc of [40 * arcs[0] + arcs[1], ...arcs.slice(2)]) {
    const chunk = [arc & 0x7f];
    for (arc = Math.floor(arc / 128); arc > 0; arc = Math.floor(arc / 128)) {
      chunk.unshift(0x80 | (arc & 0x7f));
    }
    body.push(...chunk);
  }
  return tlv(TAG.OID, Uint8Array.from(body));
}

export function utf16be(text) {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    out[2 * i] = text.charCodeAt(i) >> 8;
    out[2 * i + 1] = text.charCodeAt(i) & 0xff;
  }
  return out;
}

// -- reading ------------------------------------------------------------------------

/** One TLV at `offset`: {tag, value, raw, end}. */
export function read(bytes, offset = 0) {
  if (offset + 2 > bytes.length) throw new DerError("truncated");
  const tag = bytes[offset];
  let size = bytes[offset + 1];
  let start = offset + 2;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tag");
  if (size >= 0x80) {
    const count = size & 0x7f;
    if (count === 0 || count > 4) throw new DerError("indefinite or oversized length");
    if (start + count > bytes.length || bytes[start] === 0) throw new DerError("bad length");
    size = 0;
    for (let i = 0; i < count; i++) size = size * 256 + bytes[start + i];
    if (size < 0x80) throw new DerError("length not minimal");
    start += count;
  }
  const end = start + size;
  if (end > bytes.length) throw new DerError("truncated");
  return { tag, value: bytes.subarray(start, end), raw: bytes.subarray(offset, end), end };
}

/** The single TLV that makes up `bytes`, checked for `tag`. */
export function single(bytes, tag) {
  const node = read(bytes);
  if (node.end !== bytes.length) throw new DerError("trailing data");
  return expect(node, tag);
}

export function expect(node, tag) {
  if (!node || node.tag !== tag) throw new DerError(`expected tag ${tag}`);
  return node;
}

export function children(node) {
  const items = [];
  for (let offset = 0; offset < node.value.length;) {
    const item = read(node.value, offset);
    items.push(item);
    offset = item.end;
  }
  return items;
}

export function readOid(node) {
  const value = expect(node, TAG.OID).value;
  if (!value.length || value[value.length - 1] & 0x80) throw new DerError("bad OID");
  const arcs = [];
  let current = 0;
  for (const byte of value) {
    current = current * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(current);
      current = 0;
    }
  }
  const first = Math.min(Math.floor(arcs[0] / 40), 2);
  return [first, arcs[0] - 40 * first, ...arcs.slice(1)].join(".");
}

/** A non-negative INTEGER that fits a JS number. */
export function readSmallInt(node) {
  const value = expect(node, TAG.INTEGER).value;
  if (!value.length || value[0] & 0x80 || (value.length > 1 && value[0] === 0 && !(value[1] & 0x80))) {
    throw new DerError("bad INTEGER");
  }
  if (value.length > 6) return Number.MAX_SAFE_INTEGER;
  return value.reduce((n, byte) => n * 256 + byte, 0);
}
