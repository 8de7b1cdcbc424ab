export type ProvisionAction = 'created' | 'updated' | 'kept';

/** What provisioning did to one resource, in words a person reads in a terminal or a CI log. */
export interface ResourceReport {
  kind: 'queue' | 'table' | 'bucket' | 'topic' | 'subscription';
  name: string;
  action: ProvisionAction;
  /** Settings changed on an existing resource, e.g. `VisibilityTimeout 60 -> 2`. */
  changes: string[];
  /** Differences provisioning cannot fix without replacing the resource (key schema, TTL attribute). */
  drift: string[];
  /** Settings the endpoint does not support (an emulator), left as they are. */
  notes: string[];
}

export function newReport(kind: ResourceReport['kind'], name: string): ResourceReport {
  return { kind, name, action: 'kept', changes: [], drift: [], notes: [] };
}

export function formatReport(reports: readonly ResourceReport[]): string {
  const width = Math.max(...reports.map((r) => r.name.length), 4);
  const lines = reports.map((r) => {
    const details = [...r.changes, ...r.drift.map((d) => `DRIFT: ${d}`), ...r.notes.map((n) => `note: ${n}`)];
    const head = `  ${r.action.padEnd(7)} ${r.kind.padEnd(6)} ${r.name.padEnd(width)}`;
    return details.length === 0 ? head.trimEnd() : `${head}  ${details.join('; ')}`;
  });
  const count = (a: ProvisionAction) => reports.filter((r) => r.action === a).length;
  const drift = reports.reduce((n, r) => n + r.drift.length, 0);
  const summary =
    `${count('created')} created, ${count('updated')} updated, ${count('kept')} kept` +
    (drift > 0 ? `, ${drift} drift problem(s) need a person` : '');
  return [...lines, `  ${summary}`].join('\n');
}
