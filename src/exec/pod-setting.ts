/** The `pod:<namespace>/<pod>[:<container>]` exec setting (no Kubernetes client needed to read it). */

export interface PodRef {
  namespace: string;
  pod: string;
  container: string | undefined;
}

/** `pod:<namespace>/<pod>[:<container>]` → its parts; undefined when it is not that shape. */
export function parsePodSetting(setting: string): PodRef | undefined {
  const m = /^pod:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)(?::([a-z0-9]([-a-z0-9]*[a-z0-9])?))?$/.exec(setting);
  if (!m) return undefined;
  return { namespace: m[1] as string, pod: m[3] as string, container: m[5] };
}

