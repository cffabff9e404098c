import { defineConfig } from "vitest/config"

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        testTimeout: 60_000,
        hookTimeout: 60_000,
        // Scenario files mostly wait on the simulated hardware (about 20 % of a core each); vitest's
        // default on 2 cores is 1 worker. Three at a time: same per-file times, measured, and the
        // whole suite in about a third of the time.
        maxWorkers: 3,
    },
})
