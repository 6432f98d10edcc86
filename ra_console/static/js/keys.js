// Keys with WebCrypto: RSA key pair, PKCS#10 CSR, and the private key as a PEM
// "ENCRYPTED PRIVATE KEY" (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC, UTF-8 password, strict DER).
import * as der from "./der.js";
import { fromPemAll, toHex, toPem, utf8 } from "./encoding.js";

export const OID = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  sha256WithRSA: "1.2.840.113549.1.1.11",
  commonName: "2.5.4.3",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSHA256: "1.2.840.113549.2.9",
  aes256cbc: "2.16.840.1.101.3.4.1.42",
};
export const KDF_ITERATIONS = 600000;
export const MAX_ITERATIONS = 10000000;
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };

/** A failure the page explains to the user; `code` names the (translated) message. */
export class UserError extends Error {
  constructor(code, params = {}) {
    super(code);
    this.code = code;
    this.params = params;
  }
}

/** WebCrypto is there only in a secure context (https, or http://localhost). */
export function hasWebCrypto() {
  return Boolean(globalThis.isSecureContext && globalThis.crypto && crypto.subtle);
}

export function generateKeyPair(bits) {
  return crypto.subtle.generateKey(
    { ...RSA, modulusLength: bits, publicExponent: Uint8Array.of(1, 0, 1) }, true, ["sign", "verify"]);
}

export async function sha256Hex(bytes) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** PKCS#10 with subject CN=`commonName`, an empty (but present) attributes field, SHA-256. */
export async function buildCsr(keyPair, commonName) {
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keyPair.publicKey));
  const subject = der.seq(der.set(der.seq(der.oid(OID.commonName), der.utf8(commonName))));
  const info = der.seq(der.int(0), subject, spki, der.tlv(0xa0));
  const signature = new Uint8Array(await crypto.subtle.sign(RSA, keyPair.privateKey, info));
  const csr = der.seq(info, der.seq(der.oid(OID.sha256WithRSA), der.nul()), der.bits(signature));
  return { pem: toPem("CERTIFICATE REQUEST", csr), spki, spkiSha256: await sha256Hex(spki) };
}

async function pbkdf2Aes(password, salt, iterations, usage) {
  const base = await crypto.subtle.importKey("raw", utf8(password), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", salt, iterations, hash: "SHA-256" }, base,
    { name: "AES-CBC", length: 256 }, false, [usage]);
}

/** PBES2 (RFC 8018) encryption: {algorithm: AlgorithmIdentifier DER, body: ciphertext}. */
export async function pbes2Encrypt(plain, password, iterations, saltBytes = 16) {
  const salt = crypto.getRandomValues(new Uint8Array(saltBytes));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const aes = await pbkdf2Aes(password, salt, iterations, "encrypt");
  const body = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv }, aes, plain));
  return { algorithm: pbes2Algorithm(salt, iterations, iv), body };
}

function pbes2Algorithm(salt, iterations, iv) {
  const kdf = der.seq(der.oid(OID.pbkdf2), der.seq(
    der.octets(salt), der.int(iterations), der.seq(der.oid(OID.hmacWithSHA256), der.nul())));
  return der.seq(der.oid(OID.pbes2), der.seq(kdf, der.seq(der.oid(OID.aes256cbc), der.octets(iv))));
}

export async function encryptPrivateKey(privateKey, password) {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", privateKey));
  const { algorithm, body } = await pbes2Encrypt(pkcs8, password, KDF_ITERATIONS);
  return toPem("ENCRYPTED PRIVATE KEY", der.seq(algorithm, der.octets(body)));
}

/** Read the PBES2 parameters; refuse other schemes and iteration counts above the cap. */
export function readEncryptedKey(pem) {
  const blocks = fromPemAll("ENCRYPTED PRIVATE KEY", pem);
  if (blocks.length !== 1) throw new UserError("damaged");
  let parsed;
  try {
    const [algorithm, body] = der.children(der.single(blocks[0], der.TAG.SEQUENCE));
    const [scheme, params] = der.children(der.expect(algorithm, der.TAG.SEQUENCE));
    if (der.readOid(scheme) !== OID.pbes2) throw new UserError("unsupported_encryption");
    const [kdf, cipher] = der.children(der.expect(params, der.TAG.SEQUENCE));
    const [kdfOid, kdfParams] = der.children(kdf);
    const [cipherOid, iv] = der.children(cipher);
    const [salt, count, ...rest] = der.children(der.expect(kdfParams, der.TAG.SEQUENCE));
    const prf = rest.find((node) => node.tag === der.TAG.SEQUENCE);
    if (der.readOid(kdfOid) !== OID.pbkdf2 || der.readOid(cipherOid) !== OID.aes256cbc
        || !prf || der.readOid(der.children(prf)[0]) !== OID.hmacWithSHA256) {
      throw new UserError("unsupported_encryption");
    }
    parsed = {
      salt: der.expect(salt, der.TAG.OCTET_STRING).value,
      iterations: der.readSmallInt(count),
      iv: der.expect(iv, der.TAG.OCTET_STRING).value,
      body: der.expect(body, der.TAG.OCTET_STRING).value,
    };
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError("damaged");
  }
  if (parsed.iterations < 1 || parsed.iv.length !== 16) throw new UserError("damaged");
  if (parsed.iterations > MAX_ITERATIONS) {
    throw new UserError("too_many_iterations", { iterations: parsed.iterations, max: MAX_ITERATIONS });
  }
  return parsed;
}

/** PKCS#8 bytes of the key in `pem`; a wrong password → UserError("wrong_password"). */
export async function decryptPrivateKey(pem, password) {
  const { salt, iterations, iv, body } = readEncryptedKey(pem);
  const aes = await pbkdf2Aes(password, salt, iterations, "decrypt");
  let pkcs8;
  try {
    pkcs8 = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv }, aes, body));
    await crypto.subtle.importKey("pkcs8", pkcs8, RSA, false, ["sign"]);
  } catch {
    throw new UserError("wrong_password");  // bad padding or garbage: the password was wrong
  }
  return pkcs8;
}

/** RSA modulus of a PKCS#8 PrivateKeyInfo or a SubjectPublicKeyInfo (DER). */
export function modulusOf(keyDer, isPrivate) {
  const parts = der.children(der.single(keyDer, der.TAG.SEQUENCE));
  const inner = isPrivate
    ? der.single(der.expect(parts[2], der.TAG.OCTET_STRING).value, der.TAG.SEQUENCE)
    : der.single(der.expect(parts[1], der.TAG.BIT_STRING).value.subarray(1), der.TAG.SEQUENCE);
  return der.readUnsigned(der.children(inner)[isPrivate ? 1 : 0]);
}
