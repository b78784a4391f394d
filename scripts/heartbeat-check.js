// The stages' container healthcheck, shared by the compose and the Swarm files.

/**
 * The file a stage (and the controller) touches every second while ready, when
 * VNFLAB_HEARTBEAT_FILE names it (packages/runtime/src/service/heartbeat-file.ts; the
 * Dockerfiles set it).
 */
const HEARTBEAT_FILE = '/tmp/vnflab-heartbeat';
/**
 * Healthy while the heartbeat is younger than 6 s: find and grep in the image's /bin/sh (Debian's
 * essential packages, in the slim and the offline base alike), a few ms of CPU, where starting
 * Node to fetch /readyz cost 100-200 ms per check per container. The Dockerfiles' HEALTHCHECK
 * and the Swarm stack run the same command (test/deploy-files.test.ts, test/swarm-stack.test.ts).
 */
const HEALTHCHECK_CMD = `find ${HEARTBEAT_FILE} -mmin -0.1 | grep -q .`;

module.exports = { HEARTBEAT_FILE, HEALTHCHECK_CMD };
