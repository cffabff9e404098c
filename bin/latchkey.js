#!/usr/bin/env node
// The companion CLI (sim/cli.ts), run through tsx so no separate compile step is needed.
import { register } from "tsx/esm/api"

register()
await import("../sim/cli.ts")
