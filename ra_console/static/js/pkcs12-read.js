// Reading a .p12 (RFC 7292) in the browser, only far enough to get the private key out:
// the bags in plain or password-encrypted content, shrouded keys with
// pbeWithSHAAnd3-KeyTripleDES-CBC (older exports) or PBES2 (PBKDF2, AES-CBC; OpenSSL 3 and
// this portal's modern profile). The key never leaves the page. A wrong password shows as
// bad padding or a key WebCrypto cannot import.
import * as der from "./der.js";
import { UserError } from "./keys.js";
import { pkcs12Kdf } from "./pkcs12.js";
import { tripleDesCbc } from "../vendor/forge-3des.js";

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  pbeSha1TripleDes: "1.2.840.113549.1.12.1.3",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
};
const PRF = { "1.2.840.113549.2.7": "SHA-1", "1.2.840.113549.2.9": "SHA-256",
  "1.2.840.113549.2.10": "SHA-384", "1.2.840.113549.2.11": "SHA-512" };
const AES = { "2.16.840.1.101.3.4.1.2": 128, "2.16.840.1.101.3.4.1.22": 192,
  "2.16.840.1.101.3.4.1.42": 256 };
export const MAX_ITERATIONS = 10000000;

class Unsupported extends Error {}

const explicitContent = (node) => der.children(der.expect(node, 0xa0))[0];
const octets = (node) => der.expect(node, der.TAG.OCTET_STRING).value;

function iterations(node) {
  const count = der.readSmallInt(node);
  if (count < 1 || count > MAX_ITERATIONS) throw new Unsupported("iterations");
  return count;
}

async function pbes2Decrypt(params, body, password) {
  const [kdf, cipher] = der.children(der.expect(params, der.TAG.SEQUENCE));
  const [kdfOid, kdfParams] = der.children(kdf);
  const [cipherOid, iv] = der.children(cipher);
  if (der.readOid(kdfOid) !== OID.pbkdf2 || !AES[der.readOid(cipherOid)]) throw new Unsupported();
  const [salt, count, ...rest] = der.children(der.expect(kdfParams, der.TAG.SEQUENCE));
  const prfNode = rest.find((node) => node.tag === der.TAG.SEQUENCE);
  const hash = prfNode ? PRF[der.readOid(der.children(prfNode)[0])] : "SHA-1";
  if (!hash) throw new Unsupported();
  const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2",
    false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    { name: "PBKDF2", salt: octets(salt), iterations: iterations(count), hash }, base,
    { name: "AES-CBC", length: AES[der.readOid(cipherOid)] }, false, ["decrypt"]);
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv: octets(iv) }, key, body));
}

/** Decrypt `body` as the AlgorithmIdentifier node says; a wrong password throws. */
async function decrypt(algorithm, body, password) {
  const [oid, params] = der.children(der.expect(algorithm, der.TAG.SEQUENCE));
  const scheme = der.readOid(oid);
  if (scheme === OID.pbes2) return pbes2Decrypt(params, body, password);
  if (scheme !== OID.pbeSha1TripleDes) throw new Unsupported(scheme);  // e.g. RC2-40
  const [salt, count] = der.children(der.expect(params, der.TAG.SEQUENCE));
  const rounds = iterations(count);
  const key = await pkcs12Kdf("SHA-1", password, octets(salt), 1, rounds, 24);
  const iv = await pkcs12Kdf("SHA-1", password, octets(salt), 2, rounds, 8);
  return tripleDesCbc(key, iv, body, false);
}

/** The SafeContents of each ContentInfo; encrypted ones we cannot read are skipped (often
 * certificates under RC2), as long as the key is found elsewhere. */
