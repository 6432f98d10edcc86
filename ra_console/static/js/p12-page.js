// "Generate PKCS#12 file in the browser" on an issued certificate's page: the request file's
// key (decrypted here with the user's password) + the certificate chain → a .p12 download.
// Older request files may be added: the .p12 then holds every key with its certificate (a
// key ring, so old encrypted mail stays readable). Nothing is uploaded; the only request is
// the GET of the person's own certificates, which are paired with the keys by public key.
import { UserError, decryptPrivateKey, hasWebCrypto, publicKeyId } from "./keys.js";
import { buildKeyRing } from "./pkcs12.js";
import { MAX_FILE_BYTES, parseRequestFile } from "./requestfile.js";
import { fileStem, saveFile, show, texts, withProgress } from "./ui.js";
import { datedName, friendlyName, parseChainPem } from "./x509.js";

const $ = (id) => document.getElementById(id);
const t = texts();
const root = $("p12-builder");
const status = $("p12-status");
const SHORT = 16;  // hex characters of the key fingerprint shown next to a file
let saved = null;
let older = [];  // [{file, row}] the older request files chosen, in the order added

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
  $("older-files").addEventListener("change", addOlder);
  $("p12-form").addEventListener("submit", (event) => {
    event.preventDefault();
    build();
  });
  $("save-p12-again").addEventListener("click", () => saved && saveFile(saved.bytes, saved.name, "application/x-pkcs12"));
}

/** The fingerprint the certificate list shows, read from the file without its password. */
async function fingerprintOf(file) {
  try {
    const doc = JSON.parse(await file.text());
    return typeof doc.spki_sha256 === "string" ? doc.spki_sha256.slice(0, SHORT).toLowerCase() : "";
  } catch {
    return "";
  }
}

// Each older file gets a row: its name, key fingerprint, its own password and "remove".
async function addOlder() {
  const input = $("older-files");
  for (const file of input.files) {
    const index = older.length;
    const row = document.createElement("li");
    const name = document.createElement("span");
    name.className = "file-name";
    name.textContent = file.name;
    const fingerprint = document.createElement("span");
    fingerprint.className = "hint";
    const print = await fingerprintOf(file);
    fingerprint.textContent = print ? ` ${t("key_fingerprint", { fingerprint: print })}` : "";
    const label = document.createElement("label");
    label.textContent = t("password_for", { name: file.name });
    const password = document.createElement("input");
    password.type = "password";
    password.autocomplete = "off";
    password.id = `older-password-${index}`;
    password.className = "older-password";
    label.append(" ", password);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove-file";
    remove.textContent = t("remove_file", { name: file.name });
    const entry = { file, row, password };
    remove.addEventListener("click", () => {
      older = older.filter((e) => e !== entry);
      row.remove();
    });
    row.append(name, fingerprint, label, remove);
    $("ring-files").append(row);
    older.push(entry);
  }
  input.value = "";  // the same file may be chosen again after "remove"
}

/** The person's certificates (this one first), each {leaf, chain, id}. */
async function loadCertificates() {
  const response = await fetch(root.dataset.ringUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const list = response.ok ? (await response.json()).certificates : [];
  const certs = [];
  for (const entry of list) {
    const chain = parseChainPem(entry.pem);
    if (!chain.length) continue;
    const id = await publicKeyId(chain[0].spki, false).catch(() => null);
    certs.push({ leaf: chain[0], cas: chain.slice(1), id });
  }
  if (!certs.length) throw new UserError("not_a_certificate");
  return certs;
}

/** Errors about an older file name it: "old.json: wrong password …". */
async function naming(name, work) {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UserError && name) throw new UserError("in_file", { name, detail: t(error.code, error.params) });
    throw error;
  }
}

function parseFile(file, name) {
  return naming(name, async () => {
    if (file.size > MAX_FILE_BYTES) throw new UserError("not_a_request_file");
    return parseRequestFile(await file.text());
  });
}

