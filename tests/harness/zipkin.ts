import { LOOPBACK, serverDir, serverPort } from './config';
import { runInfraScript } from './local_servers';
import { fromRepo } from './paths';
import { httpAnswers, waitForHttpReady } from './readiness';

/**
 * Makes sure a Zipkin server answers and returns its base URL (e.g. "http://127.0.0.1:9411";
 * spans go to `${url}/api/v2/spans`). Reuses one that already answers; otherwise starts
 * infra/zipkin/start.sh, and the run's global teardown stops it when no other run still uses it.
 */
export async function ensureZipkin(): Promise<string> {
  const port = serverPort('zipkin');
  const url = `http://${LOOPBACK}:${port}`;
  if (await httpAnswers(`${url}/health`).catch(() => false)) return url;
  await runInfraScript('zipkin', 'start', port);
  await waitForHttpReady(`${url}/health`, {
    timeoutMs: 30_000,
    hint: `see ${fromRepo(serverDir('zipkin', port))}/server.log`,
  });
  return url;
}
