"""Time the browser path in headless Chromium: RSA key generation + CSR + .json request file.

Serves ra_console/static/ on a free localhost port (a secure context), loads the portal's own
modules (the same files the pages use) and measures, per run: WebCrypto key generation, the
CSR, and the request file with the key encrypted (PBKDF2-HMAC-SHA256 600 000 + AES-256-CBC).
Also times building the .p12 in both profiles from the generated key. Prints the median and
the spread; nothing is asserted (DESIGN §8: speed is measured here, never in tests).

    .venv/bin/python bench/keygen.py [--runs 15] [--bits 4096 2048]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import threading
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "ra_console" / "static"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

MEASURE = """async ([bits, password]) => {
  const keys = await import("/js/keys.js");
  const rf = await import("/js/requestfile.js");
  const p12 = await import("/js/pkcs12.js");
  const t0 = performance.now();
  const pair = await keys.generateKeyPair(bits);
  const t1 = performance.now();
  const csr = await keys.buildCsr(pair, "bench@uni.example.org");
  const t2 = performance.now();
  const keyPem = await keys.encryptPrivateKey(pair.privateKey, password);
  rf.buildRequestFile({requestId: "bench", emails: ["bench@uni.example.org"],
    keyAlgorithm: `RSA-${bits}`, spkiSha256: csr.spkiSha256, csrPem: csr.pem, keyPem});
  const t3 = performance.now();
  const pkcs8 = await keys.decryptPrivateKey(keyPem, password);
  const t4 = performance.now();
  const fake = new Uint8Array(1200).fill(7);  // certificate bytes: only the size matters here
  await p12.buildPkcs12({pkcs8, leaf: fake, cas: [fake, fake], password, friendlyName: "Bench",
    profile: "compatible"});
  const t5 = performance.now();
  await p12.buildPkcs12({pkcs8, leaf: fake, cas: [fake, fake], password, friendlyName: "Bench",
    profile: "modern"});
  const t6 = performance.now();
  return {keygen: t1 - t0, csr: t2 - t1, json: t3 - t2, total: t3 - t0, decrypt: t4 - t3,
          p12_compatible: t5 - t4, p12_modern: t6 - t5};
}"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve() -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(STATIC))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--bits", type=int, nargs="+", default=[4096, 2048])
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server, base = serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.goto(f"{base}/style.css")
            print(f"Chromium {browser.version}, {options.runs} runs each; milliseconds")
            for bits in options.bits:
                runs = [page.evaluate(MEASURE, [bits, "Bench-Pässwort 🔑"])
                        for _ in range(options.runs)]
                print(f"RSA-{bits}:")
                for name in runs[0]:
                    values = sorted(r[name] for r in runs)
                    print(f"  {name:15} median {statistics.median(values):8.0f}   "
                          f"min {values[0]:8.0f}   max {values[-1]:8.0f}")
            browser.close()
    finally:
        server.shutdown()
    bundle = STATIC / "vendor" / "forge-3des.js"
    own = sum(p.stat().st_size for p in (STATIC / "js").glob("*.js"))
    print(f"bundle {bundle.name}: {bundle.stat().st_size} bytes; own modules: {own} bytes")


if __name__ == "__main__":
    main()
