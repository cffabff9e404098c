/**
 * README.md and docs/*.md say what works: the README stays short and links every page, every
 * relative link and anchor resolves, every npm command and script exists, every repository path
 * written in code exists, and every companion command line is one the CLI accepts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { parseCli, UsageError } from "../../companion/cli"
import { ROOT } from "../../host/paths"
import { anchorsOf, codeOf, linksOf, shellCommands } from "./markdown"

const README = join(ROOT, "README.md")
const DOCS = join(ROOT, "docs")
const README_MAX_LINES = 150

const docPages = () => readdirSync(DOCS).filter(f => f.endsWith(".md")).sort()
const documents = () => [README, ...docPages().map(f => join(DOCS, f))]
const read = (f: string) => readFileSync(f, "utf8")
const scripts = (): Record<string, string> => JSON.parse(read(join(ROOT, "package.json"))).scripts

/** npm's own commands (npm 10 and 11), aliases left out: the docs use the full names. */
const NPM_COMMANDS = new Set(
    ("access adduser audit bugs cache ci completion config dedupe deprecate diff dist-tag docs doctor edit exec explain " +
        "explore find-dupes fund get help help-search init install install-ci-test install-test link ll login logout ls org " +
        "outdated owner pack ping pkg prefix profile prune publish query rebuild repo restart root run run-script sbom search " +
        "set shrinkwrap star stars start stop team test token uninstall unpublish unstar update version view whoami").split(" "),
)
/** npm commands that run the package's script of the same name. */
const SCRIPT_COMMANDS = new Set(["start", "test", "stop", "restart"])
/** The repository's folders: a path in code that starts with one of them must exist. */
const REPO_PATH = /^(?:\.\/)?(?:src|sim|companion|host|web|scripts|bench|test|docs|services|bin|types|\.ci)\/[\w.\-/*]*$/

type Problem = string

/** The words of each command in `code`, with leading VAR=value assignments dropped. */
function commandsIn(text: string): string[][] {
    return shellCommands(text).map(words => {
        let i = 0
        while (i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i])) i++
        return words.slice(i)
    })
}

