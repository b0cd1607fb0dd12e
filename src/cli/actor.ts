import { userInfo } from 'node:os';

import type { Environment } from '../database/config';
import { readActor } from '../secretstore/environment';

/** The OS user running the CLI; a process without a passwd entry (a container's arbitrary uid) has none. */
function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Who the CLI's changes are attributed to: --actor, else SECRETSTORE_ACTOR, else `cli:<OS user name>`. */
export function chooseActor(option: string | undefined, env: Environment): string {
  // Kept within the library's 256 characters, whatever the user name.
  return option ?? readActor(env) ?? `cli:${osUserName()}`.slice(0, 256);
}
