// Generates the Grafana dashboards in this folder from short panel lists, so every panel shares
// one datasource uid and one layout; the stage lists come from the stage manifests (the registry
// discovered from the workspaces). Run `node dashboards/build.js` after a build when a panel or a
// stage changes; the JSON is committed (Grafana provisions it as is), test/dashboards.test.ts runs
// every query and test/deploy-files.test.ts checks the JSON is what this script writes.

const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const DS = { type: 'prometheus', uid: 'vnflab-prometheus' };

/** The stage lists the panels need, from the manifests. */
function stageLists(registry) {
  const all = registry.all();
  const names = (f) => all.filter(f).map((d) => d.stage);
  return {
    // every source: whichever the chain starts with (traffic-gen, http-client) is what was sent
    sources: names((d) => d.role === 'source').join('|'),
    sink: names((d) => d.role === 'sink')[0],
    ends: names((d) => d.role !== 'element').join('|'),
    withRing: names((d) => (d.metrics ?? []).some((m) => m.name === 'vnflab_ring_occupancy')).join('|'),
  };
}

function target(expr, legend, i) {
  return { datasource: DS, expr, legendFormat: legend ?? '', refId: String.fromCharCode(65 + i), range: true };
}

/** panel(type, title, [[expr, legend], ...], {w, h, unit, ...}) */
function panel(type, title, queries, o = {}) {
  const p = {
    type,
    title,
    description: o.description ?? '',
    datasource: DS,
    targets: queries.map(([e, l], i) => target(e, l, i)),
    gridPos: { w: o.w ?? 12, h: o.h ?? 8 },
    fieldConfig: {
      defaults: {
        unit: o.unit ?? 'short',
        ...(o.min !== undefined ? { min: o.min } : {}),
        ...(o.max !== undefined ? { max: o.max } : {}),
      },
      overrides: [],
    },
    options: {},
  };
  if (type === 'piechart')
    p.options = {
      pieType: 'pie',
      legend: { displayMode: 'table', placement: 'right', values: ['percent'] },
      reduceOptions: { calcs: ['lastNotNull'], values: false },
    };
  if (type === 'timeseries')
    p.options = { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } };
  if (type === 'bargauge')
    p.options = {
      orientation: 'horizontal',
      displayMode: 'gradient',
      reduceOptions: { calcs: ['lastNotNull'], values: false },
    };
  if (type === 'stat') p.options = { reduceOptions: { calcs: ['lastNotNull'], values: false }, colorMode: 'value' };
  return p;
}

