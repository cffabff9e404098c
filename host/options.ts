/**
 * Command-line options for the simulators, the benchmarks and the scripts: `--name value` (or
 * `--name=value`) pairs, checked against a declared list, with a clear error and the usage line on
 * anything unknown or malformed (exit code 2).
 */
export interface OptionSpec {
    /** "int" and "number" must parse as such within [min, max]; "flag" takes no value. */
    type: "int" | "number" | "flag" | "string"
    default?: number | boolean | string
    min?: number
    max?: number
    help: string
}

export type Options<S extends Record<string, OptionSpec>> = { [K in keyof S]: S[K]["type"] extends "flag" ? boolean : S[K]["type"] extends "string" ? string : number }

export class UsageError extends Error {}

/** The usage text: `command` as the user types it (e.g. "npm start"), then one line per option. */
export function usage(command: string, specs: Record<string, OptionSpec>): string {
    const lines = Object.entries(specs).map(([name, s]) => {
        const arg = s.type === "flag" ? "" : s.type === "string" ? " TEXT" : " N"
        const def = s.default === undefined || s.type === "flag" ? "" : ` (default ${s.default})`
        return `  --${name}${arg}  ${s.help}${def}`
    })
    return `usage: ${command} -- [options]\n${lines.join("\n")}`
}

/** Parses argv against `specs`; throws UsageError with a precise message. */
export function parseOptions<S extends Record<string, OptionSpec>>(argv: string[], specs: S): Options<S> {
    const out: Record<string, unknown> = {}
    for (const [name, s] of Object.entries(specs)) out[name] = s.type === "flag" ? false : s.default
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]
        if (!a.startsWith("--")) throw new UsageError(`unexpected argument "${a}" (options start with --)`)
        const [name, inline] = a.slice(2).split("=", 2)
        const s = specs[name]
        if (!s) throw new UsageError(`unknown option "--${name}"`)
        if (s.type === "flag") {
            if (inline !== undefined) throw new UsageError(`--${name} takes no value`)
            out[name] = true
            continue
        }
        const raw = inline ?? argv[++i]
        if (raw === undefined || (inline === undefined && raw.startsWith("--")))
            throw new UsageError(`--${name} needs a value`)
        if (s.type === "string") {
            out[name] = raw
            continue
        }
        const v = Number(raw.replace(/_/g, ""))
        if (!/^[-+]?[\d_.]+(e\d+)?$/i.test(raw) || !isFinite(v) || (s.type === "int" && !Number.isInteger(v)))
            throw new UsageError(`--${name} must be ${s.type === "int" ? "an integer" : "a number"} (got "${raw}")`)
        if (s.min !== undefined && v < s.min) throw new UsageError(`--${name} must be at least ${s.min} (got ${v})`)
        if (s.max !== undefined && v > s.max) throw new UsageError(`--${name} must be at most ${s.max} (got ${v})`)
        out[name] = v
    }
    return out as Options<S>
}


/**
 * The options of a program run from the command line: --help prints the usage and exits 0; a
 * usage error prints `prog: what is wrong` and the usage, and exits 2.
 */
export function commandLine<S extends Record<string, OptionSpec>>(prog: string, command: string, argv: string[], specs: S): Options<S> {
    if (argv.includes("--help") || argv.includes("-h")) {
        console.log(usage(command, specs))
        process.exit(0)
    }
    try {
        return parseOptions(argv, specs)
    } catch (e) {
        if (!(e instanceof UsageError)) throw e
        console.error(`${prog}: ${e.message}\n${usage(command, specs)}`)
        process.exit(2)
    }
}
