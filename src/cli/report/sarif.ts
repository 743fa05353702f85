/** SARIF 2.1.0 output, so code scanning (GitHub, GitLab, Azure DevOps) shows findings inline at the YAML line. */

export interface SarifRuleInput {
  id: string;
  description: string;
  helpUri?: string;
}

export interface SarifResultInput {
  ruleId: string;
  level: 'error' | 'warning' | 'note';
  message: string;
  file: string;
  line: number;
  column: number;
  /** Stable identity across runs, so code scanning tracks a result instead of reopening it. */
  fingerprint?: string;
  properties?: Record<string, unknown>;
}

export function sarifLog(results: SarifResultInput[], rules: SarifRuleInput[], tool = { name: 'ggi', version: '0.1.0', informationUri: 'https://github.com/ggi-netwerk/ggi' }): object {
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            informationUri: tool.informationUri,
            rules: rules.map((r) => ({ id: r.id, shortDescription: { text: r.description }, ...(r.helpUri ? { helpUri: r.helpUri } : {}) })),
          },
        },
        columnKind: 'unicodeCodePoints',
        results: results.map((r) => ({
          ruleId: r.ruleId,
          ...(ruleIndex.has(r.ruleId) ? { ruleIndex: ruleIndex.get(r.ruleId) } : {}),
          level: r.level,
          message: { text: r.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: r.file.split('\\').join('/'), uriBaseId: '%SRCROOT%' },
                region: { startLine: Math.max(1, r.line), startColumn: Math.max(1, r.column) },
              },
            },
          ],
          ...(r.fingerprint ? { partialFingerprints: { 'ggi/v1': r.fingerprint } } : {}),
          ...(r.properties ? { properties: r.properties } : {}),
        })),
      },
    ],
  };
}
