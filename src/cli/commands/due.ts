import type { DueRecord } from '../../secretstore/secret-record';
import type { CommandContext } from '../command-context';
import { formatDuration, parseDuration } from '../duration';
import { formatTable, formatTime, type CommandResult } from '../output';

export interface DueOptions {
  /** --within, in milliseconds. */
  within?: number;
}

/** Two weeks: time to plan a rotation before the date. */
export const DEFAULT_DUE_WINDOW = '14d';

interface DueJson {
  within: number;
  /** Soonest first; dates already past included. */
  due: { key: string; due: DueRecord['due']; at: string }[];
}

const DUE_NAMES: Record<DueRecord['due'], string> = { expiresAt: 'expires', rotateAfter: 'rotate' };

/** The secrets whose expiresAt or rotateAfter falls within the window, or has passed. */
export async function dueCommand(context: CommandContext, options: DueOptions): Promise<CommandResult> {
  const within = options.within ?? parseDuration(DEFAULT_DUE_WINDOW);
  const due = await context.database.withExistingStore(
    (store) => store.listSecretsDue({ within }),
    () => [],
  );
  const json: DueJson = {
    within,
    due: due.map(({ key, due: what, at }) => ({ key, due: what, at: at.toISOString() })),
  };
  if (due.length === 0) return { json, text: `nothing due within ${formatDuration(within)}` };
  const now = Date.now();
  const rows = due.map(({ key, due: what, at }) => [
    key,
    DUE_NAMES[what],
    formatTime(at),
    at.getTime() <= now ? 'yes' : 'no',
  ]);
  return { json, text: formatTable(['KEY', 'DUE', 'AT', 'PASSED'], rows) };
}
