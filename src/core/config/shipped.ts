import path from 'node:path';
import { packageRoot } from '../package-root.js';

/** The config/ folder shipped with kobe (templates for `kobe init`). */
export function shippedConfigDir(): string {
  return path.join(packageRoot(), 'config');
}

export const ENV_TEMPLATE = `# kobe secrets. Read by kobe only; never printed, never logged. Keep this file mode 0600.
# Broker (Alpaca; paper keys unless you deliberately go live).
ALPACA_API_KEY_ID=
ALPACA_API_SECRET_KEY=
# Market data (Polygon).
POLYGON_API_KEY=
# Alerts (optional).
TELEGRAM_BOT_TOKEN=
TELEGRAM_CHAT_ID=
# Research queue (optional, docs/scale-out.md): the Redis URL with its password.
# KOBE_REDIS_URL=redis://kobe:PASSWORD@redis-host:6379/0
# Live trading needs this set to true *and* every other gate (see RUNBOOK.md).
# KOBE_LIVE_TRADING_ENABLED=false
`;
