/**
 * fuzz: random and mutated inputs at every door into the lock.
 *  - key storms through the real core (>= 1e5 storms; bench/lib/fuzzers.ts keyStorms), and a
 *    shorter storm of real key presses through the real firmware in the VM, with power cuts;
 *  - frames for the lock's Jacdac service (services/latchkey.md): >= 1e6 through the firmware's
 *    decoding and checking rules in Node (jdunpack "u32 u8 b", src/core/remote.ts, AES-256-CCM,
 *    then the core's remote attempt), and a shorter storm of raw frames to the real firmware's
 *    service in the VM (random commands, register reads and writes, mutated and replayed sealed
 *    commands, genuine ones);
 *  - malformed devs.json documents through src/config/profile.ts.
 * crashes = exceptions or VM panics/aborts; hangs = a step over 50 ms, or a VM that stops
 * answering; unauthorised_unlocks = an unlock not caused by an enrolled code typed at a keypad
 * that was not locked out, or by a genuine fresh companion command.
 *
 *   npm run bench:fuzz -- [--storms N] [--frames N] [--profiles N] [--vm-keys N] [--vm-frames N] [--seed N]
 */
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { jdpack, Packet } from "jacdac-ts"
import { ROOT } from "../host/paths"
import { command, enrol, KeyStore, nonce as getNonce, sealCommand } from "../companion/protocol"
import { LatchkeyClient } from "../host/lock-client"
import { CMD_LOCK, CMD_UNLOCK } from "../src/core/index"
import { deviceKey, policyOf } from "./lib/adapters"
import { attempt, FAST_PROFILE, MASTER, newBoard, SHIPPING_PROFILE, setUpMaster, sleep, SimulatedBoard } from "./lib/board"
import { runBench } from "./lib/cli"
import { frameFuzz, keyStorms, profileFuzz } from "./lib/fuzzers"
import { Rng, round } from "./lib/stats"
import { recordResult } from "./results"

