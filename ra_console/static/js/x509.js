// Just enough of X.509 for the PKCS#12: public key, common name, e-mail addresses.
import * as der from "./der.js";
import { fromPemAll } from "./encoding.js";

const COMMON_NAME = "2.5.4.3";
const SUBJECT_ALT_NAME = "2.5.29.17";

function tbsParts(certDer) {
  const [tbs] = der.children(der.single(certDer, der.TAG.SEQUENCE));
  const parts = der.children(der.expect(tbs, der.TAG.SEQUENCE));
  return parts[0].tag === 0xa0 ? parts.slice(1) : parts;  // skip the [0] version
}

/** "YYYY-MM-DD" of a UTCTime (YYMMDD…, RFC 5280 4.1.2.5.1) or GeneralizedTime. */
function day(node) {
  const text = new TextDecoder().decode(node.value);
  const full = node.tag === 0x17 ? `${Number(text.slice(0, 2)) < 50 ? "20" : "19"}${text}` : text;
  return `${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)}`;
}

export function parseCertificate(certDer) {
  const [, , , validity, subject, spki, ...rest] = tbsParts(certDer);
  const [notBefore, notAfter] = der.children(der.expect(validity, der.TAG.SEQUENCE)).map(day);
  let commonName = null;
  for (const rdn of der.children(der.expect(subject, der.TAG.SEQUENCE))) {
    for (const attribute of der.children(rdn)) {
      const [type, value] = der.children(attribute);
      if (der.readOid(type) === COMMON_NAME && commonName === null) {
        commonName = value.tag === der.TAG.BMP
          ? String.fromCharCode(...Array.from({ length: value.value.length / 2 },
            (_, i) => (value.value[2 * i] << 8) | value.value[2 * i + 1]))
          : new TextDecoder().decode(value.value);
      }
    }
  }
  const emails = [];
  const extensions = rest.find((node) => node.tag === 0xa3);
  if (extensions) {
    for (const extension of der.children(der.children(extensions)[0])) {
      const fields = der.children(extension);
      if (der.readOid(fields[0]) !== SUBJECT_ALT_NAME) continue;
      const names = der.single(fields[fields.length - 1].value, der.TAG.SEQUENCE);
      for (const name of der.children(names)) {
        if (name.tag === 0x81) emails.push(new TextDecoder().decode(name.value));
      }
    }
  }
  return { der: certDer, spki: spki.raw, commonName, emails, notBefore, notAfter };
}

export function parseChainPem(text) {
  return fromPemAll("CERTIFICATE", text).map(parseCertificate);
}

/** The name shown for the key in mail programs: CN, else the first e-mail address. */
export function friendlyName(cert) {
  return cert.commonName || cert.emails[0] || "S/MIME";
}

/** The name for one of several keys: "Name <mail> 2025-01-01–2027-01-01". */
export function datedName(cert) {
  const name = friendlyName(cert);
  const mail = cert.emails[0];
  const who = mail && mail !== name ? `${name} <${mail}>` : name;
  return `${who} ${cert.notBefore}\u2013${cert.notAfter}`;
}
