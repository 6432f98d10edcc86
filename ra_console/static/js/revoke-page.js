// Revocation without an account, with the request file: the key is decrypted here, signs the
// page's challenge, and only the signature and the key's fingerprint are posted.
import { UserError, decryptPrivateKey, hasWebCrypto, signText } from "./keys.js";
import { toBase64 } from "./encoding.js";
import { MAX_FILE_BYTES, parseRequestFile } from "./requestfile.js";
import { show, texts, withProgress } from "./ui.js";
import { privateKeyFromPkcs12, spkiSha256OfPrivateKey } from "./pkcs12-read.js";

const $ = (id) => document.getElementById(id);
const t = texts();
const form = $("possession-form");
const status = $("possession-status");

function start() {
  if (!form || !hasWebCrypto()) return;  // the openssl path below works without
  $("possession-browser").hidden = false;
  $("revoke-with-file").addEventListener("click", revokeWithFile);
  $("possession-p12").hidden = false;
  $("revoke-with-p12").addEventListener("click", revokeWithP12);
}

/** Sign the challenge with `pkcs8` and post only the signature and the key's fingerprint. */
async function signAndPost(pkcs8, spki, where) {
  const signature = await withProgress(where, t("signing"), () => signText(pkcs8, form.elements.challenge.value));
  form.elements.spki_sha256.value = spki;
  form.elements.signature.value = toBase64(signature);
  form.submit();
}

function fail(where, error, button) {
  const known = error instanceof UserError;
  show(where, known ? t(error.code, error.params) : t("failed", { detail: error.message || String(error) }), "error");
  button.disabled = false;
}

// The .p12 file: opened here with its password; neither leaves the page.
async function revokeWithP12() {
  const button = $("revoke-with-p12");
  const where = $("p12-status");
  button.disabled = true;
  try {
    const file = $("p12-file").files[0];
    if (!file) throw new UserError("p12_choose");
    if (file.size > MAX_FILE_BYTES) throw new UserError("p12_damaged");
    const password = $("p12-password").value;
    if (!password) throw new UserError("p12_password_missing");
    const bytes = new Uint8Array(await file.arrayBuffer());
    const pkcs8 = await withProgress(where, t("decrypting"), () => privateKeyFromPkcs12(bytes, password));
    $("p12-password").value = "";
    await signAndPost(pkcs8, await spkiSha256OfPrivateKey(pkcs8), where);
  } catch (error) {
    fail(where, error, button);
  }
}

async function revokeWithFile() {
  const button = $("revoke-with-file");
  button.disabled = true;
  try {
    const file = $("request-file").files[0];
    if (!file) throw new UserError("choose_file");
    if (file.size > MAX_FILE_BYTES) throw new UserError("not_a_request_file");
    const request = await parseRequestFile(await file.text());
    const password = $("json-password").value;
    if (!password) throw new UserError("password_missing");
    const pkcs8 = await withProgress(status, t("decrypting"), () => decryptPrivateKey(request.private_key, password));
    const signature = await withProgress(status, t("signing"), () => signText(pkcs8, form.elements.challenge.value));
    $("json-password").value = "";
    form.elements.spki_sha256.value = request.spki_sha256;
    form.elements.signature.value = toBase64(signature);
    form.submit();
  } catch (error) {
    const known = error instanceof UserError;
    show(status, known ? t(error.code, error.params) : t("failed", { detail: error.message || String(error) }), "error");
    button.disabled = false;
  }
}

start();
