// A real OpenID Provider for the sign-in tests: the certified `oidc-provider` package with
// its development sign-in pages (any password; the login names a test account below).
//
// Started by tests/oidc/conftest.py as `node tests/oidc/provider.mjs` with PORT, CLIENT_ID,
// CLIENT_SECRET, REDIRECT_URI and POST_LOGOUT_REDIRECT_URI in the environment. It prints
// "ready <issuer>" once it listens.
//
// Test controls (this script only, never part of a real provider):
//   POST /__test/accounts/<login>  {"groups": [...], "email_verified": bool}  changes an account
//   POST /__test/mode              {"mode": "" | "tamper" | "expired"}  what the token
//     endpoint does to the next ID tokens it returns: "tamper" changes a claim and keeps the
//     signature (so the signature no longer matches); "expired" re-signs, with the
//     provider's own key, a copy whose exp and iat lie an hour in the past.
import { createServer } from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const accounts = {
  alice: {
    email: 'alice@example.com', email_verified: true, name: 'Alice Lead',
    groups: ['pg-governance', 'staff-all'],
  },
  bob: {
    email: 'bob@example.com', email_verified: true, name: 'Bob Exec',
    groups: ['pg-executives'],
  },
  // Same email as a local account the tests create; the provider has not verified it.
  mallory: {
    email: 'owner@example.com', email_verified: false, name: 'Mallory',
    groups: ['pg-admins'],
  },
  // Same email as a local account, verified: the accounts are linked.
  olive: {
    email: 'olive@example.com', email_verified: true, name: 'Olive Owner', groups: [],
  },
};

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

let mode = '';

const configuration = {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    post_logout_redirect_uris: [process.env.POST_LOGOUT_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  jwks: { keys: [signingJwk] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ['pilotgate-test-cookie-key'] },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, preferred_username: sub, ...account, groups: [...account.groups] };
      },
    };
  },
  // First-party client: no consent page; every requested scope is granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);

async function mangle(idToken) {
  const [header, payload, signature] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (mode === 'tamper') {
    claims.groups = ['pg-admins'];
    const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${header}.${forged}.${signature}`;
  }
  if (mode === 'expired') {
    const now = Math.floor(Date.now() / 1000);
    claims.iat = now - 7200;
    claims.exp = now - 3600;
    return new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })
      .sign(privateKey);
  }
  return idToken;
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && mode && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await mangle(ctx.body.id_token) };
  }
});

const callback = provider.callback();

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}

const server = createServer(async (req, res) => {
  if (req.method === 'POST' && req.url.startsWith('/__test/')) {
    const body = await readJson(req);
    const [, , kind, name] = req.url.split('/');
    if (kind === 'mode') {
      mode = body.mode || '';
    } else if (kind === 'accounts' && accounts[name]) {
      Object.assign(accounts[name], body);
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(204).end();
    return;
  }
  callback(req, res);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
