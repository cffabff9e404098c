// The administration part of the core's cases (test/cases/all.ts adminSuites) inside the
// DeviceScript VM. Built by scripts/build.ts into build/core-admin-tests.devs; run by
// core-in-vm.test.ts.
import { adminSuites } from "../cases/all"
import { runSuites } from "./run-cases"

await runSuites(adminSuites())
