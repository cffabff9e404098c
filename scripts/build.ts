/**
 * Builds everything the tests and the simulator run:
 *   build/devicescript-vm.cjs   the DeviceScript VM sliced out of the pinned CLI bundle
 *   build/firmware.devs         src/main.ts with the profile from devs.json (what ships)
 *   build/firmware-fast.devs    the TEST firmware: src/main-test.ts (the same firmware plus a test-only
 *                               clock service, src/firmware/testclock.ts) with test/fixtures/fast-timing.json
 *                               laid over devs.json (short lockouts and timeouts so tests never wait minutes)
 *   build/firmware-net.devs     the TEST firmware with the MQTT link: test/fixtures/network.json laid over
 *                               the fast timings (network on; each test points it at its own broker)
 *   build/firmware-net-private.devs the same with test/fixtures/network-private.json laid over it
 *                               (network.publishState off: test/net/private.test.ts)
 *   build/firmware-ship-net.devs the shipping firmware (src/main.ts) with test/fixtures/network.json laid
 *                               over devs.json: the largest image a real board runs, built so that its
 *                               size is known (test/config/image-size.test.ts); `npm start` runs it
 *   build/core-door-tests.devs  test/firmware/core-door.devs.ts and
 *   build/core-admin-tests.devs test/firmware/core-admin.devs.ts: the pure core's cases (test/cases/)
 *                               inside the VM, in two parts (one program holds at most 64 KB of code)
 *   build/ct-harness.devs       bench/firmware/ct.devs.ts: the verification path timed in the VM (npm run bench:ct)
 *   build/services.json         the lock's Jacdac service spec (services/latchkey.md) for jacdac-ts
 *   build/board-tests.devs      test/firmware/board.devs.ts: the keypad scanner and latch monitor
 *                               cases of test/fixtures/board-cases.ts inside the VM
 *   build/budget.devs           test/firmware/budget.devs.ts: the shipping firmware plus a heap
 *                               probe (scripts/budget.ts)
 *   build/firmware-guarded.devs src/main.ts with the fast timings, whose parts are only those the
 *                               in-process simulator hosts on its own device, as a board's are only
 *                               its own (test/scenario/bus-guard.test.ts; host/board-gen.ts PartsBinding)
 *
 * Each target also gets src/config/profile.g.ts (the profile as a constant),
 * src/firmware/board.g.ts (pin map and on-board servers for the board devs.json names) and
 * src/firmware/network.g.ts (the MQTT link, or nothing when the profile's network is off).
 * devs.json is validated first; a bad profile stops the build naming each field and the reason,
 * before anything is written.
 * Each image's function code must end below 64 KB or DeviceScript refuses it (host/devs-image.ts):
 * the build prints where it ends and what is left, and says so plainly when devs refuses an image.
 * Usage: tsx scripts/build.ts [--force] [--profile FILE] [--only IMAGE]
 *   --profile FILE: FILE instead of devs.json; --only IMAGE: that image alone (e.g. firmware-net,
 *   to weigh a change), and the next full build runs again
 */
import { createHash } from "node:crypto"
import { execFileSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, relative, resolve } from "node:path"
import { loadProfile, profileSource, ROOT } from "../host/profile-io"
import { loadBoardCatalog } from "../host/boards-io"
import { boardSource, PartsBinding } from "../host/board-gen"
import { networkSource } from "../host/network-gen"
import { FUNCTION_CODE_LIMIT, functionCodeEnd, functionCodeReport } from "../host/devs-image"
import { ProfileError } from "../src/config/profile"

const require = createRequire(import.meta.url)
const BUILD = join(ROOT, "build")
const GENERATED = join(ROOT, "src", "config", "profile.g.ts")
const BOARD_GENERATED = join(ROOT, "src", "firmware", "board.g.ts")
const NETWORK_GENERATED = join(ROOT, "src", "firmware", "network.g.ts")
const FAST_OVERRIDES = join(ROOT, "test", "fixtures", "fast-timing.json")
const NETWORK_OVERRIDES = join(ROOT, "test", "fixtures", "network.json")
const PRIVATE_OVERRIDES = join(ROOT, "test", "fixtures", "network-private.json")

