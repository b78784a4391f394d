// The stages' container healthcheck, shared by the compose and the Swarm files.

/**
 * The file a stage (and the controller) touches every second while ready, when
 * VNFLAB_HEARTBEAT_FILE names it (packages/runtime/src/service/heartbeat-file.ts; the
 * Dockerfiles set it).
 */
const HEARTBEAT_FILE = '/tmp/vnflab-heartbeat';
/**
 * Healthy while the heartbeat is younger than 6 s: find and grep in the image's /bin/sh (Debian's
 * essential packages, in the slim and the offline base alike), about 15 ms of CPU, where starting
 * Node to fetch /readyz cost 100-200 ms per check per container. The Dockerfiles' HEALTHCHECK
 * and the Swarm stack run the same command (test/deploy-files.test.ts, test/swarm-stack.test.ts).
 */
const HEALTHCHECK_CMD = `find ${HEARTBEAT_FILE} -mmin -0.1 | grep -q .`;

/**
 * Seconds between checks in compose and the images. Docker 20.10 runs every check through
 * `docker exec`, which costs the container 41-43 ms of CPU here even for `true` (59 ms with this
 * check; bench/RESULTS.md, compose targets): every 2 s that was 3 % of a core per container. It
 * has no start_interval either, and runs the first check one interval after start, so each
 * `depends_on: service_healthy` step of the start-up waits up to this long: 5 s keeps the
 * start-up under 30 s and takes 60 % off the checks' CPU.
 */
const HEALTHCHECK_INTERVAL_S = 5;

module.exports = { HEARTBEAT_FILE, HEALTHCHECK_CMD, HEALTHCHECK_INTERVAL_S };
