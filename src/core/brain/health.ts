// Health semantics (SPEC section 10) and the HTTP server that serves them. /health is readiness:
// 200 only with a fresh heartbeat, a successful last cycle, trading not HALTED and entries not
// refused; otherwise 503 with every reason. A halt is 503 on purpose: a bot that cannot trade is
// not doing its job and a monitor should say so. /health/live is liveness only (heartbeat fresh),
// for a watchdog that restarts the process: restarting never clears a halt, so it must not look
// at one. The server binds the configured host only (default 127.0.0.1).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TradingState, TradingStateName } from '../risk/trading-state.js';
import type { MetricsSnapshot } from './metrics.js';

/** Heartbeat interval (SPEC: every 30 s); fresh means younger than two intervals. */
export const HEARTBEAT_INTERVAL_MS = 30_000;
/** A heartbeat younger than this is fresh. */
export const HEARTBEAT_FRESH_MS = 2 * HEARTBEAT_INTERVAL_MS;

/** What health is judged from. */
export interface HealthInput {
  now: Date;
  running: boolean;
  pid: number | null;
  heartbeat: { ts: string; phase: string; last_task: string | null; last_success: string | null; cycles: number; last_cycle_ok: boolean } | null;
  tradingState: TradingState;
  /** Why entries are refused by the brain itself (dirty reconcile at start, preflight NO-GO). */
  tradingRefused: string | null;
}

/** The /health body and `brain health` result. */
export interface HealthReport {
  healthy: boolean;
  live: boolean;
  status: 'ok' | 'unhealthy';
  reasons: string[];
  trading_state: TradingStateName;
  kill_reason: string | null;
  trading_refused: string | null;
  pid: number | null;
  heartbeat_age_s: number | null;
  phase: string | null;
  last_task: string | null;
  last_success: string | null;
  last_cycle_ok: boolean | null;
  cycles: number | null;
  checked_at: string;
}

/** Judge health; every failing condition is a reason. */
export function assessHealth(i: HealthInput): HealthReport {
  const reasons: string[] = [];
  const hb = i.heartbeat;
  const age = hb ? (i.now.getTime() - Date.parse(hb.ts)) / 1000 : null;
  if (!i.running) reasons.push('not running: no live brain process for this home');
  if (!hb) reasons.push('no heartbeat: state/heartbeat.json is missing');
  else if (!(age! * 1000 < HEARTBEAT_FRESH_MS)) reasons.push(`heartbeat stale: ${Math.round(age!)} s old (fresh < ${HEARTBEAT_FRESH_MS / 1000} s)`);
  const live = reasons.length === 0;
  if (hb && !hb.last_cycle_ok) reasons.push(`last cycle failed (last task ${hb.last_task ?? 'none'})`);
  const ts = i.tradingState;
  if (ts.state === 'HALTED') reasons.push(`halted: ${ts.record?.reason ?? ts.detail ?? 'kill switch on'}`);
  if (i.tradingRefused) reasons.push(`trading refused: ${i.tradingRefused}`);
  return {
    healthy: reasons.length === 0,
    live,
    status: reasons.length === 0 ? 'ok' : 'unhealthy',
    reasons,
    trading_state: ts.state,
    kill_reason: ts.state === 'ACTIVE' ? null : ts.record?.reason ?? ts.detail ?? null,
    trading_refused: i.tradingRefused,
    pid: i.pid,
    heartbeat_age_s: age === null ? null : Math.round(age * 10) / 10,
    phase: hb?.phase ?? null,
    last_task: hb?.last_task ?? null,
    last_success: hb?.last_success ?? null,
    last_cycle_ok: hb?.last_cycle_ok ?? null,
    cycles: hb?.cycles ?? null,
    checked_at: i.now.toISOString(),
  };
}

/** What the server reads on each request. */
export interface HealthSources {
  health(): HealthReport;
  metrics(): MetricsSnapshot;
  prometheus(): Promise<{ contentType: string; body: string }>;
}

/** A running health server. */
export interface HealthServer {
  host: string;
  port: number;
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, code: number, body: string, type = 'application/json'): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** Serve /health, /health/live, /metrics and /metrics/prometheus on host:port (port 0: any free port). */
export async function startHealthServer(host: string, port: number, src: HealthSources): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, JSON.stringify({ error: 'GET only' }));
      const url = (req.url ?? '/').split('?')[0];
      if (url === '/health') {
        const h = src.health();
        return send(res, h.healthy ? 200 : 503, JSON.stringify(h));
      }
      if (url === '/health/live') {
        const h = src.health();
        return send(res, h.live ? 200 : 503, JSON.stringify({ live: h.live, heartbeat_age_s: h.heartbeat_age_s, pid: h.pid, reasons: h.live ? [] : h.reasons }));
      }
      if (url === '/metrics') return send(res, 200, JSON.stringify({ ...src.metrics(), health: src.health() }));
      if (url === '/metrics/prometheus') {
        const p = await src.prometheus();
        return send(res, 200, p.body, p.contentType);
      }
      send(res, 404, JSON.stringify({ error: 'not found', paths: ['/health', '/health/live', '/metrics', '/metrics/prometheus'] }));
    })().catch((err) => send(res, 500, JSON.stringify({ error: String(err) })));
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Always the configured host: listen(port) alone would bind every interface.
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    host: a.address,
    port: a.port,
    url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
