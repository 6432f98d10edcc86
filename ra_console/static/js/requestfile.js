// The .json request file (docs/request-file.md): what the browser saves, and reading it back.
import * as der from "./der.js";
import { fromPemAll } from "./encoding.js";
import { UserError, readEncryptedKey, sha256Hex } from "./keys.js";

export const FORMAT = "ra-console-request";
export const VERSION = 1;
export const MAX_FILE_BYTES = 256 * 1024;
const TEXT_FIELDS = ["created", "request_id", "key_algorithm", "spki_sha256", "csr", "private_key"];

export function buildRequestFile({ requestId, emails, keyAlgorithm, spkiSha256, csrPem, keyPem }) {
  const doc = {
    format: FORMAT,
    version: VERSION,
    created: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    request_id: requestId,
    emails,
    key_algorithm: keyAlgorithm,
    spki_sha256: spkiSha256,
    csr: csrPem,
    private_key: keyPem,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** SubjectPublicKeyInfo (DER) of a PEM CSR. */
function csrSpki(pem) {
  const blocks = fromPemAll("(?:NEW )?CERTIFICATE REQUEST", pem);
  if (blocks.length !== 1) throw new UserError("damaged");
  const [info] = der.children(der.single(blocks[0], der.TAG.SEQUENCE));
  return der.expect(der.children(info)[2], der.TAG.SEQUENCE).raw;
}

/** Parse and cross-check a request file's text; raise UserError with the reason. */
export async function parseRequestFile(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UserError("not_a_request_file");
  }
  if (!doc || typeof doc !== "object" || doc.format !== FORMAT) throw new UserError("not_a_request_file");
  if (doc.version !== VERSION) throw new UserError("unsupported_version", { version: String(doc.version) });
  const emailsOk = Array.isArray(doc.emails) && doc.emails.every((e) => typeof e === "string");
  if (!emailsOk || TEXT_FIELDS.some((name) => typeof doc[name] !== "string")) throw new UserError("damaged");
  let spki;
  try {
    spki = csrSpki(doc.csr);
  } catch {
    throw new UserError("damaged");
  }
  if (await sha256Hex(spki) !== doc.spki_sha256.toLowerCase()) throw new UserError("damaged");
  readEncryptedKey(doc.private_key);  // format and iteration cap, before any password is tried
  return { ...doc, spki };
}
