/**
 * Ctrl-C (or SIGTERM, a service manager stopping cron's job) as an AbortSignal: the run stops
 * taking new work and lets what is in flight end, on record. A second Ctrl-C kills.
 */
export function interruptSignal(onFirst?: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.off("SIGINT", onSigint);
      process.kill(process.pid, "SIGINT");
      return;
    }
    onFirst?.();
    controller.abort();
  };
  const onSigterm = () => {
    if (!controller.signal.aborted) controller.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
    },
  };
}
