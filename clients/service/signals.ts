/**
 * How a long-running Mycelium process (`myc serve`, `myc worker`) is asked to stop: the first SIGTERM or SIGINT
 * starts a graceful stop; a second one while stopping exits at once.
 */
export function untilSignal(what = 'the worker'): Promise<string> {
  return new Promise((resolve) => {
    let stopping = false;
    const on = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`mycelium: ${signal} again: exiting without waiting for ${what}\n`);
        process.exit(1);
      }
      stopping = true;
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}
