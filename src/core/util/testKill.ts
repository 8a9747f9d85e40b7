// A test hook for the fault suite: with CADC_TEST=1 and CADC_TEST_KILL_AT=<pattern>, the process
// kills itself with SIGKILL at the first named point matching the pattern (`*` matches anything),
// e.g. `write:features-*.bin` just before a cache data file is moved into place. Never honoured
// outside tests.
export function testKillPoint(point: string): void {
  const want = process.env.CADC_TEST === '1' ? process.env.CADC_TEST_KILL_AT : undefined;
  if (!want) return;
  const re = new RegExp(
    `^${want
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  if (re.test(point)) process.kill(process.pid, 'SIGKILL');
}
