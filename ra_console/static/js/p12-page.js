// "Generate PKCS#12 file in the browser" on an issued certificate's page: the request file's
// key (decrypted here with the user's password) + the certificate chain → a .p12 download.
// Nothing is uploaded; the only request is the GET of the certificate chain.
import { UserError, decryptPrivateKey, hasWebCrypto, publicKeyId } from "./keys.js";
import { buildPkcs12 } from "./pkcs12.js";
import { MAX_FILE_BYTES, parseRequestFile } from "./requestfile.js";
import { fileStem, saveFile, show, texts, withProgress } from "./ui.js";
import { friendlyName, parseChainPem } from "./x509.js";

const $ = (id) => document.getElementById(id);
const t = texts();
const root = $("p12-builder");
const status = $("p12-status");
let saved = null;

function start() {
  if (!root) return;
  if (!hasWebCrypto()) {
    show($("p12-unavailable"), t("no_webcrypto"), "error");
    return;
  }
  $("p12-unavailable").hidden = true;
  $("p12-form").hidden = false;
  $("same-password").addEventListener("change", () => {
    $("p12-password-label").hidden = $("same-password").checked;
  });
  $("p12-form").addEventListener("submit", (event) => {
    event.preventDefault();
    build();
  });
  $("save-p12-again").addEventListener("click", () => saved && saveFile(saved.bytes, saved.name, "application/x-pkcs12"));
}

async function loadChain() {
  const response = await fetch(root.dataset.chainUrl, { credentials: "same-origin" });
  const chain = response.ok ? parseChainPem(await response.text()) : [];
  if (!chain.length) throw new UserError("not_a_certificate");
  return chain;
}

async function readFile() {
  const file = $("request-file").files[0];
  if (!file) throw new UserError("choose_file");
  if (file.size > MAX_FILE_BYTES) throw new UserError("not_a_request_file");
  return parseRequestFile(await file.text());
}

async function build() {
  const button = $("build-p12");
  button.disabled = true;
  try {
    const request = await readFile();
    if (request.spki_sha256.toLowerCase() !== root.dataset.spki) throw new UserError("key_mismatch");
    const password = $("json-password").value;
    if (!password) throw new UserError("password_missing");
    const p12Password = $("same-password").checked ? password : $("p12-password").value;
    if (!p12Password) throw new UserError("p12_password_missing");
    const pkcs8 = await withProgress(status, t("decrypting"), () => decryptPrivateKey(request.private_key, password));
    const keyId = await publicKeyId(pkcs8, true);
    if (keyId !== await publicKeyId(request.spki, false)) throw new UserError("damaged");
    const chain = await loadChain();
    const ids = await Promise.all(chain.map((cert) => publicKeyId(cert.spki, false).catch(() => null)));
    const leaf = chain[ids.indexOf(keyId)];
    if (!leaf) throw new UserError("key_mismatch");
    const withChain = document.querySelector('input[name="p12-chain"]:checked').value === "chain";
    const profile = document.querySelector('input[name="p12-profile"]:checked').value;
    const bytes = await withProgress(status, t("building"), () => buildPkcs12({
      pkcs8, leaf: leaf.der, cas: withChain ? chain.filter((c) => c !== leaf).map((c) => c.der) : [],
      password: p12Password, friendlyName: friendlyName(leaf), profile,
    }));
    saved = { bytes, name: `${fileStem(root.dataset.fileStem)}${profile === "modern" ? "-modern" : ""}.p12` };
    saveFile(saved.bytes, saved.name, "application/x-pkcs12");
    show(status, t("p12_saved", { name: saved.name }), "success");
    $("save-p12-again").hidden = false;
  } catch (error) {
    const known = error instanceof UserError;
    show(status, known ? t(error.code, error.params) : t("failed", { detail: error.message || String(error) }), "error");
  } finally {
    button.disabled = false;
  }
}

start();
