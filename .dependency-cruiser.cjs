// Dependency rules of the code layout (ARCHITECTURE.md "Code layout"), checked by `pnpm lint`.
const components =
  'activity|agents|assignment|automations|calendars|call-rules|call-stats|calls|channels|cohorts|contacts|dashboard|deals|dialer|email|health|imports|leads|meetings|pipelines|presence|quotations|scoring|erasure|settings|signals|staff|tasks|telephony|tenants|whatsapp';
const plumbing = 'auth|config|crypto|cron|db|http|logging|queue|realtime|redis|storage|tenancy';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'components-through-index',
      severity: 'error',
      comment:
        "A component reaches another only through that one's index.ts (its public surface). " +
        'The composition root (src/app) and the test harness are exempt; so are tests.',
      from: { path: `^src/(${components})/`, pathNot: '\\.test\\.ts$' },
      to: { path: `^src/(${components})/`, pathNot: ['^src/$1/', `^src/(${components})/index\\.ts$`] },
    },
    {
      name: 'plumbing-never-imports-a-component',
      severity: 'error',
      comment: 'Shared plumbing knows no business component; components plug into it.',
      from: {
        path: `^src/(${plumbing})/`,
        pathNot: ['\\.test\\.ts$', '-test-kit\\.ts$', '\\.fixture\\.ts$'],
      },
      to: { path: [`^src/(${components})/`, '^src/app/'], pathNot: '^src/app/(services|component)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
