/**
 * The rooms' layout, checked on madge's import graph of the TypeScript sources: no import cycle
 * between files or between rooms, no module under scripts/ imported from another folder, and a
 * core that imports only itself.
 *
 * Type-only imports (`import type`, or specifiers all marked `type`) are left out of the
 * file-level cycles: they are erased, so they cannot change the order modules load in. They count
 * everywhere else: a room that names another room's types depends on it.
 */
import madge from "madge"
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ROOT } from "../../host/paths"

type Graph = Record<string, string[]>

/** The rooms, innermost first; src/main*.ts, the firmware's entry points, belong to src/firmware. */
const ROOMS = ["src/core", "src/config", "src/firmware", "sim", "companion", "host", "web", "bench", "scripts", "test"]
const FOLDERS = ["src", "sim", "companion", "host", "web", "bench", "scripts", "test"]
/** Folders with no import cycle among their files. */
const NO_FILE_CYCLES = ["src", "sim", "companion", "host", "web", "bench", "scripts"]

/** The import graph of `folders` under `base` (file paths relative to it). */
async function importGraph(base: string, folders: string[], o: { typeImports: boolean; npm: boolean }) {
    const skipTypeImports = !o.typeImports
    return madge(
        folders.map(f => join(base, f)),
        {
            baseDir: base,
            fileExtensions: ["ts"],
            tsConfig: join(ROOT, "tsconfig.json"),
            includeNpm: o.npm,
            detectiveOptions: { ts: { skipTypeImports } },
        },
    )
}

/** madge's cycles that run through a file of `folders`. */
function cyclesIn(cycles: string[][], folders: string[]): string[] {
    return cycles.filter(c => c.some(f => folders.some(d => f.startsWith(d + "/")))).map(c => c.join(" -> "))
}

/** The room of a file; null for a package's file. */
function roomOf(file: string): string | null {
    // (a node_modules that is a link resolves outside the checkout: ../x/node_modules/...)
    if (file.startsWith("node_modules/") || file.includes("/node_modules/")) return null
    if (/^src\/[^/]+\.ts$/.test(file)) return "src/firmware"
    const room = ROOMS.find(r => file.startsWith(r + "/"))
    if (!room) throw new Error(`${file} is in no room: add its folder to ROOMS in test/config/layout.test.ts`)
    return room
}

/** room -> room it imports -> one file import that makes the edge. */
function roomGraph(g: Graph): Map<string, Map<string, string>> {
    const rooms = new Map<string, Map<string, string>>()
    for (const [file, deps] of Object.entries(g)) {
        const from = roomOf(file)
        if (!from) continue
        for (const dep of deps) {
            const to = roomOf(dep)
            if (!to || to === from) continue
            if (!rooms.has(from)) rooms.set(from, new Map())
            if (!rooms.get(from)!.has(to)) rooms.get(from)!.set(to, `${file} imports ${dep}`)
        }
    }
    return rooms
}

/** Every room edge that some path leads back from, with the file import that makes it. */
function roomCycles(g: Graph): string[] {
    const rooms = roomGraph(g)
    const reaches = (from: string, to: string): boolean => {
        const seen = new Set<string>()
        const todo = [from]
        while (todo.length) {
            const r = todo.pop()!
            if (r === to) return true
            if (seen.has(r)) continue
            seen.add(r)
            for (const next of rooms.get(r)?.keys() ?? []) todo.push(next)
        }
        return false
    }
    const out: string[] = []
    for (const [from, tos] of rooms) for (const [to, why] of tos) if (reaches(to, from)) out.push(`${from} -> ${to} (${why}), and ${to} leads back to ${from}`)
    return out
}

/** Imports of a module under scripts/ from a file outside it. */
function scriptImports(g: Graph): string[] {
    const out: string[] = []
    for (const [file, deps] of Object.entries(g))
        if (!file.startsWith("scripts/")) for (const dep of deps) if (dep.startsWith("scripts/")) out.push(`${file} imports ${dep}`)
    return out
}

/** Imports of a src/core file that leave src/core (a package's file included). */
function coreImportsOutside(g: Graph): string[] {
    const out: string[] = []
    for (const [file, deps] of Object.entries(g))
        if (file.startsWith("src/core/")) for (const dep of deps) if (!dep.startsWith("src/core/")) out.push(`${file} imports ${dep}`)
    return out
}

