// Third-party code for the portal's own modules (ra_console/static/js/), bundled once by
// scripts/build-js into ra_console/static/vendor/forge-3des.js (committed; licence beside it).
//
// WebCrypto does keys, signatures, SHA, HMAC, PBKDF2 and AES; it has no Triple-DES, which the
// "compatible" PKCS#12 profile needs (pbeWithSHAAnd3-KeyTripleDES-CBC). Only node-forge's DES
// is used: forge's own PBKDF2 feeds Latin-1 bytes for non-ASCII passwords and its PKCS#12
// writer leaves the certificates unencrypted, so the portal builds those itself.
import forge from "node-forge/lib/forge.js";
import "node-forge/lib/des.js";

const toBinary = (bytes) => {
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return out;
};

const fromBinary = (text) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** 3DES-EDE-CBC with PKCS#7 padding: key 24 bytes, iv 8 bytes (Uint8Arrays). */
export function tripleDesCbc(key, iv, data, encrypt = true) {
  const make = encrypt ? forge.cipher.createCipher : forge.cipher.createDecipher;
  const cipher = make("3DES-CBC", forge.util.createBuffer(toBinary(key)));
  cipher.start({ iv: toBinary(iv) });
  cipher.update(forge.util.createBuffer(toBinary(data)));
  if (!cipher.finish()) throw new Error("3DES: bad padding");
  return fromBinary(cipher.output.getBytes());
}
