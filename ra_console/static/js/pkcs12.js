// PKCS#12 (RFC 7292) in two profiles, built with WebCrypto plus node-forge's Triple-DES:
//   compatible: key and certificates pbeWithSHAAnd3-KeyTripleDES-CBC, HMAC-SHA1 MAC;
//   modern:     PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC, 16-byte salt), HMAC-SHA256 MAC.
// 2048 iterations each (.NET refuses > 600 000, Java > 200 000). Strict DER throughout, the
// encrypted content as one primitive OCTET STRING. Passwords: BMPString for the PKCS#12 KDF
// (MAC, 3DES), UTF-8 for PBKDF2 — what OpenSSL, NSS and Python expect.
import * as der from "./der.js";
import { pbes2Encrypt } from "./keys.js";
import { tripleDesCbc } from "../vendor/forge-3des.js";

export const ITERATIONS = 2048;
const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.2",  // pkcs8ShroudedKeyBag
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
  pbeSha1TripleDes: "1.2.840.113549.1.12.1.3",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
};
const HASH = { "SHA-1": { size: 20, oid: OID.sha1 }, "SHA-256": { size: 32, oid: OID.sha256 } };
const random = (n) => crypto.getRandomValues(new Uint8Array(n));

/** The password as PKCS#12 wants it: UTF-16BE code units (BMPString) plus two zero bytes. */
function bmpPassword(password) {
  return der.concat(der.utf16be(password), new Uint8Array(2));
}

/** RFC 7292 appendix B.2 key derivation (id 1 = key, 2 = IV, 3 = MAC key). */
export async function pkcs12Kdf(hash, password, salt, id, iterations, size) {
  const u = HASH[hash].size;
  const v = 64;
  const fill = (bytes) => {
    const out = new Uint8Array(v * Math.ceil(bytes.length / v));
    for (let i = 0; i < out.length; i++) out[i] = bytes[i % bytes.length];
    return out;
  };
  const pass = bmpPassword(password);
  const I = der.concat(fill(salt), fill(pass));
  const D = new Uint8Array(v).fill(id);
  const result = new Uint8Array(Math.ceil(size / u) * u);
  for (let block = 0; block * u < size; block++) {
    let A = new Uint8Array(await crypto.subtle.digest(hash, der.concat(D, I)));
    for (let r = 1; r < iterations; r++) A = new Uint8Array(await crypto.subtle.digest(hash, A));
    result.set(A, block * u);
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {  // I_j = (I_j + B + 1) mod 2^(8v)
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k] + B[k] + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return result.subarray(0, size);
}

/** Encrypt `plain` for a bag: returns {algorithm, body} (AlgorithmIdentifier DER, bytes). */
async function encrypt(profile, password, plain) {
  if (profile === "modern") return pbes2Encrypt(plain, password, ITERATIONS, 16);
  const salt = random(8);
  const key = await pkcs12Kdf("SHA-1", password, salt, 1, ITERATIONS, 24);
  const iv = await pkcs12Kdf("SHA-1", password, salt, 2, ITERATIONS, 8);
  return {
    algorithm: der.seq(der.oid(OID.pbeSha1TripleDes), der.seq(der.octets(salt), der.int(ITERATIONS))),
    body: tripleDesCbc(key, iv, plain),
  };
}

const dataInfo = (content) => der.seq(der.oid(OID.data), der.explicit(0, der.octets(content)));

async function encryptedDataInfo(profile, password, content) {
  const { algorithm, body } = await encrypt(profile, password, content);
  const encryptedContentInfo = der.seq(der.oid(OID.data), algorithm, der.tlv(0x80, body));
  return der.seq(der.oid(OID.encryptedData), der.explicit(0, der.seq(der.int(0), encryptedContentInfo)));
}

/**
 * The .p12 bytes. `pkcs8`: the private key (PrivateKeyInfo DER); `leaf`, `cas`: certificate
 * DERs (cas may be empty); `profile`: "compatible" | "modern".
 */
export function buildPkcs12({ pkcs8, leaf, cas, password, friendlyName, profile }) {
  return buildKeyRing({ entries: [{ pkcs8, leaf, friendlyName }], cas, password, profile });
}

/**
 * A .p12 with several keys, each with its certificate (`entries`: [{pkcs8, leaf,
 * friendlyName}], in the order mail programs should list them), and the CA certificates once.
 * Each key and its certificate share a localKeyId (SHA-1 of the certificate).
 */
export async function buildKeyRing({ entries, cas, password, profile }) {
  const certBag = (cert, attrs) => der.seq(der.oid(OID.certBag), der.explicit(0, der.seq(
    der.oid(OID.x509Certificate), der.explicit(0, der.octets(cert)))), ...(attrs ? [attrs] : []));
  const leafBags = [];
  const keyBags = [];
  for (const { pkcs8, leaf, friendlyName } of entries) {
    const keyId = new Uint8Array(await crypto.subtle.digest("SHA-1", leaf));
    const attributes = der.set(
      der.seq(der.oid(OID.friendlyName), der.set(der.bmp(friendlyName))),
      der.seq(der.oid(OID.localKeyId), der.set(der.octets(keyId))));
    leafBags.push(certBag(leaf, attributes));
    const { algorithm, body } = await encrypt(profile, password, pkcs8);
    keyBags.push(der.seq(der.oid(OID.keyBag), der.explicit(0, der.seq(algorithm, der.octets(body))),
      attributes));
  }
  const certs = der.seq(...leafBags, ...cas.map((cert) => certBag(cert)));
  const authSafe = der.seq(await encryptedDataInfo(profile, password, certs), dataInfo(der.seq(...keyBags)));

  const hash = profile === "modern" ? "SHA-256" : "SHA-1";
  const macSalt = random(8);
  const macKey = await pkcs12Kdf(hash, password, macSalt, 3, ITERATIONS, HASH[hash].size);
  const hmacKey = await crypto.subtle.importKey("raw", macKey, { name: "HMAC", hash }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, authSafe));
  const macData = der.seq(der.seq(der.seq(der.oid(HASH[hash].oid), der.nul()), der.octets(mac)),
    der.octets(macSalt), der.int(ITERATIONS));
  return der.seq(der.int(3), dataInfo(authSafe), macData);
}
