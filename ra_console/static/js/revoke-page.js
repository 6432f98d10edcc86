// Revocation without an account, with the request file: the key is decrypted here, signs the
// page's challenge, and only the signature and the key's fingerprint are posted.
import { UserError, decryptPrivateKey, hasWebCrypto, signText } from "./keys.js";
import { toBase64 } from "./encoding.js";
import { MAX_FILE_BYTES, parseRequestFile } from "./requestfile.js";
import { show, texts, withProgress } from "./ui.js";

const $ = (id) => document.getElementById(id);
const t = texts();
const form = $("possession-form");
const status = $("possession-status");

function start() {
  if (!form || !hasWebCrypto()) return;  // the openssl path below works without
  $("possession-browser").hidden = false;
  $("revoke-with-file").addEventListener("click", revokeWithFile);
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