async function safeContents(authSafe, password) {
  const all = [];
  let skipped = false;
  for (const info of der.children(der.single(authSafe, der.TAG.SEQUENCE))) {
    const [oid, content] = der.children(info);
    const type = der.readOid(oid);
    if (type === OID.data) {
      all.push(octets(explicitContent(content)));
    } else if (type === OID.encryptedData) {
      const [, encryptedInfo] = der.children(explicitContent(content));
      const [, algorithm, body] = der.children(encryptedInfo);
      try {
        all.push(await decrypt(algorithm, der.expect(body, 0x80).value, password));
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        skipped = true;
      }
    }
  }
  return { all, skipped };
}

async function checkedKey(pkcs8) {
  try {
    der.single(pkcs8, der.TAG.SEQUENCE);
    const [, algorithm] = der.children(der.single(pkcs8, der.TAG.SEQUENCE));
    const type = der.readOid(der.children(algorithm)[0]);
    const params = type === "1.2.840.113549.1.1.1" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
      : { name: "ECDSA", namedCurve: { "1.2.840.10045.3.1.7": "P-256", "1.3.132.0.34": "P-384",
        "1.3.132.0.35": "P-521" }[der.readOid(der.children(algorithm)[1])] };
    await crypto.subtle.importKey("pkcs8", pkcs8, params, false, ["sign"]);
  } catch {
    throw new UserError("p12_wrong_password");
  }
  return pkcs8;
}

/** The private key (PKCS#8 DER) of the first key bag in `bytes`. */
export async function privateKeyFromPkcs12(bytes, password) {
  let found;
  try {
    const [, authSafe] = der.children(der.single(bytes, der.TAG.SEQUENCE));
    const [oid, content] = der.children(authSafe);
    if (der.readOid(oid) !== OID.data) throw new Unsupported("signed authSafe");
    found = await safeContents(octets(explicitContent(content)), password);
  } catch (error) {
    if (error instanceof Unsupported) throw new UserError("p12_unsupported");
    if (error instanceof der.DerError || error instanceof TypeError) throw new UserError("p12_damaged");
    throw new UserError("p12_wrong_password");  // decryption failed: bad padding
  }
  for (const contents of found.all) {
    let bags;
    try {
      bags = der.children(der.single(contents, der.TAG.SEQUENCE));
    } catch {
      throw new UserError("p12_wrong_password");  // decrypted to garbage
    }
    for (const bag of bags) {
      const [oid, value] = der.children(bag);
      const type = der.readOid(oid);
      if (type === OID.keyBag) return checkedKey(explicitContent(value).raw);
      if (type !== OID.shroudedKeyBag) continue;
      const [algorithm, body] = der.children(explicitContent(value));
      try {
        return await checkedKey(await decrypt(algorithm, octets(body), password));
      } catch (error) {
        if (error instanceof Unsupported) throw new UserError("p12_unsupported");
        if (error instanceof UserError) throw error;
        throw new UserError("p12_wrong_password");
      }
    }
  }
  throw new UserError(found.skipped ? "p12_unsupported" : "p12_no_key");
}

/** SHA-256 (hex) of the public key's SubjectPublicKeyInfo, as the RA stores it. */
export async function spkiSha256OfPrivateKey(pkcs8) {
  const [, algorithm] = der.children(der.single(pkcs8, der.TAG.SEQUENCE));
  const isRsa = der.readOid(der.children(algorithm)[0]) === "1.2.840.113549.1.1.1";
  const curve = isRsa ? null : { "1.2.840.10045.3.1.7": "P-256", "1.3.132.0.34": "P-384",
    "1.3.132.0.35": "P-521" }[der.readOid(der.children(algorithm)[1])];
  const params = isRsa ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "ECDSA", namedCurve: curve };
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, params, true, ["sign"]);
  const { d, dp, dq, p, q, qi, key_ops: ops, ...publicJwk } = await crypto.subtle.exportKey("jwk", key);
  const pub = await crypto.subtle.importKey("jwk", { ...publicJwk, key_ops: ["verify"] }, params, true, ["verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pub));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", spki));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}
