/** Things to close before the process exits (HTTP agents, servers). Imports nothing, so it costs nothing. */
const tasks: Array<() => Promise<void> | void> = [];

export function onShutdown(task: () => Promise<void> | void): void {
  tasks.push(task);
}

export async function runShutdown(): Promise<void> {
  const pending = tasks.splice(0);
  await Promise.allSettled(pending.map((task) => task()));
}
