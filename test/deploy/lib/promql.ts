// What a dashboard query reads, from the Prometheus project's own PromQL grammar (lezer-promql).
import { parser } from '@prometheus-io/lezer-promql';

export interface PromqlReads {
  /** Metric names selected (`name{...}` or `{__name__="name"}`). */
  metrics: string[];
  /** Label names used in matchers, `by (...)`/`without (...)` and `on`/`ignoring` clauses. */
  labels: string[];
  /** Syntax errors (positions), empty for a valid query. */
  errors: string[];
}

/**
 * Grafana expands these before Prometheus sees the query; replaced by values of the same syntax so
 * the query can be parsed: range variables by a duration, other `$var`s (only valid inside strings
 * in our dashboards) are left alone.
 */
function expandGrafanaVariables(expression: string): string {
  return expression
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\[\$\{?\w+\}?\]/g, '[5m]');
}

export function readsOf(expression: string): PromqlReads {
  const source = expandGrafanaVariables(expression);
  const tree = parser.parse(source);
  const metrics = new Set<string>();
  const labels = new Set<string>();
  const errors: string[] = [];
  tree.iterate({
    enter(node) {
      const text = source.slice(node.from, node.to);
      if (node.type.isError)
        errors.push(
          `syntax error at ${node.from}: ${JSON.stringify(source.slice(node.from, node.from + 20))}`,
        );
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        if (identifier !== null) metrics.add(source.slice(identifier.from, identifier.to));
      }
      if (node.name === 'UnquotedLabelMatcher' || node.name === 'QuotedLabelMatcher') {
        const name = node.node.getChild('LabelName') ?? node.node.getChild('QuotedLabelName');
        const value = node.node.getChild('StringLiteral');
        const labelName = name === null ? '' : source.slice(name.from, name.to).replace(/^"|"$/g, '');
        if (labelName === '__name__' && value !== null) {
          metrics.add(source.slice(value.from + 1, value.to - 1));
        } else if (labelName !== '') {
          labels.add(labelName);
        }
        return false;
      }
      if (node.name === 'LabelName') labels.add(text);
      return undefined;
    },
  });
  return { metrics: [...metrics].sort(), labels: [...labels].sort(), errors };
}

/** Grafana's `label_values(<selector>, <label>)` variable query (not PromQL itself). */
export function readsOfVariableQuery(query: string): PromqlReads {
  const match = /^\s*label_values\((.*),\s*(\w+)\s*\)\s*$/.exec(query);
  if (match === null) return readsOf(query);
  const reads = readsOf(match[1] as string);
  return { ...reads, labels: [...new Set([...reads.labels, match[2] as string])].sort() };
}
