/**
 * Companion protocol 2 under attack, with the real firmware in the VM: a stranger on the bus
 * that forges the lock's answers, asks for challenges, floods the lock with frames, probes for
 * key ids; and a companion that speaks protocol 1.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { connect, createServer, Server, Socket } from "node:net"
import { jdpack, jdunpack, Packet } from "jacdac-ts"
import { afterEach, describe, expect, it } from "vitest"
import { command, enrol, nonce, openAnswer, ProtocolMismatch, sealCommand, sendFrame } from "../../companion/protocol"
import { LatchkeyClient } from "../../host/lock-client"
import { FrameReader, frameOut, serveBusOverTcp, TcpHub } from "../../sim/hub"
import { CMD_LOCK, CMD_UNLOCK } from "../../src/core/index"
import { echoOf } from "../../src/core/frames"
import { cli } from "./cli-run"
import { attempt, enrolled, MASTER, setUpBoard, tmpStore } from "./helpers"

const CMD_FRAME = 0x83
const REFUSED = [2, 4, 9]

let hub: TcpHub | undefined
let link: { close: () => Promise<void> } | undefined
afterEach(async () => {
    await link?.close()
    link = undefined
    await hub?.close()
    hub = undefined
})

/**
 * A link between the CLI and the hub run by an attacker (what a broker or anything on the path
 * can do): every frame passes, except the lock's answers to sealed commands, which it replaces
 * with `forged()`. The lock still receives and carries out the command.
 */
async function forgingLink(hubPort: number, lockId: string, forged: () => Uint8Array): Promise<{ port: number; forged: number }> {
    const state = { port: 0, forged: 0 }
    const sockets: Socket[] = []
    const server: Server = createServer(cliSock => {
        const up = connect(hubPort, "127.0.0.1")
        sockets.push(cliSock, up)
        const fromCli = new FrameReader()
        const fromHub = new FrameReader()
        cliSock.on("data", c => {
            for (const f of fromCli.push(new Uint8Array(c))) up.write(frameOut(f))
        })
        up.on("data", c => {
            for (const f of fromHub.push(new Uint8Array(c))) {
                const pkts = Packet.fromFrame(f, 0)
                const answer = pkts.find(p => !p.isCommand && p.deviceIdentifier === lockId && p.serviceCommand === CMD_FRAME && p.data[1] !== 1)
                if (!answer) {
                    cliSock.write(frameOut(f))
                    continue
                }
                const fake = Packet.from(CMD_FRAME, jdpack("b", [forged()]))
                fake.serviceIndex = answer.serviceIndex
                fake.deviceIdentifier = lockId
                state.forged++
                cliSock.write(frameOut(fake.toBuffer()))
            }
        })
        const end = () => {
            cliSock.destroy()
            up.destroy()
        }
        cliSock.on("error", end)
        up.on("error", end)
        cliSock.on("close", end)
        up.on("close", end)
    })
    await new Promise<void>(r => server.listen(0, "127.0.0.1", () => r()))
    const addr = server.address()
    state.port = typeof addr === "object" && addr ? addr.port : 0
    link = {
        close: () =>
            new Promise<void>(r => {
                for (const s of sockets) s.destroy()
                server.close(() => r())
            }),
    }
    return state
}

