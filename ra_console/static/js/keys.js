// Keys with WebCrypto: RSA or EC key pair, PKCS#10 CSR, and the private key as a PEM
// "ENCRYPTED PRIVATE KEY" (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC, UTF-8 password, strict DER).
import * as der from "./der.js";
import { fromPemAll, toHex, toPem, utf8 } from "./encoding.js";

export const OID = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  sha256WithRSA: "1.2.840.113549.1.1.11",
  ecPublicKey: "1.2.840.10045.2.1",
  commonName: "2.5.4.3",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSHA256: "1.2.840.113549.2.9",
  aes256cbc: "2.16.840.1.101.3.4.1.42",
};
export const KDF_ITERATIONS = 600000;
export const MAX_ITERATIONS = 10000000;
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
// The curves of the S/MIME Baseline Requirements (§6.1.5), each signed with its usual hash.
const CURVES = {
  "EC-P256": { namedCurve: "P-256", oid: "1.2.840.10045.3.1.7", hash: "SHA-256", signature: "1.2.840.10045.4.3.2" },
  "EC-P384": { namedCurve: "P-384", oid: "1.3.132.0.34", hash: "SHA-384", signature: "1.2.840.10045.4.3.3" },
  "EC-P521": { namedCurve: "P-521", oid: "1.3.132.0.35", hash: "SHA-512", signature: "1.2.840.10045.4.3.4" },
};

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

/** WebCrypto parameters for a profile's algorithm name ("RSA-4096", "EC-P256"). */
function algorithm(name) {
  const curve = CURVES[name];
  if (curve) {
    const key = { name: "ECDSA", namedCurve: curve.namedCurve };
    return { generate: key, import: key, sign: { name: "ECDSA", hash: curve.hash }, signature: curve.signature };
  }
  const bits = Number(/^RSA-(\d+)$/.exec(name)?.[1]);
  if (!bits) throw new Error(`unsupported key algorithm ${name}`);  // the server lists only known ones
  return {
    generate: { ...RSA, modulusLength: bits, publicExponent: Uint8Array.of(1, 0, 1) },
    import: RSA, sign: RSA, signature: OID.sha256WithRSA,
  };
}

export function generateKeyPair(name) {
  return crypto.subtle.generateKey(algorithm(name).generate, true, ["sign", "verify"]);
}

/** WebCrypto's ECDSA signature is r‖s; X.509 wants SEQUENCE { INTEGER r, INTEGER s }. */
function ecdsaDer(raw) {
  const half = raw.length / 2;
  return der.seq(der.unsignedInt(raw.subarray(0, half)), der.unsignedInt(raw.subarray(half)));
}

export async function sha256Hex(bytes) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** PKCS#10 with subject CN=`commonName`, an empty (but present) attributes field, signed
 * with SHA-256 (RSA, P-256), SHA-384 (P-384) or SHA-512 (P-521). */
export async function buildCsr(keyPair, commonName, name) {
  const { sign, signature: signatureOid } = algorithm(name);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keyPair.publicKey));
  const subject = der.seq(der.set(der.seq(der.oid(OID.commonName), der.utf8(commonName))));
  const info = der.seq(der.int(0), subject, spki, der.tlv(0xa0));
  const raw = new Uint8Array(await crypto.subtle.sign(sign, keyPair.privateKey, info));
  const isEc = sign.name === "ECDSA";
  // RSA's AlgorithmIdentifier carries NULL parameters, ECDSA's none (RFC 4055, RFC 5758)
  const signatureAlgorithm = isEc ? der.seq(der.oid(signatureOid)) : der.seq(der.oid(signatureOid), der.nul());
  const csr = der.seq(info, signatureAlgorithm, der.bits(isEc ? ecdsaDer(raw) : raw));
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

/** WebCrypto import parameters from a PKCS#8 or SPKI AlgorithmIdentifier (RSA or EC). */
function importParameters(keyDer, isPrivate) {
  const parts = der.children(der.single(keyDer, der.TAG.SEQUENCE));
  const [type, parameters] = der.children(der.expect(parts[isPrivate ? 1 : 0], der.TAG.SEQUENCE));
  if (der.readOid(type) === OID.rsaEncryption) return RSA;
  const curve = der.readOid(type) === OID.ecPublicKey && parameters?.tag === der.TAG.OID
    ? Object.values(CURVES).find((c) => c.oid === der.readOid(parameters)) : null;
  if (!curve) throw new UserError("damaged");
  return { name: "ECDSA", namedCurve: curve.namedCurve };
}

/**
 * The public key of a PKCS#8 PrivateKeyInfo or a SubjectPublicKeyInfo (DER) as one string
 * ("RSA n e", "EC crv x y"), so a private key and a certificate compare whatever their type.
 */
export async function publicKeyId(keyDer, isPrivate) {
  let jwk;
  try {
    const params = importParameters(keyDer, isPrivate);
    const key = await crypto.subtle.importKey(isPrivate ? "pkcs8" : "spki", keyDer, params, true,
      isPrivate ? ["sign"] : ["verify"]);
    jwk = await crypto.subtle.exportKey("jwk", key);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError("damaged");
  }
  return jwk.kty === "EC" ? `EC ${jwk.crv} ${jwk.x} ${jwk.y}` : `RSA ${jwk.n} ${jwk.e}`;
}

/** SHA-256 signature over `text` (UTF-8) with a PKCS#8 key, as `openssl dgst -sha256 -sign`
 * writes it: PKCS#1 v1.5 for RSA, DER SEQUENCE { r, s } for ECDSA. */
export async function signText(pkcs8, text) {
  const params = importParameters(pkcs8, true);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, params, false, ["sign"]);
  const isEc = params.name === "ECDSA";
  const raw = new Uint8Array(await crypto.subtle.sign(
    isEc ? { name: "ECDSA", hash: "SHA-256" } : RSA, key, utf8(text)));
  return isEc ? ecdsaDer(raw) : raw;
}

/** PKCS#8 bytes of the key in `pem`; a wrong password → UserError("wrong_password"). */
export async function decryptPrivateKey(pem, password) {
  const { salt, iterations, iv, body } = readEncryptedKey(pem);
  const aes = await pbkdf2Aes(password, salt, iterations, "decrypt");
  let pkcs8;
  try {
    pkcs8 = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv }, aes, body));
    await crypto.subtle.importKey("pkcs8", pkcs8, importParameters(pkcs8, true), false, ["sign"]);
  } catch {
    throw new UserError("wrong_password");  // bad padding or garbage: the password was wrong
  }
  return pkcs8;
}