/** Relative links whose file is missing, or whose #anchor names no heading there. */
export function brokenLinks(file: string, text: string): Problem[] {
    const out: Problem[] = []
    for (const { target, line } of linksOf(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // http:, https:, mailto:
        const [path, anchor] = target.split("#", 2)
        const dest = path === "" ? file : resolve(dirname(file), decodeURIComponent(path))
        const where = `${relative(ROOT, file)}:${line}: ${target}`
        if (path !== "" && !existsSync(dest)) {
            out.push(`${where}: no such file`)
            continue
        }
        if (anchor !== undefined && dest.endsWith(".md") && !anchorsOf(path === "" ? text : read(dest)).has(anchor)) out.push(`${where}: no heading with that anchor`)
    }
    return out
}

/** `npm run X` naming no script, `npm X` that is neither npm's nor a script, `npx X` not installed. */
export function badNpmCommands(file: string, text: string, known: Record<string, string>): Problem[] {
    const out: Problem[] = []
    const where = (line: number) => `${relative(ROOT, file)}:${line}`
    // in prose as well as in code
    text.split("\n").forEach((l, i) => {
        for (const m of l.matchAll(/\bnpm run(?:-script)? ([\w:.-]*[\w])/g)) if (!(m[1] in known)) out.push(`${where(i + 1)}: npm run ${m[1]}: no such script in package.json`)
    })
    for (const code of codeOf(text))
        for (const words of commandsIn(code.text)) {
            if (words[0] === "npm" && words[1] && !/^(run|run-script)$/.test(words[1])) {
                const sub = words[1]
                if (sub.startsWith("-")) continue
                if (!NPM_COMMANDS.has(sub)) out.push(`${where(code.line)}: npm ${sub}: not an npm command`)
                else if (SCRIPT_COMMANDS.has(sub) && !(sub in known)) out.push(`${where(code.line)}: npm ${sub}: package.json has no "${sub}" script`)
            }
            if (words[0] === "npx" && words[1] && !words[1].startsWith("-") && !existsSync(join(ROOT, "node_modules", ".bin", words[1])))
                out.push(`${where(code.line)}: npx ${words[1]}: not installed in node_modules/.bin`)
        }
    return out
}

/** True when `path` (which may hold `*` in its last part) names something in the repository. */
function exists(path: string): boolean {
    const p = join(ROOT, path)
    if (!path.includes("*")) return existsSync(p)
    const dir = dirname(p)
    const re = new RegExp(`^${p.slice(dir.length + 1).replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`)
    return existsSync(dir) && statSync(dir).isDirectory() && readdirSync(dir).some(f => re.test(f))
}

/** Repository paths written in code (`src/core/lock.ts`, `bench/*.svg`, `sim/devices/`) that do not exist. */
export function missingPaths(file: string, text: string): Problem[] {
    const out: Problem[] = []
    for (const code of codeOf(text))
        for (const words of commandsIn(code.text))
            for (const w of words) {
                const path = w.replace(/^[(<]+/, "").replace(/[.,:;)>]+$/, "")
                if (REPO_PATH.test(path) && !exists(path)) out.push(`${relative(ROOT, file)}:${code.line}: ${path}: no such file or folder`)
            }
    return out
}

/** The arguments after the companion CLI's name, when `words` runs it. */
function companionArgs(words: string[]): string[] | null {
    if (words[0] === "latchkey") return words.slice(1)
    if (words[0] === "npm" && words[1] === "run" && words[2] === "latchkey") return words.slice(words[3] === "--" ? 4 : 3)
    if (words[0] === "node" && /(^|\/)bin\/latchkey\.js$/.test(words[1] ?? "")) return words.slice(2)
    return null
}

/**
 * Companion command lines the CLI would refuse. A fenced line is an example typed as it is
 * shown: the CLI must accept all of it. An inline one may hold placeholders (`revoke N`): its
 * command, subcommand and options must be known.
 */
export function badCompanionCommands(file: string, text: string): Problem[] {
    const out: Problem[] = []
    for (const code of codeOf(text))
        for (const words of commandsIn(code.text)) {
            const args = companionArgs(words)
            // `latchkey …`: the CLI named, no command written out
            if (args === null || args.length === 0 || /^(…|\.\.\.)$/.test(args[0])) continue
            try {
                parseCli(args)
            } catch (e) {
                if (!(e instanceof UsageError)) throw e
                const naming = /unknown (command|option)|^users takes|^clock takes|is an option of|no command given/.test(e.message)
                if (code.fenced || naming) out.push(`${relative(ROOT, file)}:${code.line}: latchkey ${args.join(" ")}: ${e.message}`)
            }
        }
    return out
}

describe("README.md", () => {
    it(`has at most ${README_MAX_LINES} lines`, () => {
        expect(read(README).replace(/\n$/, "").split("\n").length).toBeLessThanOrEqual(README_MAX_LINES)
    })

    it("links every page of docs/", () => {
        const linked = new Set(linksOf(read(README)).map(l => resolve(ROOT, l.target.split("#")[0])))
        expect(docPages().length).toBeGreaterThan(0)
        expect(docPages().filter(f => !linked.has(join(DOCS, f)))).toEqual([])
    })
})

describe("README.md and docs/*.md", () => {
    it("every relative link reaches a file, and every #anchor a heading", () => {
        expect(documents().flatMap(f => brokenLinks(f, read(f)))).toEqual([])
    })

    it("every npm command is npm's or a script of package.json, every npx tool is installed", () => {
        const known = scripts()
        expect(documents().flatMap(f => badNpmCommands(f, read(f), known))).toEqual([])
    })

    it("every repository path written in code exists", () => {
        expect(documents().flatMap(f => missingPaths(f, read(f)))).toEqual([])
    })

    it("every companion command line is one companion/cli.ts accepts", () => {
        expect(documents().flatMap(f => badCompanionCommands(f, read(f)))).toEqual([])
    })
})

describe("the docs checks", () => {
    const file = join(DOCS, "example.md")
    const doc = [
        "# Example",
        "## Set up (`npm start`)",
        "[ok](../README.md) [ok too](#set-up-npm-start) [gone](missing.md) [no anchor](#nowhere) [bad anchor](../README.md#no-such-heading) [web](https://example.org/x)",
        "Run `npm run no-such-script`, `npm frobnicate`, `npm start`, `npx no-such-tool`.",
        "Read `src/core/lock.ts`, `src/core/no-such.ts`, `bench/*.svg`, `bench/*.nothing`, `~/.latchkey/keys.json`.",
        "Then `latchkey revoke N`, `latchkey unlokc`, `npm run latchkey -- users frob 2`.",
        "```sh",
        "npm run latchkey -- users add --name Alice   # a comment: latchkey nonsense",
        "echo 5283 | npm run latchkey -- users add Alice",
        "npm run latchkey -- status --replace",
        "```",
    ].join("\n")

    it("find a missing file and a missing anchor, and pass good links", () => {
        expect(brokenLinks(file, doc)).toEqual([
            "docs/example.md:3: missing.md: no such file",
            "docs/example.md:3: #nowhere: no heading with that anchor",
            "docs/example.md:3: ../README.md#no-such-heading: no heading with that anchor"])
    })

    it("find an unknown script, a command npm does not have and a tool not installed", () => {
        expect(badNpmCommands(file, doc, { start: "x", latchkey: "x" })).toEqual([
            "docs/example.md:4: npm run no-such-script: no such script in package.json",
            "docs/example.md:4: npm frobnicate: not an npm command",
            "docs/example.md:4: npx no-such-tool: not installed in node_modules/.bin",
        ])
        expect(badNpmCommands(file, doc, { latchkey: "x" })).toContain("docs/example.md:4: npm start: package.json has no \"start\" script")
    })

    it("find a repository path that does not exist, and leave other paths alone", () => {
        expect(missingPaths(file, doc)).toEqual(["docs/example.md:5: src/core/no-such.ts: no such file or folder", "docs/example.md:5: bench/*.nothing: no such file or folder"])
    })

    it("find companion commands the CLI refuses, and accept placeholders inline", () => {
        expect(badCompanionCommands(file, doc)).toEqual([
            "docs/example.md:9: latchkey users add Alice: users add takes no arguments (the code is read from standard input)",
            "docs/example.md:10: latchkey status --replace: --replace is an option of `enrol` only",
            expect.stringContaining("docs/example.md:6: latchkey unlokc: unknown command"),
            expect.stringContaining("docs/example.md:6: latchkey users frob 2: users takes list, add"),
        ])
    })
})
