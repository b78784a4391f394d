// A compose project of the offline images for a benchmark: its own name, free loopback ports, a
// random control token, `docker-compose` bound to them, and Prometheus queries. Both compose
// suites use it; each brings the project up and always takes it down.

const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { createServer } = require('node:net');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Why a compose suite cannot run here, or null when it can. */
function composeSkipReason() {
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) return 'no Docker engine answers';
  if (spawnSync('docker', ['image', 'inspect', 'vnflab/nic:0.1.0'], { stdio: 'ignore' }).status !== 0)
    return 'images not built (bash infra/docker/build-offline.sh)';
  return null;
}

/** A project named `<prefix><pid>` with `extraEnv` (TRAFFIC_RATE, ...) on top of its ports and token. */
async function composeProject(prefix, extraEnv = {}) {
  const project = `${prefix}${process.pid}`;
  const [prometheusPort, controllerPort, grafanaPort] = [await freePort(), await freePort(), await freePort()];
  const token = randomBytes(16).toString('hex');
  const env = {
    ...process.env,
    COMPOSE_PROJECT_NAME: project,
    PROMETHEUS_PORT: String(prometheusPort),
    CONTROLLER_PORT: String(controllerPort),
    GRAFANA_PORT: String(grafanaPort),
    VNFLAB_CONTROL_TOKEN: token,
    TRAFFIC_COUNT: '0',
    ...extraEnv,
  };
  const dc = (args) =>
    spawnSync(
      'docker-compose',
      ['-p', project, '-f', 'docker-compose.yml', '-f', 'docker-compose.offline.yml', ...args],
      { cwd: ROOT, env, encoding: 'utf8' },
    );
  const query = async (expr) => {
    const r = await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/query?query=${encodeURIComponent(expr)}`)
      .then((x) => x.json())
      .catch(() => null);
    return r && r.status === 'success' ? r.data.result : [];
  };
  const num = async (expr) => Number((await query(expr))[0]?.value[1] ?? NaN);
  return {
    project,
    env,
    token,
    prometheusPort,
    controllerPort,
    dc,
    query,
    num,
    down: () => dc(['down', '-v', '--remove-orphans']),
  };
}

module.exports = { ROOT, composeProject, composeSkipReason };
