// A real OpenID provider for RA Console's tests: the certified `oidc-provider` package, with
// one client and one test account, on a loopback address. Used by tests/integration/test_oidc.py.
//
//   node provider.js --port 0 --redirect-uri http://127.0.0.1:5000/login/oidc/callback \
//       --post-logout-redirect-uri http://127.0.0.1:5000/login --client-secret s3cret
//
// Prints one JSON line {"issuer": "http://127.0.0.1:PORT"} on stdout when it accepts requests
// (--port 0 lets the system choose a free port). Stops on SIGTERM or SIGINT.
//
// Sign-in and consent are oidc-provider's own development pages (features.devInteractions):
// a form with "login" and "password" (any password), then a "Continue" form. Only the
// accounts below exist; any other login name ends in an error.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string', default: 'ra-console' },
    // Empty: a public client (token_endpoint_auth_method "none"; PKCE is required anyway).
    'client-secret': { type: 'string', default: '' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
  },
});

// Claims as a university IdP releases them (REFEDS/AARC names for the eduPerson claims).
const ACCOUNTS = {
  jdoe: {
    preferred_username: 'jdoe@uni.example.org',
    name: 'Jane Doe',
    given_name: 'Jane',
    family_name: 'Doe',
    email: 'Jane.Doe@uni.example.org',
    email_verified: true,
    eduperson_scoped_affiliation: ['employee@uni.example.org', 'member@uni.example.org'],
    eduperson_entitlement: [
      'urn:mace:uni.example.org:ra-admin',
      'urn:mace:uni.example.org:nk:itc',
      'urn:mace:uni.example.org:library',
    ],
  },
};

async function findAccount(_ctx, id) {
  const claims = ACCOUNTS[id];
  if (!claims) return undefined;
  return {
    accountId: id,
    async claims() {
      return { sub: id, ...claims };
    },
  };
}

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const jwk = { ...signingKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const client = {
  client_id: args['client-id'],
  redirect_uris: args['redirect-uri'],
  post_logout_redirect_uris: args['post-logout-redirect-uri'],
  response_types: ['code'],
  grant_types: ['authorization_code'],
  ...(args['client-secret']
    ? { client_secret: args['client-secret'], token_endpoint_auth_method: 'client_secret_basic' }
    : { token_endpoint_auth_method: 'none' }),
};

const configuration = {
  clients: [client],
  findAccount,
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name', 'given_name', 'family_name'],
    email: ['email', 'email_verified'],
    eduperson_scoped_affiliation: ['eduperson_scoped_affiliation'],
    eduperson_entitlement: ['eduperson_entitlement'],
  },
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
};

const server = createServer();
server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  const issuer = `http://${args.host}:${port}`;
  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