const CRASH = /PANIC|Exception|abort|JD_PANIC/i
/** One line per crash: the VM's panic code line, or an emscripten abort. */
const CRASH_EVENT = /^(vm: )?PANIC \d+|Aborted\(/

function vmCrashes(b: SimulatedBoard, from = 0): string[] {
    return b.logs.slice(from).filter(l => CRASH_EVENT.test(l.trim()))
}

/** Waits out any keypad lockout (fast firmware: at most 8 s), then the master code must open. */
async function stillAnswers(b: SimulatedBoard, notes: string[] = []): Promise<boolean> {
    for (let i = 0; i < 4; i++) {
        // let whatever the storm left typed time out: a '*' would not do, since on an empty
        // entry it starts the recovery grammar ('*' code '#') and the master code then fails
        await sleep(FAST_PROFILE.timing.entryTimeoutSeconds * 1000 + 300)
        const answer = await attempt(b, MASTER, 10000).catch(e => `no answer: ${(e as Error).message.split("\n")[0]}`)
        if (/unlocked/.test(answer)) return true
        notes.push(`liveness try ${i + 1}: ${answer}; last logs: ${b.logs.slice(-6).join(" | ")}`)
        const lockout = /lockout (\d+) ms/.exec(b.logs.slice(-20).join("\n"))
        await sleep(lockout ? Number(lockout[1]) + 300 : 9000)
    }
    return false
}

async function vmKeyStorm(keys: number, seed: number) {
    const rng = new Rng(seed)
    const b = newBoard("firmware-fast")
    const out = { keys: 0, unlocks: 0, crashes: 0, hangs: 0, unauthorised_unlocks: 0, power_cuts: 0, notes: [] as string[] }
    try {
        await b.powerOn()
        await setUpMaster(b)
        // '#' presses that follow the master code typed since the last clear: each unlock must
        // consume one pressed shortly before it (the firmware may answer after later keys)
        const legit: number[] = []
        // the keypad grammar as the firmware reads it: the master code then '#' opens, not after a
        // leading '*' (that starts a recovery code); digits '*' digit clears, '*' '*' clears. The
        // digits only need to END with the code: keys during a lockout are ignored by the lock.
        let typed = ""
        let star: "none" | "first" | "after" = "none"
        let checked = b.latchMoves.length
        const check = () => {
            for (; checked < b.latchMoves.length; checked++) {
                const m = b.latchMoves[checked]
                if (!b.isUnlockedAngle(m.angle)) continue
                out.unlocks++
                const usable = legit.filter(t => t <= m.at && t >= m.at - 3000)
                if (!usable.length) {
                    out.unauthorised_unlocks++
                    out.notes.push(`unlock with no master code typed in the 3 s before it (typed "${typed.slice(-12)}")`)
                }
                while (legit.length && legit[0] <= m.at) legit.shift()
            }
        }
        const pressKey = async (k: string, holdMs: number) => {
            if (k === "#") {
                if (star === "none" && typed.endsWith(MASTER)) legit.push(Date.now())
                typed = ""
                star = "none"
            } else if (k === "*") {
                if (star === "none") star = typed === "" ? "first" : "after"
                else {
                    typed = ""
                    star = "none"
                }
            } else {
                if (star === "after") {
                    typed = ""
                    star = "none"
                }
                typed += k
            }
            await b.press(k, holdMs)
        }
        while (out.keys < keys) {
            const r = rng.next()
            const seq = r < 0.1 ? MASTER + "#" : r < 0.2 ? MASTER.slice(0, 3) + rng.digits(1) + "#" : "0123456789*#"[rng.int(12)]
            for (const k of seq) {
                await pressKey(k, 30 + rng.int(40))
                await sleep(30 + rng.int(60))
                out.keys++
            }
            if (rng.chance(0.01)) {
                // a power cut in the middle of it
                out.power_cuts++
                typed = ""
                star = "none"
                await b.restart()
            }
            check()
        }
        await sleep(300)
        check()
        out.crashes = vmCrashes(b).length
        checked = b.latchMoves.length // the master code typed by stillAnswers is legitimate
        if (!(await stillAnswers(b, out.notes))) out.hangs++
    } catch (e) {
        out.hangs++
        out.notes.push((e as Error).message.split("\n")[0])
        out.crashes = vmCrashes(b).length
    } finally {
        await b.dispose()
    }
    return out
}

async function vmFrameStorm(frames: number, seed: number, pace: number) {
    const rng = new Rng(seed)
    const b = newBoard("firmware-fast")
    // unanswered_requests: genuine challenges the firmware dropped during the storm (it drops
    // packets beyond a few in flight; a client asks again). Not hangs: liveness is checked after.
    const out = { frames: 0, answered: 0, genuine_ok: 0, unlocks: 0, crashes: 0, hangs: 0, unauthorised_unlocks: 0, unanswered_requests: 0, notes: [] as string[] }
    try {
        await b.powerOn()
        await setUpMaster(b)
        const client = new LatchkeyClient(b.bus)
        const store = new KeyStore(join(mkdtempSync(join(tmpdir(), "latchkey-fuzz-")), "keys.json"))
        await b.pressProgramButton()
        const rec = await enrol(client, store)
        const key = Buffer.from(rec.key, "hex")
        const srv = await client.service()
        let allowedUntil = 0
        let checked = b.latchMoves.length
        const check = () => {
            for (; checked < b.latchMoves.length; checked++) {
                const m = b.latchMoves[checked]
                if (!b.isUnlockedAngle(m.angle)) continue
                out.unlocks++
                if (m.at > allowedUntil) {
                    out.unauthorised_unlocks++
                    out.notes.push("unlock without a genuine unlock command")
                }
            }
        }
        const sent: Uint8Array[] = []
        let counter = rec.counter
        while (out.frames < frames) {
            const r = rng.next()
            let cmd: number
            let payload: Uint8Array
            let expectAnswer = true
            let genuineUnlock = false
            if (r < 0.03) {
                // genuine: fresh nonce, next counter
                const n = await getNonce(client, rec.keyId).catch(() => null)
                if (!n) {
                    out.frames++
                    out.unanswered_requests++
                    continue
                }
                counter++
                const what = rng.chance(0.5) ? CMD_UNLOCK : CMD_LOCK
                payload = jdpack("b", [sealCommand(key, rec.keyId, counter, n, what, [])])
                cmd = 0x83
                genuineUnlock = what === CMD_UNLOCK
                sent.push(payload)
            } else if (r < 0.45) {
                // mutated or replayed sealed command
                cmd = 0x83
                const base = sent.length && rng.chance(0.5) ? rng.pick(sent) : jdpack("b", [sealCommand(key, rec.keyId, counter + 1, rng.bytes(24), CMD_UNLOCK, [])])
                const m = Buffer.from(base)
                if (rng.chance(0.8)) m[rng.int(m.length)] ^= 1 << rng.int(8)
                payload = rng.chance(0.1) ? m.subarray(0, rng.int(m.length)) : m
            } else if (r < 0.7) {
                cmd = rng.pick([0x80, 0x81, 0x82, 0x83, 0x00, 0x7f, 0xff])
                payload = rng.bytes(rng.int(rng.chance(0.9) ? 64 : 236))
            } else {
                // register reads and writes (all registers are read-only)
                cmd = rng.pick([0x1000, 0x2000]) | rng.pick([0x101, 0x180, 0x181, 0x182, 0x183, rng.int(0x1000)])
                payload = rng.bytes(rng.int(8))
                expectAnswer = (cmd & 0xf000) === 0x1000
            }
            const pkt = Packet.from(cmd, payload)
            out.frames++
            if (r < 0.03) {
                // genuine: wait for the answer (the firmware may be busy with an earlier frame)
                const resp = await srv.sendCmdAwaitResponseAsync(pkt, 1500).catch(() => undefined)
                if (resp) out.answered++
                // a sealed answer (kind 3); a refusal is a clear one (kind 4)
                if (genuineUnlock && resp && resp.data[1] === 3) out.genuine_ok++
                if (genuineUnlock) allowedUntil = Date.now() + 1000
            } else {
                await srv.sendPacketAsync(pkt)
                await sleep(pace)
            }
            if (genuineUnlock) await sleep(50)
            check()
            if (vmCrashes(b).length) break
        }
        await sleep(300)
        check()
        out.crashes = vmCrashes(b).length
        if (out.crashes) out.notes.push(`crashed after ${out.frames} frames, one every ~${pace} ms`)
        if (out.crashes) out.notes.push(...b.logs.slice(-30).filter(l => CRASH.test(l) || /^! /.test(l)).slice(0, 8))
        // liveness: a genuine command still works (register reads are not used here: jacdac-ts
        // marks a register "not implemented" for good after odd answers to fuzzed writes)
        rec.counter = counter // the genuine frames above used counters the key file must not reuse
        store.put(rec)
        try {
            let ok = false
            for (let i = 0; i < 8 && !ok; i++) {
                await sleep(1000) // a crashed VM restarts its program; roles bind again within ~1 s
                ok = await command(client, store, "lock").then(() => true, () => false)
            }
            if (!ok) await command(client, store, "lock")
        } catch (e) {
            out.hangs++
            out.notes.push(`after the storm: ${(e as Error).message}`)
        }
    } catch (e) {
        out.hangs++
        out.notes.push((e as Error).message.split("\n")[0])
        out.crashes = vmCrashes(b).length
    } finally {
        await b.dispose()
    }
    return out
}

runBench("bench:fuzz", {
    storms: { type: "int", default: 100_000, min: 1, help: "key storms through the core" },
    frames: { type: "int", default: 1_000_000, min: 0, help: "service frames through the decoder and checks in Node" },
    profiles: { type: "int", default: 20_000, min: 0, help: "malformed devs.json documents" },
    "vm-keys": { type: "int", default: 250, min: 0, help: "key presses through the real firmware in the VM" },
    "vm-frames": { type: "int", default: 1500, min: 0, help: "frames to the real firmware's service in the VM" },
    "frame-gap-ms": { type: "int", default: 4, min: 0, max: 1000, help: "pause between frames sent to the VM" },
    seed: { type: "int", default: 7, help: "seed" },
}, async o => {
    const started = Date.now()
    const policy = policyOf(SHIPPING_PROFILE)
    const fast = policyOf(FAST_PROFILE)
    const key = deviceKey()
    let t = Date.now()
    // half the storms under the shipping policy, half under the fast one (lockouts end within a storm)
    const k1 = keyStorms(Math.ceil(o.storms / 2), o.seed, policy, key)
    const k2 = keyStorms(Math.floor(o.storms / 2), o.seed + 1, fast, key)
    const storms = {
        storms: k1.storms + k2.storms, keys: k1.keys + k2.keys, events: k1.events + k2.events, unlocks: k1.unlocks + k2.unlocks,
        crashes: k1.crashes + k2.crashes, hangs: k1.hangs + k2.hangs, unauthorised_unlocks: k1.unauthorised_unlocks + k2.unauthorised_unlocks,
        invariant_violations: k1.invariant_violations + k2.invariant_violations, findings: [...k1.findings, ...k2.findings].slice(0, 10),
        seconds: round((Date.now() - t) / 1000, 1),
    }
    console.log(`fuzz: ${storms.storms} key storms, ${storms.keys} keys through the core: ${storms.crashes} crashes, ${storms.hangs} hangs, ${storms.unauthorised_unlocks} unauthorised of ${storms.unlocks} unlocks, ${storms.invariant_violations} order violations (${storms.seconds} s)`)
    t = Date.now()
    const frames = o.frames ? frameFuzz(o.frames, o.seed, fast, key) : null
    if (frames) console.log(`fuzz: ${frames.frames} service frames (Node): ${frames.accepted} accepted (${frames.genuine} genuine), ${frames.crashes} crashes, ${frames.hangs} hangs, ${frames.unauthorised_unlocks} unauthorised (${round((Date.now() - t) / 1000, 1)} s)`)
    t = Date.now()
    const base = JSON.parse(readFileSync(join(ROOT, "devs.json"), "utf8"))
    const profiles = profileFuzz(o.profiles, o.seed, base)
    console.log(`fuzz: ${profiles.cases} malformed devs.json: ${profiles.rejected} refused with ProfileError, ${profiles.accepted} accepted (${profiles.accepted_invalid} of them bad), ${profiles.crashes} crashes (${round((Date.now() - t) / 1000, 1)} s)`)
    t = Date.now()
    const vmKeys = o["vm-keys"] ? await vmKeyStorm(o["vm-keys"], o.seed) : null
    if (vmKeys) console.log(`fuzz: ${vmKeys.keys} keys through the firmware in the VM (${vmKeys.power_cuts} power cuts): ${vmKeys.crashes} crashes, ${vmKeys.hangs} hangs, ${vmKeys.unauthorised_unlocks} unauthorised of ${vmKeys.unlocks} unlocks (${round((Date.now() - t) / 1000, 1)} s)`)
    t = Date.now()
    const assert = console.assert
    console.assert = () => {} // jacdac-ts asserts on odd register answers to fuzzed frames
    const vmFrames = o["vm-frames"] ? await vmFrameStorm(o["vm-frames"], o.seed, o["frame-gap-ms"]).finally(() => (console.assert = assert)) : null
    if (vmFrames) console.log(`fuzz: ${vmFrames.frames} frames to the firmware's service in the VM: ${vmFrames.answered} answered, ${vmFrames.genuine_ok} genuine unlocks, ${vmFrames.crashes} crashes, ${vmFrames.hangs} hangs, ${vmFrames.unauthorised_unlocks} unauthorised (${round((Date.now() - t) / 1000, 1)} s)`)

    const crashes = storms.crashes + (frames?.crashes ?? 0) + profiles.crashes + (vmKeys?.crashes ?? 0) + (vmFrames?.crashes ?? 0)
    const hangs = storms.hangs + (frames?.hangs ?? 0) + (vmKeys?.hangs ?? 0) + (vmFrames?.hangs ?? 0)
    const unauth = storms.unauthorised_unlocks + (frames?.unauthorised_unlocks ?? 0) + (vmKeys?.unauthorised_unlocks ?? 0) + (vmFrames?.unauthorised_unlocks ?? 0)
    const result = {
        frames: (frames?.frames ?? 0) + (vmFrames?.frames ?? 0),
        key_storm_keys: storms.keys + (vmKeys?.keys ?? 0),
        crashes,
        hangs,
        unauthorised_unlocks: unauth,
        goal: "0 crashes, hangs and unauthorised unlocks (>= 1e6 frames, >= 1e5 key storms, malformed devs.json)",
        goal_met: crashes === 0 && hangs === 0 && unauth === 0 && (frames?.frames ?? 0) >= 1e6 && storms.storms >= 1e5 && profiles.accepted_invalid === 0,
        key_storms: storms,
        frames_node: frames,
        frames_vm: vmFrames,
        keys_vm: vmKeys,
        profiles,
        seed: o.seed,
        seconds: round((Date.now() - started) / 1000, 1),
    }
    recordResult("fuzz", result)
    console.log(`fuzz: ${result.frames} frames, ${result.key_storm_keys} keys: ${crashes} crashes, ${hangs} hangs, ${unauth} unauthorised unlocks: ${result.goal_met ? "goal met" : "GOAL MISSED"}`)
})