interface Target {
    name: string
    entry: string
    /** Files laid over devs.json, in order. */
    overrides?: string[]
    /** Which devices may serve the lock's parts (default "board"). */
    parts?: PartsBinding
}

const TARGETS: Target[] = [
    { name: "firmware", entry: "src/main.ts" },
    { name: "firmware-fast", entry: "src/main-test.ts", overrides: [FAST_OVERRIDES], parts: "bench" },
    { name: "firmware-net", entry: "src/main-test.ts", overrides: [FAST_OVERRIDES, NETWORK_OVERRIDES], parts: "bench" },
    { name: "firmware-net-private", entry: "src/main-test.ts", overrides: [FAST_OVERRIDES, NETWORK_OVERRIDES, PRIVATE_OVERRIDES], parts: "bench" },
    { name: "firmware-ship-net", entry: "src/main.ts", overrides: [NETWORK_OVERRIDES] },
    { name: "core-door-tests", entry: "test/firmware/core-door.devs.ts" },
    { name: "core-admin-tests", entry: "test/firmware/core-admin.devs.ts" },
    { name: "board-tests", entry: "test/firmware/board.devs.ts" },
    { name: "budget", entry: "test/firmware/budget.devs.ts" },
    { name: "firmware-guarded", entry: "src/main.ts", overrides: [FAST_OVERRIDES], parts: "simulated" },
    // benchmark harness: the verification path timed inside the VM (bench/ct.ts)
    { name: "ct-harness", entry: "bench/firmware/ct.devs.ts" },
]

function cliBundle(): { path: string; version: string } {
    const pkg = require.resolve("@devicescript/cli/package.json")
    return { path: join(dirname(pkg), "built", "devicescript-cli.cjs"), version: require(pkg).version }
}

/** Slices the emscripten VM factory (wasm inlined) out of the CLI bundle into a CommonJS module. */
function extractVm() {
    const cli = cliBundle()
    const src = readFileSync(cli.path, "utf8")
    const head = 'var require_devicescript_vm = __commonJS({\n  "runtime/devicescript-vm/built/devicescript-vm.js"(exports, module2) {\n'
    const start = src.indexOf(head)
    if (start < 0) throw new Error(`build: the DeviceScript VM was not found in ${cli.path}`)
    const bodyStart = start + head.length
    const end = src.indexOf("\n  }\n});\n", bodyStart)
    if (end < 0) throw new Error("build: the end of the DeviceScript VM module was not found")
    const out =
        `// Generated by scripts/build.ts from @devicescript/cli ${cli.version}. Do not edit.\n` +
        `"use strict";\nvar module2 = module;\n${src.slice(bodyStart, end)}\n`
    writeFileSync(join(BUILD, "devicescript-vm.cjs"), out)
}

function listFiles(dir: string, out: string[] = []): string[] {
    if (!existsSync(dir)) return out
    for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name)
        if (statSync(p).isDirectory()) listFiles(p, out)
        else if (!p.endsWith(".g.ts")) out.push(p)
    }
    return out
}

/** A fingerprint of every input: when it is unchanged the previous build is reused. */
function inputStamp(): string {
    const h = createHash("sha256")
    h.update(cliBundle().version)
    const files = [
        join(ROOT, "devs.json"),
        join(ROOT, "devsconfig.json"),
        FAST_OVERRIDES,
        NETWORK_OVERRIDES,
        join(ROOT, "scripts", "build.ts"),
        join(ROOT, "host", "profile-io.ts"),
        join(ROOT, "host", "network-gen.ts"),
        join(ROOT, "host", "boards-io.ts"),
        join(ROOT, "host", "board-gen.ts"),
        join(ROOT, "host", "devs-image.ts"),
        ...listFiles(join(ROOT, "src")),
        ...listFiles(join(ROOT, "services")),
        ...listFiles(join(ROOT, "test", "firmware")),
        ...listFiles(join(ROOT, "test", "cases")),
        ...listFiles(join(ROOT, "test", "fixtures")),
        ...listFiles(join(ROOT, "bench", "firmware")),
    ]
    for (const f of files) {
        h.update(relative(ROOT, f))
        h.update(existsSync(f) ? readFileSync(f) : "")
    }
    return h.digest("hex")
}

const DEVS_OUTPUT = join(ROOT, ".devicescript", "bin", "bytecode.devs")

