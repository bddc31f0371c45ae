import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export type Env = Readonly<Record<string, string | undefined>>;

/** --db > GG4L_DB > $XDG_DATA_HOME/gg4l/gg4l.db > ~/.local/share/gg4l/gg4l.db */
export function resolveDbPath(flag: string | undefined, env: Env, cwd: string): string {
  const explicit = flag ?? env.GG4L_DB;
  if (explicit) return isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
  const xdg = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : undefined;
  return join(xdg ?? join(env.HOME ?? homedir(), ".local", "share"), "gg4l", "gg4l.db");
}