/** Decrypt a parsed request file's key; check it is the key of the file's CSR. */
function unlock(request, password, name) {
  return naming(name, async () => {
    if (!password) throw new UserError("password_missing");
    const pkcs8 = await withProgress(status, name ? t("decrypting_file", { name }) : t("decrypting"),
      () => decryptPrivateKey(request.private_key, password));
    const keyId = await publicKeyId(pkcs8, true);
    if (keyId !== await publicKeyId(request.spki, false)) throw new UserError("damaged");
    return { request, pkcs8, keyId, name };
  });
}

async function build() {
  const button = $("build-p12");
  button.disabled = true;
  show(status, "");  // an earlier answer must not stand for this one
  try {
    const file = $("request-file").files[0];
    if (!file) throw new UserError("choose_file");
    const password = $("json-password").value;
    const p12Password = $("same-password").checked ? password : $("p12-password").value;
    const request = await parseFile(file, null);
    if (request.spki_sha256.toLowerCase() !== root.dataset.spki) throw new UserError("key_mismatch");
    if (!password) throw new UserError("password_missing");
    if (!p12Password) throw new UserError("p12_password_missing");
    const olderRequests = [];
    for (const entry of older) olderRequests.push(await parseFile(entry.file, entry.file.name));
    const first = await unlock(request, password, null);
    const keys = [first];
    for (const [i, entry] of older.entries()) {
      keys.push(await unlock(olderRequests[i], entry.password.value, entry.file.name));
    }
    const certs = await loadCertificates();
    const current = certs.find((c) => c.id === first.keyId);
    if (!current) throw new UserError("key_mismatch");
    const pairs = new Map();  // certificate index → key; one entry per key
    for (const key of keys) {
      const index = certs.findIndex((c) => c.id === key.keyId);
      if (index < 0) {
        throw new UserError("no_certificate", { name: key.name, fingerprint: key.request.spki_sha256.slice(0, SHORT) });
      }
      if (![...pairs.values()].some((k) => k.keyId === key.keyId)) pairs.set(index, key);
    }
    // the server lists this certificate first, then the others newest first
    const order = [...pairs.keys()].sort((a, b) => (certs[a] === current ? -1 : certs[b] === current ? 1 : a - b));
    const ring = order.length > 1;
    const entries = order.map((index) => ({
      pkcs8: pairs.get(index).pkcs8, leaf: certs[index].leaf.der,
      friendlyName: ring ? datedName(certs[index].leaf) : friendlyName(certs[index].leaf),
    }));
    const withChain = document.querySelector('input[name="p12-chain"]:checked').value === "chain";
    const cas = withChain ? await uniqueCas(order.map((index) => certs[index])) : [];
    const profile = document.querySelector('input[name="p12-profile"]:checked').value;
    const bytes = await withProgress(status, t("building"), () => buildKeyRing({
      entries, cas, password: p12Password, profile,
    }));
    const suffix = `${ring ? "-keyring" : ""}${profile === "modern" ? "-modern" : ""}`;
    saved = { bytes, name: `${fileStem(root.dataset.fileStem)}${suffix}.p12` };
    saveFile(saved.bytes, saved.name, "application/x-pkcs12");
    show(status, ring ? t("ring_saved", { name: saved.name, count: order.length }) : t("p12_saved", { name: saved.name }), "success");
    $("save-p12-again").hidden = false;
  } catch (error) {
    const known = error instanceof UserError;
    show(status, known ? t(error.code, error.params) : t("failed", { detail: error.message || String(error) }), "error");
  } finally {
    button.disabled = false;
  }
}

/** The CA certificates of all chosen certificates, each once (an old one may have another CA). */
async function uniqueCas(chosen) {
  const seen = new Set();
  const cas = [];
  for (const cert of chosen) {
    for (const ca of cert.cas) {
      const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", ca.der))).join(",");
      if (!seen.has(digest)) {
        seen.add(digest);
        cas.push(ca.der);
      }
    }
  }
  return cas;
}

start();