function devsBuild(name: string, entry: string) {
    const devs = join(ROOT, "node_modules", ".bin", "devs")
    const started = Date.now()
    try {
        execFileSync(devs, ["build", entry, "--quiet"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] })
    } catch (e: any) {
        process.stderr.write(e.stdout?.toString() ?? "")
        process.stderr.write(e.stderr?.toString() ?? "")
        // devs writes the image before its verifier refuses it: name the limit it hit
        if (existsSync(DEVS_OUTPUT) && statSync(DEVS_OUTPUT).mtimeMs >= started - 1000) {
            const end = functionCodeEnd(readFileSync(DEVS_OUTPUT))
            if (end >= FUNCTION_CODE_LIMIT) throw new Error(`build: ${functionCodeReport(name, end)}`)
        }
        throw new Error(`build: devs build ${entry} failed`)
    }
}

function parseArgs(argv: string[]): { force: boolean; profile?: string; only?: string } {
    const out: { force: boolean; profile?: string; only?: string } = { force: false }
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--force") out.force = true
        else if (argv[i] === "--profile" && argv[i + 1]) out.profile = argv[++i]
        else if (argv[i] === "--only" && argv[i + 1]) out.only = argv[++i]
        else throw new Error(`build: unknown argument "${argv[i]}" (usage: build [--force] [--profile FILE] [--only IMAGE])`)
    }
    return out
}

function main() {
    const args = parseArgs(process.argv.slice(2))
    if (args.only && !TARGETS.some(t => t.name === args.only))
        throw new Error(`build: --only ${args.only}: no such image (one of ${TARGETS.map(t => t.name).join(", ")})`)
    // one image only (to weigh a change quickly): always built, and the build is not marked up to date
    const force = args.force || !!args.profile || !!args.only
    const profilePath = args.profile ? resolve(args.profile) : undefined
    // validate every profile before building (or writing) anything
    const shipping = loadProfile(undefined, profilePath)
    const profiles = TARGETS.map(t => (t.overrides ? loadProfile(t.overrides, profilePath) : shipping))
    mkdirSync(BUILD, { recursive: true })

    const stamp = inputStamp()
    const stampFile = join(BUILD, ".stamp")
    const outputs = TARGETS.map(t => join(BUILD, `${t.name}.devs`))
    if (!force && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp &&
        outputs.every(o => existsSync(o)) && existsSync(join(BUILD, "devicescript-vm.cjs"))) {
        console.log("build: up to date")
        return
    }
    extractVm()
    const t0 = Date.now()
    try {
        TARGETS.forEach((t, i) => {
            if (args.only && t.name !== args.only) return
            writeFileSync(GENERATED, profileSource(profiles[i]))
            writeFileSync(BOARD_GENERATED, boardSource(profiles[i], loadBoardCatalog(), t.parts))
            writeFileSync(NETWORK_GENERATED, networkSource(profiles[i]))
            devsBuild(t.name, t.entry)
            const bin = join(ROOT, ".devicescript", "bin")
            copyFileSync(join(bin, "bytecode.devs"), outputs[i])
            copyFileSync(join(bin, "bytecode-dbg.json"), join(BUILD, `${t.name}-dbg.json`))
            const end = functionCodeEnd(readFileSync(outputs[i]))
            console.log(`build: ${relative(ROOT, outputs[i])} (${statSync(outputs[i]).size} bytes)`)
            console.log(`build: ${functionCodeReport(t.name, end)}`)
        })
    } finally {
        // leave the shipping profile in place for editors and `devs` commands run by hand
        writeFileSync(GENERATED, profileSource(shipping))
        writeFileSync(BOARD_GENERATED, boardSource(shipping, loadBoardCatalog()))
        writeFileSync(NETWORK_GENERATED, networkSource(shipping))
    }
    // the lock service's spec, for jacdac-ts on the host (host/lock-client.ts)
    copyFileSync(join(ROOT, ".devicescript", "services.json"), join(BUILD, "services.json"))
    if (args.only) writeFileSync(stampFile, "")
    else writeFileSync(stampFile, stamp)
    console.log(`build: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

try {
    main()
} catch (e) {
    if (e instanceof ProfileError) {
        console.error(`build: ${e.message}`)
    } else console.error((e as Error).message)
    process.exit(1)
}
