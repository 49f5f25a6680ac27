#!/usr/bin/env node
// s3rver.js - s3rver@3 on 127.0.0.1, made stricter where the tests need S3
// to be strict.
//
//   node s3rver.js -d DIR [-p PORT] [-P PORTFILE] [--public BUCKET]...
//       [--region REGION] [--no-verify]
//   (S3RVER_MODULE: where s3rver is installed; S3RVER_ACCESS_KEY_ID and
//    S3RVER_SECRET_ACCESS_KEY: the one key pair accepted besides S3RVER/S3RVER)
//
// What plain s3rver does not do and real S3 does:
// - Buckets are private: a request without credentials gets 403 AccessDenied,
//   except GET/HEAD in a bucket named with --public.
// - SigV4 signatures in the Authorization header are verified (s3rver only
//   checks the access key): a wrong secret, a wrong canonical request or an
//   x-amz-* header left out of SignedHeaders gets 403 SignatureDoesNotMatch.
//   With --region, a credential scoped to another region is refused.
// - Error bodies carry a RequestId and HostId, and every answer has an
//   x-amz-request-id header.
// The port is written to PORTFILE (temporary file + rename) once listening.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const mod = process.env.S3RVER_MODULE || 's3rver';
const S3rver = require(mod);
const S3Error = require(path.join(mod, 'lib/models/error'));
const { DUMMY_ACCOUNT } = require(path.join(mod, 'lib/models/account'));

function usage(why) {
  process.stderr.write(
    `s3rver.js: ${why}\n` +
      'usage: s3rver.js -d DIR [-p PORT] [-P PORTFILE] [--public BUCKET]... ' +
      '[--region REGION] [--no-verify]\n',
  );
  process.exit(2);
}

const opt = { port: 0, publicBuckets: new Set(), verify: true };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => {
    if (i + 1 >= argv.length) usage(`${a} wants a value`);
    return argv[++i];
  };
  if (a === '-d') opt.dir = val();
  else if (a === '-p') opt.port = Number(val());
  else if (a === '-P') opt.portFile = val();
  else if (a === '--public') opt.publicBuckets.add(val());
  else if (a === '--region') opt.region = val();
  else if (a === '--no-verify') opt.verify = false;
  else usage(`unknown argument ${a}`);
}
if (!opt.dir) usage('-d DIR is required');
if (!Number.isInteger(opt.port) || opt.port < 0 || opt.port > 65535)
  usage('bad port');

// Our own key pair, next to s3rver's built-in S3RVER/S3RVER.
const keys = new Map([['S3RVER', 'S3RVER']]);
if (process.env.S3RVER_ACCESS_KEY_ID && process.env.S3RVER_SECRET_ACCESS_KEY) {
  keys.set(
    process.env.S3RVER_ACCESS_KEY_ID,
    process.env.S3RVER_SECRET_ACCESS_KEY,
  );
  DUMMY_ACCOUNT.createKeyPair(
    process.env.S3RVER_ACCESS_KEY_ID,
    process.env.S3RVER_SECRET_ACCESS_KEY,
  );
}

const sha256 = s => crypto.createHash('sha256').update(s).digest('hex');
const hmac = (k, s) => crypto.createHmac('sha256', k).update(s).digest();
const EMPTY_SHA256 = sha256('');

// S3's URI encoding: RFC 3986 unreserved characters stay, the rest is %XX
// of the UTF-8 bytes; '/' stays in paths.
function uriEncode(s, keepSlash) {
  return Array.from(Buffer.from(s, 'utf8'))
    .map(b => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) return c;
      return '%' + b.toString(16).toUpperCase().padStart(2, '0');
    })
    .join('');
}

function pctDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch (e) {
    return null;
  }
}

function canonicalQuery(raw) {
  if (!raw) return '';
  return raw
    .split('&')
    .filter(p => p !== '')
    .map(p => {
      const eq = p.indexOf('=');
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? '' : p.slice(eq + 1);
      return [uriEncode(pctDecode(k) || k), uriEncode(pctDecode(v) || v)];
    })
    .sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1],
    )
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function fail(code, message, detail) {
  throw new S3Error(code, message, detail);
}

