/**
 * Step-by-step progress for long commands: a spinner line per step on a TTY, plain lines otherwise
 * (CI logs, pipes). Everything goes to stderr so that stdout stays the command's result.
 */
export interface StepReporter {
  step<T>(title: string, fn: () => Promise<T>): Promise<T>;
  note(text: string): void;
  /** Seconds spent per step, in order. */
  readonly timings: Array<{ step: string; seconds: number }>;
}

export function createStepReporter(options: { stream?: NodeJS.WriteStream; quiet?: boolean } = {}): StepReporter {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const timings: Array<{ step: string; seconds: number }> = [];
  let index = 0;
  const write = (text: string): void => {
    if (!options.quiet) stream.write(text);
  };
  return {
    timings,
    note(text) {
      write(`      ${text}\n`);
    },
    async step(title, fn) {
      index++;
      const label = `[${index}] ${title}`;
      const started = Date.now();
      const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
      let frame = 0;
      const timer = tty
        ? setInterval(() => write(`\r${frames[frame++ % frames.length]} ${label} ${((Date.now() - started) / 1000).toFixed(0)}s`), 100)
        : undefined;
      if (!tty) write(`… ${label}\n`);
      try {
        const result = await fn();
        const seconds = (Date.now() - started) / 1000;
        timings.push({ step: title, seconds });
        write(`${tty ? '\r\x1b[2K' : ''}✔ ${label} (${seconds.toFixed(1)}s)\n`);
        return result;
      } catch (err) {
        write(`${tty ? '\r\x1b[2K' : ''}✖ ${label}\n`);
        throw err;
      } finally {
        if (timer) clearInterval(timer);
      }
    },
  };
}
