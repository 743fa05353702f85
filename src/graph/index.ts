import { indexInventory, type Inventory } from '../model/inventory';
import { dotString } from '../util/escape/dot';
import { mermaidId, mermaidLabel } from '../util/escape/mermaid';

/** The topology as a plain graph: zones, the KPS, connection points, samenwerkingsverbanden with members, suppliers. */
export interface GraphNode {
  id: string;
  label: string;
  kind: 'zone' | 'kps' | 'organisation' | 'samenwerkingsverband' | 'member' | 'supplier' | 'service';
  cluster?: string;
}
export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
  style?: 'solid' | 'dashed';
}
export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function topologyGraph(inv: Inventory): Graph {
  const idx = indexInventory(inv);
  const nodes: GraphNode[] = [
    { id: 'zone_overheid', label: 'overheid zone', kind: 'zone' },
    { id: 'zone_markt', label: 'markt zone', kind: 'zone' },
    { id: 'kps', label: 'Diginetwerk (KPS)', kind: 'kps' },
  ];
  const edges: GraphEdge[] = [{ from: 'zone_overheid', to: 'kps', label: 'eBGP' }];
  const nid = (id: string) => `org_${id}`;
  for (const o of [...inv.organisations].sort((a, b) => a.id.localeCompare(b.id))) {
    const cp = o.connectionPoint;
    if (o.kind === 'leverancier') {
      const signed = Boolean(o.ggiAfspraken?.signed);
      nodes.push({ id: nid(o.id), label: `${o.name}\n${o.id}${signed ? '' : ' (GGI-Afspraken not signed)'}`, kind: 'supplier' });
      if (cp && signed) edges.push({ from: nid(o.id), to: 'zone_markt', label: cp.device });
      continue;
    }
    if (o.servedBy) {
      nodes.push({ id: nid(o.id), label: `${o.name}\n${o.id}`, kind: 'member', cluster: o.servedBy });
      edges.push({ from: nid(o.id), to: nid(o.servedBy), style: 'dashed', label: 'servedBy' });
      continue;
    }
    const members = idx.members.get(o.id) ?? [];
    nodes.push({ id: nid(o.id), label: `${o.name}\n${o.id}`, kind: members.length ? 'samenwerkingsverband' : 'organisation', ...(members.length ? { cluster: o.id } : {}) });
    for (const z of cp?.zones ?? []) edges.push({ from: nid(o.id), to: `zone_${z}`, label: cp!.device });
  }
  for (const s of [...inv.services].sort((a, b) => a.name.localeCompare(b.name))) {
    nodes.push({ id: `svc_${s.name}`, label: s.name, kind: 'service' });
    edges.push({ from: s.provider === 'kps' ? 'kps' : nid(s.provider), to: `svc_${s.name}`, style: 'dashed' });
  }
  return { nodes, edges };
}

const q = dotString;
const SHAPE: Record<GraphNode['kind'], string> = {
  zone: 'shape=ellipse, style=filled, fillcolor="#dbe9f6"',
  kps: 'shape=doubleoctagon, style=filled, fillcolor="#f6e7db"',
  organisation: 'shape=box',
  samenwerkingsverband: 'shape=box, style=bold',
  member: 'shape=box, style=rounded',
  supplier: 'shape=component',
  service: 'shape=note, fontsize=10',
};

export function toDot(g: Graph): string {
  const lines = ['digraph ggi {', '  graph [rankdir=LR, fontname="Helvetica", label="GGI-Netwerk", labelloc=t];', '  node [fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=9];'];
  const clusters = new Map<string, GraphNode[]>();
  for (const n of g.nodes) if (n.cluster) clusters.set(n.cluster, [...(clusters.get(n.cluster) ?? []), n]);
  for (const n of g.nodes) if (!n.cluster) lines.push(`  ${q(n.id)} [label=${q(n.label)}, ${SHAPE[n.kind]}];`);
  for (const [c, ns] of clusters) {
    lines.push(`  subgraph ${q(`cluster_${c}`)} {`, `    label=${q(`samenwerkingsverband ${c}`)}; style=dashed;`);
    for (const n of ns) lines.push(`    ${q(n.id)} [label=${q(n.label)}, ${SHAPE[n.kind]}];`);
    lines.push('  }');
  }
  for (const e of g.edges) lines.push(`  ${q(e.from)} -> ${q(e.to)}${e.label || e.style ? ` [${[e.label ? `label=${q(e.label)}` : '', e.style === 'dashed' ? 'style=dashed' : ''].filter(Boolean).join(', ')}]` : ''};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

export function toMermaid(g: Graph): string {
  const id = mermaidId;
  const label = mermaidLabel;
  const open: Record<GraphNode['kind'], [string, string]> = {
    zone: ['(["', '"])'], kps: ['{{"', '"}}'], organisation: ['["', '"]'], samenwerkingsverband: ['[["', '"]]'], member: ['("', '")'], supplier: ['[/"', '"/]'], service: ['>"', '"]'],
  };
  const lines = ['flowchart LR'];
  const clusters = new Map<string, GraphNode[]>();
  for (const n of g.nodes) if (n.cluster) clusters.set(n.cluster, [...(clusters.get(n.cluster) ?? []), n]);
  for (const n of g.nodes) if (!n.cluster) lines.push(`  ${id(n.id)}${open[n.kind][0]}${label(n.label)}${open[n.kind][1]}`);
  for (const [c, ns] of clusters) {
    lines.push(`  subgraph ${id(`sv_${c}`)}["${label(`samenwerkingsverband ${c}`)}"]`);
    for (const n of ns) lines.push(`    ${id(n.id)}${open[n.kind][0]}${label(n.label)}${open[n.kind][1]}`);
    lines.push('  end');
  }
  for (const e of g.edges) lines.push(`  ${id(e.from)} ${e.style === 'dashed' ? '-.->' : '-->'}${e.label ? `|${label(e.label)}|` : ''} ${id(e.to)}`);
  return lines.join('\n') + '\n';
}
