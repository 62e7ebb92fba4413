// A real OpenID provider for the single sign-on tests: `oidc-provider` (an OpenID Certified
// implementation, from npm) on loopback, with two clients registered for Linkwork: one that
// authenticates with a client secret (client_secret_basic) and one with a signed JWT
// (private_key_jwt). Its sign-in page takes any user name as the `sub` and lets the test
// choose the assurance (`acr`) the sign-in reached.
//
// For the failure cases a test can ask it to misbehave at its token endpoint: the id token
// it returns is re-signed with one claim wrong (another issuer, another audience, expired)
// or with a key that is not the provider's. `rotate()` restarts the provider signing with a
// new key (the old one still published), as a provider rotating its keys does.
import Provider from 'oidc-provider';
import * as jose from 'jose';
import { createServer } from 'node:http';
import { generateKeyPairSync, createPublicKey, randomUUID } from 'node:crypto';

async function rsaJwk(kid) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}

// Starts the provider. `linkworkBase` is Linkwork's public address (its redirect URIs).
export async function startProvider({ linkworkBase }) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const keys = [await rsaJwk('key-1')];
  // The private_key_jwt client's key pair: Linkwork signs with the private half (PKCS#8 PEM).
  const client = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const clientJwk = { ...createPublicKey(client.publicKey).export({ format: 'jwk' }), kid: 'linkwork-1', alg: 'RS256', use: 'sig' };
  const stats = { jwksFetches: 0, tokenRequests: 0, grants: {} };
  let tamper = null;

  const redirects = (name) => [`${linkworkBase}/login/sso/${name}/callback`];
  const postLogout = [`${linkworkBase}/login?signed_out=1`];

  const build = () => new Provider(issuer, {
    clients: [
      {
        client_id: 'linkwork', client_secret: 'a-long-test-client-secret-for-linkwork',
        redirect_uris: redirects('test'), post_logout_redirect_uris: postLogout,
        token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code'], response_types: ['code'],
      },
      {
        client_id: 'linkwork-jwt', redirect_uris: redirects('test-jwt'), post_logout_redirect_uris: postLogout,
        token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'RS256',
        jwks: { keys: [clientJwk] }, grant_types: ['authorization_code'], response_types: ['code'],
      },
    ],
    jwks: { keys },
    acrValues: ['urn:test:aal2', 'urn:test:aal3'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Sign out of the test provider?', `${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`);
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, email: `${sub}@nhs.example`, email_verified: true, name: `Test ${sub}` };
        },
      };
    },
    // First-party clients: no consent screen.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    cookies: { keys: ['test-cookie-key-one-that-is-long'] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Provider error', `<pre>${JSON.stringify(out)}</pre>`);
    },
  });
  // Tokens granted, per client (each client accepts only its registered authentication).
  const built = () => {
    const p = build();
    p.on('grant.success', (ctx) => {
      const id = ctx.oidc.client.clientId;
      stats.grants[id] = (stats.grants[id] || 0) + 1;
    });
    return p;
  };
  let provider = built();

  async function reSign(body) {
    const json = JSON.parse(body);
    if (!json.id_token) return body;
    const claims = jose.decodeJwt(json.id_token);
    const now = Math.floor(Date.now() / 1000);
    let key = keys[0];
    if (tamper === 'issuer') claims.iss = 'http://127.0.0.1:9/another-issuer';
    if (tamper === 'audience') claims.aud = 'another-client';
    if (tamper === 'expired') { claims.iat = now - 7200; claims.exp = now - 3600; }
    if (tamper === 'badsig') key = { ...(await rsaJwk(keys[0].kid)) }; // same kid, not the provider's key
    const signing = await jose.importJWK(key, 'RS256');
    json.id_token = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).sign(signing);
    return JSON.stringify(json);
  }

  const readBody = (req) => new Promise((resolve) => {
    let b = '';
    req.on('data', (c) => { b += c; });
    req.on('end', () => resolve(b));
  });

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, issuer);
      const m = url.pathname.match(/^\/interaction\/([^/]+)$/);
      if (m && req.method === 'GET') {
        const details = await provider.interactionDetails(req, res);
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(page('Test provider sign-in', `
          <p>Client: ${details.params.client_id}</p>
          <form method="post" action="/interaction/${details.uid}">
            <label for="username">User name</label> <input id="username" name="username" autocomplete="off">
            <fieldset><legend>How you signed in</legend>
              <label><input type="radio" name="acr" value="urn:test:aal3" checked> Smartcard (AAL3)</label>
              <label><input type="radio" name="acr" value="urn:test:aal2"> Password and app (AAL2)</label>
            </fieldset>
            <button type="submit">Sign in at the provider</button>
            <button type="submit" name="cancel" value="1">Cancel</button>
          </form>`));
        return;
      }
      if (m && req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        const result = form.get('cancel')
          ? { error: 'access_denied', error_description: 'The user cancelled' }
          : { login: { accountId: form.get('username'), acr: form.get('acr') } };
        await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
        return;
      }
      if (url.pathname === '/jwks') stats.jwksFetches += 1;
      if (url.pathname === '/token' && req.method === 'POST') {
        stats.tokenRequests += 1;
        if (tamper) {
          const out = [];
          const origEnd = res.end.bind(res);
          res.write = (c) => { out.push(Buffer.from(c)); return true; };
          res.end = (c) => {
            if (c && typeof c !== 'function') out.push(Buffer.from(c));
            reSign(Buffer.concat(out).toString()).then((body) => {
              res.setHeader('content-length', Buffer.byteLength(body));
              origEnd(body);
            });
          };
        }
      }
      provider.callback()(req, res);
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e && e.stack || e));
    }
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));

  return {
    issuer,
    clientKeyPem: client.privateKey,
    stats,
    setTamper(mode) { tamper = mode; },
    // A new signing key goes first (the provider signs with it); the old one stays published.
    async rotate() {
      keys.unshift(await rsaJwk(`key-${randomUUID().slice(0, 8)}`));
      provider = built();
    },
    async stop() { await new Promise((r) => server.close(r)); server.closeAllConnections?.(); },
  };
}
