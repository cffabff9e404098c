// The door part of the core's cases (test/cases/all.ts doorSuites) inside the DeviceScript VM.
// Built by scripts/build.ts into build/core-door-tests.devs; run by core-in-vm.test.ts.
import { doorSuites } from "../cases/all"
import { runSuites } from "./run-cases"

await runSuites(doorSuites())
