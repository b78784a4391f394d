// The labels the controller reads and writes. It manages a container only when every one of
// these identifies it as part of its compose project's chain.

export const LABEL_PROJECT = 'com.docker.compose.project';
export const LABEL_STAGE = 'vnflab.stage';
export const LABEL_VARIANT = 'vnflab.variant';
/** Written on a container the controller started: the container it replaced. */
export const LABEL_REPLACES = 'vnflab.replaces';
