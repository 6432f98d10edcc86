// Page helpers: translated texts from data- attributes, status lines, saving files.

/** Texts rendered by the server into <div id="js-texts" data-…> (in the user's language). */
export function texts() {
  const data = document.getElementById("js-texts")?.dataset ?? {};
  return (code, params = {}) => {
    const key = code.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
    const template = data[key] ?? data.failed ?? code;
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  };
}

/** Show `text` in element `el` as an error, info or success line (empty text hides it). */
export function show(el, text, kind = "info") {
  el.textContent = text;
  el.className = `flash ${kind}`;
  el.hidden = !text;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
}

/** Offer `bytes` as a download named `name`. */
export function saveFile(bytes, name, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** A rough strength label for a password: "weak", "fair" or "strong". */
export function passwordStrength(password) {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  const length = [...password].length;
  if (length >= 16 || (length >= 12 && classes >= 3)) return "strong";
  if (length >= 10 && classes >= 2) return "fair";
  return "weak";
}

/** A running "… (n s)" progress text while `work` runs. */
export async function withProgress(el, text, work) {
  const started = performance.now();
  const tick = () => show(el, `${text} (${Math.round((performance.now() - started) / 1000)} s)`);
  tick();
  const timer = setInterval(tick, 1000);
  el.classList.add("busy");
  try {
    return await work();
  } finally {
    clearInterval(timer);
    el.classList.remove("busy");
  }
}

/** A file name from an e-mail address (no "@" and no characters file systems dislike). */
export function fileStem(address) {
  return address.replace("@", "_at_").replace(/[^A-Za-z0-9._-]/g, "_");
}
