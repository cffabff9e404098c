/** The benchmarks' entry point; their options are parsed as everywhere else (sim/options.ts). */
import { commandLine, type OptionSpec, type Options } from "../../host/options"

export { parseOptions, usage, UsageError } from "../../host/options"
export type { OptionSpec, Options } from "../../host/options"

/**
 * Standard entry point of a benchmark script: parses options (exit 2 with usage on error),
 * runs `main`, and exits 1 with the message on failure.
 */
export function runBench<S extends Record<string, OptionSpec>>(prog: string, specs: S, main: (o: Options<S>) => Promise<void>) {
    const opts = commandLine(prog, `npm run ${prog}`, process.argv.slice(2), specs)
    main(opts).then(
        () => process.exit(0),
        e => {
            console.error(`${prog}: ${(e as Error).stack ?? e}`)
            process.exit(1)
        },
    )
}
