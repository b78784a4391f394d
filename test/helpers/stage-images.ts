// Stage images under a tag of one test's own (the VNFLAB_VERSION that docker-compose.yml's and
// deploy/swarm/stack.yml's image: lines read). A Swarm starts every new task (an update, a scale)
// from whatever image its tag names at that moment, so a test on the shared vnflab/<stage>:0.1.0
// ran another checkout's code when a neighbour rebuilt that tag mid-run. A tag of its own is
// pinned: `docker tag` of the shared images when they are current (instant), else a build
// (infra/docker/build-offline.sh, minutes); `remove()` drops only this tag.

import { spawnSync } from 'node:child_process';
import { staleImages } from '@vnflab/lab';

export interface StageImagesOptions {
  /** The tag to copy from when its images are current (default the shared 0.1.0). */
  from?: string;
  /** Build when they are not (default true); false: an error saying which image is stale. */
  build?: boolean;
  log?: (m: string) => void;
}

export class StageImages {
  private readonly from: string;
  private readonly log: (m: string) => void;

  constructor(
    readonly root: string,
    readonly stages: string[],
    readonly tag: string,
    readonly o: StageImagesOptions = {},
  ) {
    this.from = o.from ?? '0.1.0';
    this.log = o.log ?? (() => undefined);
  }

  /** Makes vnflab/<stage>:<tag> for every stage, each at least as new as this checkout's build output. */
  prepare(): void {
    // tag first, then judge what was tagged: a rebuild of the shared tag after this line changes nothing here
    for (const s of this.stages)
      spawnSync('docker', ['tag', `vnflab/${s}:${this.from}`, `vnflab/${s}:${this.tag}`], { stdio: 'ignore' });
    const stale = staleImages(this.root, this.stages, this.tag);
    if (!stale) {
      this.log(`stage images: vnflab/<stage>:${this.from} are current, tagged ${this.tag}`);
      return;
    }
    if (this.o.build === false) throw new Error(`stage images from tag ${this.from}: ${stale}`);
    this.log(`building the stage images as ${this.tag}: ${stale}`);
    const b = spawnSync('bash', ['infra/docker/build-offline.sh'], {
      cwd: this.root,
      encoding: 'utf8',
      timeout: 2400000, // five images on a busy two-core machine: several minutes
      env: { ...process.env, VNFLAB_VERSION: this.tag, VNFLAB_STAGES: this.stages.join(' ') },
    });
    if (b.status !== 0) throw new Error(`build-offline.sh failed (${b.status ?? b.signal}): ${b.stderr.slice(-2000)}`);
    const still = staleImages(this.root, this.stages, this.tag);
    if (still) throw new Error(`after build-offline.sh: ${still}`);
  }

  /** Removes this tag from every stage image (the image itself stays while another tag names it). */
  remove(): void {
    spawnSync('docker', ['rmi', ...this.stages.map((s) => `vnflab/${s}:${this.tag}`)], { stdio: 'ignore' });
  }
}
