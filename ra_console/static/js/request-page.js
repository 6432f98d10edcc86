// The request page's default path, "one button, three tasks": generate the key pair and the
// CSR in the browser, upload only the CSR, then save the .json request file (private key
// encrypted with the user's password). The CSR-upload form on the same page needs none of this.
import { buildCsr, encryptPrivateKey, generateKeyPair, hasWebCrypto } from "./keys.js";
import { buildRequestFile } from "./requestfile.js";
import { fileStem, passwordStrength, saveFile, show, texts, withProgress } from "./ui.js";

const MIN_PASSWORD = 8;
const $ = (id) => document.getElementById(id);
const t = texts();
const form = $("request-form");
const status = $("browser-status");
let saved = null;  // {text, name} of the request file, while this page is open

// Each mailbox's aliases belong to it: only the chosen mailbox's checkboxes are enabled and
// ticked (the server reads only the chosen mailbox's field anyway).
function syncAliases() {
  const chosen = form.querySelector('input[name="mailbox"]:checked')?.value;
  for (const group of form.querySelectorAll("[data-aliases-of]")) {
    const active = group.dataset.aliasesOf === chosen && !group.dataset.blocked;
    for (const box of group.querySelectorAll('input[type="checkbox"]')) {
      if (box.disabled === active) box.checked = active;  // tick again when chosen again
      box.disabled = !active;
    }
  }
}

function start() {
  if (!form) return;
  syncAliases();
  for (const radio of form.querySelectorAll('input[name="mailbox"]')) radio.addEventListener("change", syncAliases);
  if (!hasWebCrypto()) {
    show($("browser-unavailable"), t("no_webcrypto"), "error");
    return;
  }
  $("browser-unavailable").hidden = true;
  $("browser-controls").hidden = false;
  $("json-password").addEventListener("input", () => {
    const password = $("json-password").value;
    $("password-strength").textContent = password ? t(`strength_${passwordStrength(password)}`) : "";
  });
  $("generate").addEventListener("click", generate);
  $("save-again").addEventListener("click", () => saved && saveFile(saved.text, saved.name, "application/json"));
}

// A refusal's next step (e.g. the request that blocks this address), as the server names it.
function showNext(answer) {
  const next = $("browser-next");
  next.hidden = !answer.next_url;
  if (answer.next_url) {
    next.firstElementChild.href = answer.next_url;
    next.firstElementChild.textContent = answer.next_label;
  }
}

function checkPasswords() {
  const password = $("json-password").value;
  if ([...password].length < MIN_PASSWORD) return t("password_short");
  if (password !== $("json-password-repeat").value) return t("password_mismatch");
  return null;
}

async function upload(csrPem, algorithm) {
  const data = new FormData(form);
  data.delete("csr_file");
  data.set("csr_text", csrPem);
  data.set("key_algorithm", algorithm);
  let response;
  try {
    response = await fetch(form.dataset.browserUrl, {
      method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" },
    });
  } catch (error) {
    return { ok: false, error: t("failed", { detail: error.message }) };
  }
  if (!(response.headers.get("Content-Type") || "").includes("application/json")) {
    return { ok: false, error: t("form_expired") };
  }
  return response.json();
}

async function generate() {
  const problem = checkPasswords();
  showNext({});
  if (problem) {
    show(status, problem, "error");
    return;
  }
  const button = $("generate");
  button.disabled = true;
  try {
    const algorithm = $("key-algorithm").value;
    const mailbox = form.querySelector('input[name="mailbox"]:checked');
    const address = mailbox?.dataset.address || "";
    const keys = await withProgress(status, t("generating", { algorithm }), () => generateKeyPair(algorithm));
    const csr = await buildCsr(keys, address || "request", algorithm);
    const keyPem = await withProgress(status, t("encrypting"), () => encryptPrivateKey(keys.privateKey, $("json-password").value));
    const answer = await withProgress(status, t("uploading"), () => upload(csr.pem, algorithm));
    if (!answer.ok) {
      show(status, answer.error, "error");
      showNext(answer);
      return;
    }
    const text = buildRequestFile({
      requestId: answer.public_id, emails: answer.emails, keyAlgorithm: answer.key_algorithm,
      spkiSha256: csr.spkiSha256, csrPem: csr.pem, keyPem,
    });
    saved = { text, name: `${fileStem(answer.emails[0] || address)}_${answer.public_id.slice(0, 8)}.json` };
    saveFile(saved.text, saved.name, "application/json");
    finish(answer);
  } catch (error) {
    show(status, t("failed", { detail: error.message || String(error) }), "error");
  } finally {
    button.disabled = false;
  }
}

function finish(answer) {
  for (const id of ["json-password", "json-password-repeat"]) $(id).value = "";
  form.hidden = true;
  $("send-now").action = answer.submit_url;
  $("show-first").href = answer.show_url;
  show($("done-text"), t("request_saved", { name: saved.name }), "success");
  $("browser-done").hidden = false;
  $("browser-done").scrollIntoView();
}

start();
