// SDK overhead: N sequential Mixpanel cancels through the SDK (retries and rate limiting off; its default transport,
// undici's request()), through bare openapi-fetch, and through a hand-written fetch with the same URL and headers.
// Medians of several rounds, the variants interleaved in batches of 50 within each round so machine drift hits all
// of them alike.
import { fork } from 'node:child_process';
import createClient from 'openapi-fetch';
import { createMixpanelClient, USER_AGENT } from '../dist/src/index.js';

const N = Number(process.env.BENCH_N ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const BATCH = 50;
const projectToken = 'bench-project-token';
const oauthToken = 'bench-oauth-token';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

export async function sdkOverhead() {
  const server = fork(new URL('./loopback-server.mjs', import.meta.url));
  const port = await new Promise((res) => server.once('message', (m) => res(m.port)));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    const sdk = createMixpanelClient({ projectToken, oauthToken, baseUrl, rateLimit: false, maxRetries: 0 });
    const bare = createClient({ baseUrl });
    const variants = {
      'raw fetch': async (id) => {
        const res = await fetch(`${baseUrl}/data-deletions/v3.0/${encodeURIComponent(id)}?token=${projectToken}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${oauthToken}`, 'user-agent': USER_AGENT },
        });
        await res.arrayBuffer();
        if (res.status !== 204) throw new Error(`raw fetch got ${res.status}`);
      },
      // The same raw call plus what every SDK attempt needs for its deadline: an AbortSignal and a timer.
      'raw fetch + deadline': async (id) => {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 30_000);
        try {
          const res = await fetch(`${baseUrl}/data-deletions/v3.0/${encodeURIComponent(id)}?token=${projectToken}`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${oauthToken}`, 'user-agent': USER_AGENT },
            signal: controller.signal,
          });
          await res.arrayBuffer();
          if (res.status !== 204) throw new Error(`raw fetch got ${res.status}`);
        } finally {
          clearTimeout(timer);
        }
      },
      'bare openapi-fetch': async (id) => {
        const { response } = await bare.DELETE('/data-deletions/v3.0/{tracking_id}', {
          params: { path: { tracking_id: id }, query: { token: projectToken } },
          headers: { authorization: `Bearer ${oauthToken}`, 'user-agent': USER_AGENT },
        });
        if (response.status !== 204) throw new Error(`openapi-fetch got ${response.status}`);
      },
      SDK: async (id) => {
        const r = await sdk.cancelDeletion(id);
        if (r.outcome !== 'cancelled') throw new Error(`SDK got ${r.outcome}`);
      },
    };
    /** Seconds that n sequential cancels take. */
    const timeRun = async (fn, n) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await fn(`task-${i}`);
      return (performance.now() - t0) / 1000;
    };
    for (const fn of Object.values(variants)) await timeRun(fn, 1000); // warm-up (JIT, connection pool)
    const rates = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    const order = Object.entries(variants);
    for (let r = 0; r < ROUNDS; r++) {
      // Within a round the variants take turns in batches of BATCH requests (the order rotating per batch), so a
      // slow spell of this shared machine lands on all of them alike instead of on whichever ran at that moment.
      const elapsed = Object.fromEntries(order.map(([name]) => [name, 0]));
      for (let b = 0; b < N / BATCH; b++) {
        for (let j = 0; j < order.length; j++) {
          const [name, fn] = order[(r + b + j) % order.length];
          elapsed[name] += await timeRun(fn, BATCH);
        }
      }
      for (const [name] of order) rates[name].push(N / elapsed[name]);
    }
    const med = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
    // Ratios are taken within each round (the three variants ran back to back) and then the median is taken, so
    // drift in machine speed between rounds cancels out instead of landing on whichever variant it hit.
    const perRound = (other) => rates.SDK.map((sdk, i) => sdk / rates[other][i]);
    const quartiles = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      return [s[Math.floor((s.length - 1) / 4)], s[Math.ceil(((s.length - 1) * 3) / 4)]];
    };
    return {
      N,
      ROUNDS,
      medians: med,
      ratioRaw: median(perRound('raw fetch')),
      ratioRawIqr: quartiles(perRound('raw fetch')),
      ratioBare: median(perRound('bare openapi-fetch')),
      ratioDeadline: median(perRound('raw fetch + deadline')),
    };
  } finally {
    server.kill();
  }
}

export function printSdkOverhead(r) {
  console.log(
    `\nSDK overhead: ${r.N} sequential Mixpanel cancels against a loopback keep-alive server, median of ${r.ROUNDS} rounds`,
  );
  console.log('| client | requests/s (median) |');
  console.log('|---|---:|');
  for (const [k, v] of Object.entries(r.medians)) console.log(`| ${k} | ${v.toFixed(0)} |`);
  console.log(
    `\nSDK ÷ raw fetch          = ${r.ratioRaw.toFixed(3)}  (median of per-round ratios; quartiles ${r.ratioRawIqr.map((x) => x.toFixed(3)).join('–')}; goal ≥ 1.05: ${r.ratioRaw >= 1.05 ? 'met' : 'NOT met'})`,
  );
  console.log(`SDK ÷ bare openapi-fetch = ${r.ratioBare.toFixed(3)}  (median of per-round ratios)`);
  console.log(
    `SDK ÷ raw fetch + deadline = ${r.ratioDeadline.toFixed(3)}  (what the SDK layer costs beyond a timed fetch)`,
  );
}
