#!/usr/bin/env node
// The `svc` command. This file is in the repository, not built, so npm links it into node_modules/.bin at install
// time even before the first build; it runs the compiled CLI.
import('../dist/bin.js').catch((error) => {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/bin.js')) throw error
  process.stderr.write('svc: the CLI is not built yet. Run `npm run build` first.\n')
  process.exit(1)
})