function tsFiles(folder: string): string[] {
    return (readdirSync(join(ROOT, folder), { recursive: true }) as string[])
        .filter(f => f.endsWith(".ts") && !f.endsWith(".d.ts"))
        .map(f => `${folder}/${f.split("\\").join("/")}`)
}

describe("layout (madge's import graph)", () => {
    /** Runtime imports only. */
    let runtime: Awaited<ReturnType<typeof importGraph>>
    /** Type-only imports too, and the packages' files. */
    let full: Graph
    let skipped: string[]

    beforeAll(async () => {
        runtime = await importGraph(ROOT, FOLDERS, { typeImports: false, npm: false })
        const all = await importGraph(ROOT, FOLDERS, { typeImports: true, npm: true })
        full = all.obj()
        skipped = all.warnings().skipped
    })

    it("sees every TypeScript file and resolves our own imports", () => {
        const files = Object.keys(full)
        for (const folder of FOLDERS) for (const f of tsFiles(folder)) expect(files, `${f} missing from the graph`).toContain(f)
        // what madge could not resolve is a package the firmware build unpacks, never one of our files
        for (const s of skipped) expect(s, `unresolved import ${s}`).toMatch(/^@[a-z]+\//)
        expect(full["src/firmware/lock.ts"]).toContain("src/core/index.ts")
        expect(full["test/config/layout.test.ts"]).toContain("host/paths.ts")
    })

    it(`no import cycle among the files of ${NO_FILE_CYCLES.join(", ")}`, () => {
        expect(cyclesIn(runtime.circular(), NO_FILE_CYCLES)).toEqual([])
    })

    it(`no import cycle between rooms (${ROOMS.join(", ")})`, () => {
        expect(roomCycles(full)).toEqual([])
    })

    it("no module under scripts/ is imported from another folder", () => {
        expect(scriptImports(full)).toEqual([])
    })

    it("src/core imports nothing outside src/core (no package: no @devicescript)", async () => {
        expect(coreImportsOutside(full)).toEqual([])
        // a package import the graph could not resolve is named only in the warnings
        const core = await importGraph(ROOT, ["src/core"], { typeImports: true, npm: true })
        expect(core.warnings().skipped).toEqual([])
        expect(coreImportsOutside(core.obj())).toEqual([])
    })
})

describe("layout checks catch what they look for", () => {
    let dir: string
    const write = (file: string, text: string) => writeFileSync(join(dir, file), text)

    beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), "latchkey-layout-"))
        mkdirSync(join(dir, "src"))
    })
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it("a file cycle; a cycle of type-only imports is not one", async () => {
        write("src/a.ts", 'import { b } from "./b"\nexport const a = () => b\n')
        write("src/b.ts", 'import { a } from "./a"\nexport const b = () => a\n')
        write("src/c.ts", 'import type { D } from "./d"\nexport interface C { d: D }\n')
        write("src/d.ts", 'import { type C } from "./c"\nexport interface D { c?: C }\n')
        const g = await importGraph(dir, ["src"], { typeImports: false, npm: false })
        expect(cyclesIn(g.circular(), ["src"])).toEqual(["src/a.ts -> src/b.ts"])
        const typed = await importGraph(dir, ["src"], { typeImports: true, npm: false })
        expect(typed.obj()["src/c.ts"]).toEqual(["src/d.ts"])
    })

    it("a room cycle, an import from scripts/, a core import leaving the core", () => {
        const g: Graph = {
            "host/paths.ts": ["sim/vm.ts"],
            "sim/vm.ts": ["host/paths.ts", "scripts/build.ts", "src/core/lock.ts"],
            "src/core/lock.ts": ["node_modules/@devicescript/core/src/index.ts", "src/core/state.ts"],
            "scripts/build.ts": [],
        }
        expect(roomCycles(g)).toEqual([
            "host -> sim (host/paths.ts imports sim/vm.ts), and sim leads back to host",
            "sim -> host (sim/vm.ts imports host/paths.ts), and host leads back to sim",
        ])
        expect(scriptImports(g)).toEqual(["sim/vm.ts imports scripts/build.ts"])
        expect(coreImportsOutside(g)).toEqual(["src/core/lock.ts imports node_modules/@devicescript/core/src/index.ts"])
        expect(() => roomOf("tools/x.ts")).toThrow(/in no room/)
    })
})