// Verifies an "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." header the way S3 does.
function verifySigV4(ctx, auth) {
  const m = /^AWS4-HMAC-SHA256 +Credential=([^,]+), *SignedHeaders=([^,]+), *Signature=([0-9a-f]{64})$/.exec(
    auth,
  );
  if (!m)
    fail(
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed.',
    );
  const [, credential, signedHeaders, signature] = m;
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request')
    fail(
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed; the Credential is mal-formed.',
    );
  const [keyId, date, region, service] = parts;
  const secret = keys.get(keyId);
  if (secret === undefined) return; // s3rver says InvalidAccessKeyId
  if (service !== 's3')
    fail(
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; incorrect service "${service}". This endpoint belongs to "s3".`,
    );
  if (opt.region && region !== opt.region)
    fail(
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; the region '${region}' is wrong; expecting '${opt.region}'`,
      { Region: opt.region },
    );

  const h = ctx.req.headers;
  const amzDate = h['x-amz-date'];
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date)
    fail(
      'AccessDenied',
      'AWS authentication requires a valid Date or x-amz-date header',
    );
  const t = Date.UTC(
    +amzDate.slice(0, 4),
    +amzDate.slice(4, 6) - 1,
    +amzDate.slice(6, 8),
    +amzDate.slice(9, 11),
    +amzDate.slice(11, 13),
    +amzDate.slice(13, 15),
  );
  if (Math.abs(Date.now() - t) > 15 * 60 * 1000)
    fail(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );

  const payloadHash = h['x-amz-content-sha256'];
  if (!payloadHash)
    fail(
      'InvalidRequest',
      'Missing required header for this request: x-amz-content-sha256',
    );
  const names = signedHeaders.split(';');
  if (!names.includes('host'))
    fail(
      'AccessDenied',
      'The host header must be signed.',
    );
  // S3 wants every x-amz-* header the request carries to be signed.
  for (const name of Object.keys(h))
    if (name.startsWith('x-amz-') && !names.includes(name))
      fail(
        'AccessDenied',
        `There were headers present in the request which were not signed: ${name}`,
        { HeadersNotSigned: name },
      );
  if (
    /^[0-9a-f]{64}$/.test(payloadHash) &&
    (ctx.method === 'GET' || ctx.method === 'HEAD') &&
    payloadHash !== EMPTY_SHA256
  )
    fail(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );

  const url = ctx.req.url;
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const decoded = pctDecode(rawPath);
  if (decoded === null) fail('InvalidURI', "Couldn't parse the specified URI.");
  const canonical = [
    ctx.method,
    uriEncode(decoded, true),
    canonicalQuery(rawQuery),
    names
      .map(n => {
        const v = h[n] === undefined ? '' : String(h[n]);
        return `${n}:${v.trim().replace(/\s+/g, ' ')}\n`;
      })
      .join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    sha256(canonical),
  ].join('\n');
  let k = hmac('AWS4' + secret, date);
  k = hmac(k, region);
  k = hmac(k, service);
  k = hmac(k, 'aws4_request');
  const want = crypto.createHmac('sha256', k).update(toSign).digest('hex');
  if (want !== signature)
    fail(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { AWSAccessKeyId: keyId, StringToSign: toSign, CanonicalRequest: canonical },
    );
}

const app = new S3rver({
  address: '127.0.0.1',
  port: opt.port,
  directory: opt.dir,
  silent: false,
});

// Runs before s3rver's own middleware.
app.middleware.unshift(async function strict(ctx, next) {
  const id = crypto.randomBytes(8).toString('hex').toUpperCase();
  ctx.set('x-amz-request-id', id);
  try {
    const auth = ctx.get('authorization');
    const presigned =
      'X-Amz-Signature' in ctx.query || 'Signature' in ctx.query;
    if (!auth && !presigned) {
      const bucket = pctDecode(ctx.path.split('/')[1] || '');
      const read = ctx.method === 'GET' || ctx.method === 'HEAD';
      if (!(read && opt.publicBuckets.has(bucket)))
        fail('AccessDenied', 'Access Denied');
    } else if (opt.verify && auth.startsWith('AWS4-HMAC-SHA256')) {
      verifySigV4(ctx, auth);
    }
    await next();
  } catch (err) {
    if (err instanceof S3Error) {
      err.detail = { ...err.detail, RequestId: id, HostId: id };
      err.headers = { ...err.headers, 'x-amz-request-id': id };
    }
    throw err;
  }
});

app.run().then(
  ({ address, port }) => {
    if (opt.portFile) {
      const tmp = `${opt.portFile}.tmp.${process.pid}`;
      fs.writeFileSync(tmp, `${port}\n`);
      fs.renameSync(tmp, opt.portFile);
    }
    console.log('S3rver listening on %s:%d', address, port);
  },
  err => {
    console.error(err);
    process.exit(1);
  },
);

// Objects are on disk already; nothing to flush.
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
