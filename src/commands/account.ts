import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import type { AccountReport } from '../core/ports/broker.js';

export interface AccountResult {
  broker: string;
  host: string;
  mode: string;
  account: AccountReport;
}

export function register(program: Command, kit: Kit): void {
  program
    .command('account')
    .description('broker account: equity, cash, buying power, status flags')
    .addHelpText('after', '\nExample:\n  kobe account\n  kobe account --json | jq .account.buying_power')
    .action(kit.action(() => ({}), runAccount, renderAccount));
}

export async function runAccount(ctx: KobeContext): Promise<AccountResult> {
  ctx.requireHome();
  const { config } = await ctx.config();
  const broker = await ctx.broker();
  return { broker: broker.name, host: broker.host, mode: config.trading.mode, account: await broker.account() };
}

export function renderAccount(out: Output, r: AccountResult): void {
  const a = r.account;
  const usd = (x: number) => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  out.line(`${r.broker} (${r.mode}${r.broker === 'sim' ? ', simulated' : `, ${r.host}`})  account ${a.id}  ${a.status}`);
  out.line(`equity        ${usd(a.equity)}`);
  out.line(`cash          ${usd(a.cash)}`);
  out.line(`buying power  ${usd(a.buying_power)}`);
  const flags = [a.trading_blocked && 'TRADING BLOCKED', a.account_blocked && 'ACCOUNT BLOCKED', a.pattern_day_trader && 'PDT'].filter(Boolean);
  out.line(`flags         ${flags.length ? flags.join(', ') : 'none'}`);
}