function dashboard(uid, title, description, panels, variables = []) {
  let x = 0;
  let y = 0;
  let rowH = 0;
  panels.forEach((p, i) => {
    p.id = i + 1;
    if (x + p.gridPos.w > 24) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    p.gridPos.x = x;
    p.gridPos.y = y;
    x += p.gridPos.w;
    rowH = Math.max(rowH, p.gridPos.h);
  });
  return {
    uid,
    title,
    description,
    tags: ['vnflab'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: '5s',
    time: { from: 'now-15m', to: 'now' },
    templating: { list: variables },
    annotations: { list: [] },
    panels,
  };
}

/** A dashboard variable holding every stage a metric reports (a repeated panel takes one each). */
function stageVariable(selector) {
  const query = `label_values(${selector}, stage)`;
  return {
    name: 'stage',
    label: 'stage',
    type: 'query',
    datasource: DS,
    query: { query, refId: 'stage' },
    definition: query,
    includeAll: true,
    multi: true,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    refresh: 2,
    sort: 1,
    hide: 0,
  };
}

function dashboards(registry) {
  const S = stageLists(registry);
  const rate = (m, by, f = '') => `sum by (${by}) (rate(${m}${f}[30s]))`;

  const overview = dashboard(
    'vnflab-overview',
    'vnflab: chain overview',
    'Packets, drops and latency of every stage of the running chain',
    [
      panel(
        'timeseries',
        'Packets/s out of each stage',
        [[rate('vnflab_packets_total', 'stage', '{direction="out"}'), '{{stage}}']],
        { unit: 'pps' },
      ),
      panel(
        'timeseries',
        'Drops/s by stage and reason',
        [[`${rate('vnflab_drops_total', 'stage, reason')} or on() vector(0)`, '{{stage}} {{reason}}']],
        {
          unit: 'pps',
          description: 'Every packet not received is here with its reason; a flat 0 means nothing dropped.',
        },
      ),
      panel(
        'timeseries',
        'End-to-end latency (probe to backends)',
        [
          ['chain:vnflab_e2e_latency_seconds:p50', 'p50'],
          ['chain:vnflab_e2e_latency_seconds:p90', 'p90'],
          ['chain:vnflab_e2e_latency_seconds:p99', 'p99'],
        ],
        { unit: 's' },
      ),
      panel(
        'timeseries',
        'Per-stage latency p99: queue (waiting on the bus) and process',
        [['stage:vnflab_stage_latency_seconds:p99', '{{stage}} {{part}}']],
        { unit: 's' },
      ),
      panel(
        'timeseries',
        'Garbage collection: time each process was paused, per second',
        [[rate('nodejs_gc_duration_seconds_sum', 'service, instance'), '{{service}} {{instance}}']],
        {
          unit: 'percentunit',
          description:
            'Node\'s collector stops a stage while it runs, and batches in that stage wait: on a small machine these pauses are a large part of a Redis hop\'s p99 (bench/RESULTS.md, "Garbage collection in a stage process"). One line per process: in compose each stage is one, embedded the whole chain is.',
        },
      ),
      panel(
        'timeseries',
        'Waiting for a CPU: time each process was ready to run while others held every core, per second',
        [[rate('vnflab_runqueue_wait_seconds_total', 'service, instance'), '{{service}} {{instance}}']],
        {
          unit: 'percentunit',
          description:
            "The kernel's run queue (/proc/self/schedstat of the event loop): a batch that reaches a stage while it waits here waits too, and no stage's CPU account contains this time. With more busy processes than cores (compose on a small machine) it is a large part of each Redis hop's latency (bench/RESULTS.md, \"Waiting for a CPU\").",
        },
      ),
      panel(
        'stat',
        'Sent, received, dropped, not sent (since start)',
        [
          [`sum(vnflab_packets_total{stage=~"${S.sources}", direction="out"})`, 'sent'],
          [`sum(vnflab_packets_total{stage="${S.sink}", direction="out"})`, 'received'],
          ['sum(vnflab_drops_total) or on() vector(0)', 'dropped'],
          ['sum(vnflab_generator_packets_total{kind="not_sent"}) or on() vector(0)', 'not sent'],
          ['sum(vnflab_generator_packets_total{kind="not_sent_late"}) or on() vector(0)', 'not sent: generator late'],
        ],
        {
          w: 12,
          h: 5,
          description:
            'Not sent: packets the generator offered on its schedule and fell too far behind to send, so zero drops never hides a shortfall. Generator late: the part of it the generator lost to its own lateness (its timers, its CPU) rather than to the chain holding it back.',
        },
      ),
      panel(
        'bargauge',
        'Batch size p50 per stage',
        [['histogram_quantile(0.5, sum by (stage, le) (rate(vnflab_batch_size_bucket[30s])))', '{{stage}}']],
        { w: 12, h: 5 },
      ),
    ],
  );

  const cpu = dashboard(
    'vnflab-cpu',
    'vnflab: CPU share (mTCP Figure 1)',
    'Where the CPU goes, grouped as mTCP Figure 1: packet I/O; kernel without TCP/IP; TCP/IP; application; the lab transport and the host threads (KVM) apart. mTCP measured 83 % kernel, 17 % application for lighttpd on Linux 3.10.',
    [
      panel('piechart', 'Whole chain (stages under test)', [['chain:vnflab_cpu_group_share:ratio30s', '{{group}}']], {
        unit: 'percentunit',
        w: 8,
      }),
      // one pie per stage under test that reports CPU, whatever the chain: Grafana repeats the panel
      {
        ...panel(
          'piechart',
          'Stage $stage',
          [['stage:vnflab_cpu_group_seconds:rate30s{stage="$stage"}', '{{group}}']],
          { unit: 's', w: 8 },
        ),
        repeat: 'stage',
        repeatDirection: 'h',
        maxPerRow: 3,
      },
      // mTCP Figure 1 as the paper draws it, a bar of the four groups, beside the paper's Linux
      // 3.10 bar; with VNFLAB_CHAIN=web it is the web server's (the client is a source, left out)
      panel(
        'bargauge',
        'Figure 1 bar: ours (stages under test) and the paper (lighttpd, Linux 3.10)',
        [
          // the guest's four groups only, as the paper's bar: the lab transport and host threads left out
          [
            `sum by (group) (stage:vnflab_cpu_group_seconds:rate30s{stage!~"${S.ends}", group!~"lab_transport|host"}) / ignoring (group) group_left sum (stage:vnflab_cpu_group_seconds:rate30s{stage!~"${S.ends}", group!~"lab_transport|host"})`,
            'ours: {{group}}',
          ],
          ...[
            ['packet_io', 0.045],
            ['kernel_without_tcpip', 0.453],
            ['tcpip', 0.336],
            ['application', 0.167],
          ].map(([g, v]) => [`label_replace(vector(${v}), "group", "${g}", "", "")`, `mTCP: {{group}}`]),
        ],
        { unit: 'percentunit', min: 0, max: 1, w: 16, h: 10 },
      ),
      panel(
        'timeseries',
        'Kernel versus application share over time',
        [
          ['chain:vnflab_kernel_share:ratio30s', 'kernel (packet I/O + kernel + TCP/IP)'],
          ['1 - chain:vnflab_kernel_share:ratio30s', 'application'],
        ],
        { unit: 'percentunit', min: 0, max: 1, w: 16 },
      ),
      panel(
        'bargauge',
        'CPU seconds per second by stage and category',
        [['stage:vnflab_cpu_seconds:rate30s > 0', '{{stage}} {{category}}']],
        { unit: 's', w: 12, h: 10 },
      ),
      panel(
        'bargauge',
        'CPU nanoseconds per packet by stage',
        [
          [
            '1e9 * sum by (stage) (stage:vnflab_cpu_seconds:rate30s) / sum by (stage) (stage:vnflab_packets:rate30s{direction="in"})',
            '{{stage}}',
          ],
        ],
        { unit: 'ns', w: 12, h: 10 },
      ),
    ],
    [stageVariable(`vnflab_cpu_seconds_total{stage!~"${S.ends}"}`)],
  );

  const nic = dashboard(
    'vnflab-nic',
    'vnflab: NIC and hypervisor',
    'Interrupts, VM exits, kicks and copies per packet; IOMMU faults; ring occupancy',
    [
      panel('timeseries', 'nic: events per packet', [
        ['stage:vnflab_events_per_packet:ratio30s{stage="nic"} > 0', '{{event}} ({{variant}})'],
      ]),
      panel('timeseries', 'kernel-path: events per packet', [
        ['stage:vnflab_events_per_packet:ratio30s{stage="kernel-path"} > 0', '{{event}} ({{variant}})'],
      ]),
      // the guest's CPU and the host threads' (vhost-net, QEMU, exit handling) apart; bus is the lab's transport
      panel(
        'timeseries',
        'nic: guest and host CPU per packet',
        [
          [
            '1e9 * sum by (variant) (stage:vnflab_cpu_seconds:rate30s{stage="nic", category!~"host|bus"}) / sum by (variant) (stage:vnflab_packets:rate30s{stage="nic", direction="in"})',
            'guest ({{variant}})',
          ],
          [
            '1e9 * sum by (variant) (stage:vnflab_cpu_seconds:rate30s{stage="nic", category="host"}) / sum by (variant) (stage:vnflab_packets:rate30s{stage="nic", direction="in"})',
            'host ({{variant}})',
          ],
        ],
        { unit: 'ns' },
      ),
      panel(
        'timeseries',
        'VM exits per second',
        [[`${rate('vnflab_events_total', 'stage, variant', '{event="vm_exit"}')}`, '{{stage}} {{variant}}']],
        { unit: 'ops' },
      ),
      panel(
        'timeseries',
        'IOMMU faults per second',
        [[`${rate('vnflab_iommu_faults_total', 'variant')} or on() vector(0)`, '{{variant}}']],
        { unit: 'ops' },
      ),
      panel('timeseries', 'Descriptor ring occupancy', [
        [`vnflab_ring_occupancy{stage=~"${S.withRing}"}`, '{{stage}} {{variant}}'],
      ]),
      panel('timeseries', 'Batches waiting on each stage input', [['vnflab_bus_pending', '{{stage}}']]),
    ],
  );

  const lb = dashboard(
    'vnflab-lb',
    'vnflab: load balancer',
    'Per-backend share, connection tracking and the disruption of the last backend change',
    [
      panel(
        'piechart',
        'Share of packets per backend',
        [[rate('vnflab_lb_backend_packets_total', 'backend'), '{{backend}}']],
        { unit: 'pps', w: 8 },
      ),
      panel(
        'bargauge',
        'Share of the lookup table per backend',
        [['sum by (backend) (vnflab_lb_backend_share_ratio)', '{{backend}}']],
        { unit: 'percentunit', w: 8 },
      ),
      panel(
        'stat',
        'Conntrack hit ratio',
        [
          [
            `sum(rate(vnflab_lb_conntrack_hits_total[30s])) / (sum(rate(vnflab_lb_conntrack_hits_total[30s])) + sum(rate(vnflab_lb_conntrack_misses_total[30s])))`,
            'hit ratio',
          ],
        ],
        { unit: 'percentunit', w: 8 },
      ),
      panel(
        'stat',
        'Entries moved on the last change (and the ideal)',
        [
          ['max(vnflab_lb_entries_moved_ratio)', 'moved'],
          ['max(vnflab_lb_entries_moved_ideal_ratio)', 'ideal'],
          ['max(vnflab_lb_flows_moved_ratio)', 'tracked flows moved'],
        ],
        { unit: 'percentunit', w: 12 },
      ),
      panel(
        'timeseries',
        'Conntrack entries',
        [
          ['sum(vnflab_lb_conntrack_entries)', 'entries'],
          ['sum(vnflab_lb_conntrack_capacity)', 'capacity'],
        ],
        { w: 12 },
      ),
      panel(
        'timeseries',
        'Packets/s received per backend (at the backends)',
        [[rate('vnflab_backend_packets_total', 'backend'), '{{backend}}']],
        { unit: 'pps', w: 24 },
      ),
    ],
  );

  const compare = dashboard(
    'vnflab-compare',
    'vnflab: compare variants',
    'The same measures split by variant, for A/B runs (vnflab compare, or a swap)',
    [
      panel(
        'timeseries',
        'Packets/s in, by stage and variant',
        [[rate('vnflab_packets_total', 'stage, variant', '{direction="in"}'), '{{stage}} {{variant}}']],
        { unit: 'pps' },
      ),
      panel(
        'timeseries',
        'CPU ns per packet, by stage and variant',
        [
          [
            '1e9 * sum by (stage, variant) (stage:vnflab_cpu_seconds:rate30s) / sum by (stage, variant) (stage:vnflab_packets:rate30s{direction="in"})',
            '{{stage}} {{variant}}',
          ],
        ],
        { unit: 'ns' },
      ),
      panel(
        'timeseries',
        'End-to-end latency p99, by variant',
        [['chain:vnflab_e2e_latency_seconds:p99', '{{variant}}']],
        { unit: 's' },
      ),
      panel('timeseries', 'Events per packet, by stage, variant and event', [
        ['stage:vnflab_events_per_packet:ratio30s > 0', '{{stage}} {{variant}} {{event}}'],
      ]),
      panel(
        'bargauge',
        'CPU share by group, per stage and variant',
        [
          [
            `stage:vnflab_cpu_group_seconds:rate30s{stage!~"${S.ends}"} / on (stage, variant) group_left sum by (stage, variant) (stage:vnflab_cpu_group_seconds:rate30s)`,
            '{{stage}} {{variant}} {{group}}',
          ],
        ],
        { unit: 'percentunit', w: 24, h: 10 },
      ),
    ],
  );

  return [overview, cpu, nic, lb, compare];
}

/** Every dashboard as [file, JSON text]. */
function dashboardFiles(registry) {
  return dashboards(registry).map((d) => [join(__dirname, `${d.uid}.json`), JSON.stringify(d, null, 2) + '\n']);
}

module.exports = { dashboardFiles, stageLists };

if (require.main === module) {
  const { discoverStages } = require('@vnflab/core');
  for (const [file, text] of dashboardFiles(discoverStages())) writeFileSync(file, text);
}
