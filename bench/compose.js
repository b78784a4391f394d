// The compose benchmark: `docker compose up` (the offline images) to the first
// packet at the backends, each stage container's memory at the default rate, and a live swap of
// nic (passthrough -> virtio) through the controller: its duration, the packets lost across it
// and the end-to-end p99 around it. Skipped, with the reason, without a Docker engine or images.

const { spawnSync } = require('node:child_process');
const { composeProject, composeSkipReason } = require('./compose-project');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = async function compose({ log }) {
  const skip = (why) => ({ rows: [['docker compose', 'skipped', why]], data: { skipped: why } });
  const why = composeSkipReason();
  if (why) return skip(why);
  const { project, token, controllerPort: cp, dc, num, down } = await composeProject('vnflabbench');
  try {
    log('compose: up -d ...');
    const t0 = Date.now();
    const up = dc(['up', '-d']);
    if (up.status !== 0) return skip(`docker-compose up failed: ${up.stderr.slice(-300)}`);
    let first = NaN;
    for (let i = 0; i < 240 && !(first > 0); i++) {
      if ((await num('sum(vnflab_packets_total{stage="backends",direction="out"})')) > 0)
        first = (Date.now() - t0) / 1e3;
      else await sleep(250);
    }
    log('compose: 20 s of traffic at the default rate ...');
    await sleep(20000);
    const ids = spawnSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`], {
      encoding: 'utf8',
    })
      .stdout.split('\n')
      .filter(Boolean);
    const stats = spawnSync('docker', ['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}', ...ids], {
      encoding: 'utf8',
    })
      .stdout.trim()
      .split('\n');
    const mib = (v) =>
      Number.parseFloat(v) * ({ KiB: 1 / 1024, MiB: 1, GiB: 1024 }[v.replace(/[\d.]/g, '')] ?? 1 / 2 ** 20);
    const mem = stats
      .map((l) => l.split(/\s+/))
      .map(([name, used, , limit]) => ({
        name: name.replace(`${project}_`, '').replace(/_1$/, ''),
        used: mib(used),
        limit: mib(limit),
      }));
    const stages = mem.filter((m) => ['traffic-gen', 'nic', 'kernel-path', 'lb', 'backends'].includes(m.name));
    const p99Before = await num('chain:vnflab_e2e_latency_seconds:p99');
    const dropsBefore = await num('sum(vnflab_drops_total) or vector(0)');
    log('compose: swap nic passthrough -> virtio through the controller ...');
    const swap = await fetch(`http://127.0.0.1:${cp}/swap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ stage: 'nic', variant: 'virtio' }),
    }).then((r) => r.json());
    await sleep(5000);
    const p99Around = await num('max_over_time(chain:vnflab_e2e_latency_seconds:p99[30s])');
    const dropsAfter = await num('sum(vnflab_drops_total) or vector(0)');
    const rate = await num('sum(rate(vnflab_packets_total{stage="backends",direction="out"}[10s]))');
    return {
      rows: [
        [
          'docker-compose up -d (images built) to the first packet at the backends',
          `${first.toFixed(1)} s`,
          `target <= 30 s ${first <= 30 ? 'met' : 'NOT MET'}`,
        ],
        [
          'stage containers, memory at the default rate',
          `${Math.max(...stages.map((s) => s.used)).toFixed(0)} MiB at most`,
          `${stages.map((s) => `${s.name} ${s.used.toFixed(0)}`).join(', ')} (limit 128 MiB each; target < 128 ${stages.every((s) => s.used < 128) ? 'met' : 'NOT MET'})`,
        ],
        [
          'live swap nic passthrough -> virtio (controller: start to old container gone)',
          `${(swap.duration_ms / 1e3).toFixed(2)} s`,
          `ready after ${Math.round(swap.replicas?.[0]?.ready?.ms ?? NaN)} ms, old drained in ${Math.round(swap.replicas?.[0]?.drain?.ms ?? NaN)} ms`,
        ],
        [
          'packets dropped across the swap',
          String(dropsAfter - dropsBefore),
          'at-least-once bus: the old container finishes and acknowledges what it holds',
        ],
        [
          'end-to-end p99 before the swap / worst 30 s around it',
          `${(p99Before * 1e3).toFixed(2)} / ${(p99Around * 1e3).toFixed(2)} ms`,
          `packets delayed while the new container took over; chain at ${(rate / 1e3).toFixed(1)} kpps`,
        ],
      ],
      data: {
        up_to_first_packet_s: first,
        memory: mem,
        swap,
        drops_across_swap: dropsAfter - dropsBefore,
        p99_before_s: p99Before,
        p99_around_s: p99Around,
      },
    };
  } finally {
    down();
  }
};