describe("a stranger on the bus", () => {
    it("cannot make the CLI believe a lost-phone it did not see done: the CLI says so and keeps its key", async () => {
        const b = await setUpBoard()
        hub = await serveBusOverTcp(b.bus, 0)
        const keys = join(mkdtempSync(join(tmpdir(), "latchkey-forge-")), "keys.json")
        expect((await cli(hub.port, keys, "enrol")).code).toBe(0)
        const lockId = (await new LatchkeyClient(b.bus).service()).device.deviceId
        const keyOf = () => JSON.parse(readFileSync(keys, "utf8")).keys.map((k: { lock: string; keyId: number; key: string }) => `${k.lock} ${k.keyId} ${k.key}`)
        const held = keyOf()
        expect(held).toHaveLength(1)
        // a bare Ok in protocol 2's clear form, protocol 1's bare Ok (status 0, nothing sealed), and
        // a "sealed" answer the stranger cannot have sealed
        const forgeries = [Uint8Array.from([2, 4, 0]), Uint8Array.from([0]), Uint8Array.from([2, 3, ...randomBytes(40)])]
        let which = 0
        const seen = await forgingLink(hub.port, lockId, () => forgeries[which])
        for (which = 0; which < forgeries.length; which++) {
            const before = seen.forged
            const r = await cli(seen.port, keys, "lost-phone")
            expect(seen.forged, "the lock's answer was replaced").toBe(before + 1)
            expect(r.code, r.out).toBe(1)
            expect(r.out).not.toMatch(/revoked/)
            expect(r.err).toMatch(/the answer to lost-phone did not authenticate/)
            expect(r.err).toMatch(/key file is unchanged/)
            expect(keyOf(), "the key is still in the key file").toEqual(held)
        }
    })

    it("cannot cancel a companion's challenges by asking for its own", async () => {
        const { b, client, store, rec } = await enrolled()
        const key = Buffer.from(rec.key, "hex")
        const mine = await nonce(client, rec.keyId)
        const second = await nonce(client, rec.keyId)
        // the stranger asks for challenges, for the companion's key id and others
        for (let i = 0; i < 20; i++) await nonce(client, i % 2 ? rec.keyId : 1 + i)
        const from = b.latchMoves.length
        const lockAnswer = await sendFrame(client, sealCommand(key, rec.keyId, 1, mine, CMD_UNLOCK, []))
        expect(openAnswer(key, rec.keyId, 1, CMD_UNLOCK, mine, lockAnswer)).toMatchObject({ status: "Ok", authenticated: true })
        await b.waitUntil(() => b.isUnlocked(), "the unlock on the companion's first challenge")
        // several outstanding: the earlier one still works after a later one was used
        const locked = await sendFrame(client, sealCommand(key, rec.keyId, 2, second, CMD_LOCK, []))
        expect(openAnswer(key, rec.keyId, 2, CMD_LOCK, second, locked).status).toBe("Ok")
        await b.waitUntil(() => b.isLocked(), "the lock")
        expect(b.openedSince(from)).toBe(true)
        store.put({ ...rec, counter: 2 })
        expect(await command(client, store, "lock")).toBe("Ok")
    })

    it("never locks the keypad out with 1000 refused frames; the flood is audited", async () => {
        const { b, client, rec } = await enrolled()
        const before = await client.status()
        expect(before.failureCount).toBe(0)
        const mark = b.logs.length
        const strangerChallenge = await nonce(client, 200)
        const companionChallenge = await nonce(client, rec.keyId)
        const answers = new Set<string>()
        for (let i = 0; i < 1000; i++) {
            const frame = i % 2 ? sealCommand(randomBytes(32), 200, i, strangerChallenge, CMD_UNLOCK, []) : sealCommand(randomBytes(32), rec.keyId, i, companionChallenge, CMD_UNLOCK, [])
            const a = await sendFrame(client, frame)
            // after the status, the echo of the frame: nothing the stranger did not send
            expect(Array.from(a.subarray(3))).toEqual(echoOf(frame))
            answers.add(Buffer.from(a.subarray(0, 3)).toString("hex"))
        }
        // refused, or past the throttle's back-off, not checked at all: both clear, neither sealed
        expect([...answers].sort()).toEqual(["020409", "02040a"])
        const after = await client.status()
        expect(after.failureCount).toBe(0)
        expect(after.lockoutRemainingMs).toBe(0)
        expect(await attempt(b, MASTER)).toBe("success")
        await b.waitForLog(/flood: \d+ frame\(s\) to the lock refused/, 10000, mark)
        expect(b.isUnlocked() || b.isLocked()).toBe(true)
    }, 120_000)

    it("learns nothing from the refusals: an unknown key id, a wrong key, a revoked key and a used challenge get the same answer", async () => {
        const { b, client, store, rec } = await enrolled()
        await b.pressProgramButton()
        const revokedStore = tmpStore()
        const revoked = await enrol(client, revokedStore)
        expect(await command(client, store, "revoke", [revoked.keyId])).toBe("Ok")
        const key = Buffer.from(rec.key, "hex")
        const used = await nonce(client, rec.keyId)
        const ok = await sendFrame(client, sealCommand(key, rec.keyId, 50, used, CMD_LOCK, []))
        expect(openAnswer(key, rec.keyId, 50, CMD_LOCK, used, ok).status).toBe("Ok")
        const frames = {
            unknownKeyId: sealCommand(randomBytes(32), 123, 1, await nonce(client, 123), CMD_UNLOCK, []),
            wrongKey: sealCommand(randomBytes(32), rec.keyId, 60, await nonce(client, rec.keyId), CMD_UNLOCK, []),
            revokedKey: sealCommand(Buffer.from(revoked.key, "hex"), revoked.keyId, 60, await nonce(client, revoked.keyId), CMD_UNLOCK, []),
            usedChallenge: sealCommand(key, rec.keyId, 61, used, CMD_UNLOCK, []),
        }
        // the clear Refused, then only the echo of the frame itself (its key id and challenge's start)
        for (const [what, f] of Object.entries(frames)) expect(Array.from(await sendFrame(client, f)), what).toEqual([...REFUSED, ...echoOf(f)])
        // challenges, too, are issued alike for any id
        expect((await nonce(client, 123)).length).toBe((await nonce(client, rec.keyId)).length)
        expect(b.isLocked()).toBe(true)
    })
})

describe("a companion of protocol 1", () => {
    it("is refused with an 'update the companion' answer, which the companion reports", async () => {
        const { b, client, rec } = await enrolled()
        const srv = await client.service()
        // protocol 1's challenge, then its sealed command: counter, key id, sealed bytes
        const v1Nonce = await srv.sendCmdAwaitResponseAsync(Packet.from(0x80, new Uint8Array(0)), 5000)
        expect(v1Nonce?.data.length).toBe(0)
        const v1 = await srv.sendCmdAwaitResponseAsync(Packet.from(0x82, jdpack("u32 u8 b", [7, rec.keyId, randomBytes(38)])), 5000)
        const [status, text] = jdunpack<[number, Uint8Array]>(v1!.data, "u8 b")
        expect(status).toBe(12)
        expect(Buffer.from(text).toString()).toMatch(/update the companion/)
        // a frame whose version byte is not 2, on the frame command
        const other = await sendFrame(client, Uint8Array.from([1, 2, rec.keyId, ...randomBytes(60)]))
        expect(Array.from(other.subarray(0, 3))).toEqual([2, 4, 12])
        const key = Buffer.from(rec.key, "hex")
        expect(() => openAnswer(key, rec.keyId, 1, CMD_UNLOCK, new Uint8Array(24), other)).toThrow(ProtocolMismatch)
        expect(() => openAnswer(key, rec.keyId, 1, CMD_UNLOCK, new Uint8Array(24), other)).toThrow(/update the companion/)
        expect(b.isLocked()).toBe(true)
    })
})
