// Generate the typed API client from openapi.json (which `make api` writes from the server).
// `node scripts/generate-api.mjs [OUT_DIR]`: OUT_DIR defaults to src/api/generated; the test
// suite generates into a temporary folder and compares, so a stale client fails the tests.
import { createClient } from '@hey-api/openapi-ts'

const output = process.argv[2] ?? 'src/api/generated'
await createClient({
  input: 'openapi.json',
  output: { path: output },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
  logs: { level: 'silent' },
})
