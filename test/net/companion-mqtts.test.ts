/**
 * `latchkey --mqtt mqtts://…`: the companion CLI (a process of its own) over TLS to Debian's
 * mosquitto, whose TLS listener has a certificate from a CA made here with openssl; the lock (the
 * real firmware in the VM, which dials plain) is on the same broker's plain listener. With the CA
 * given to Node (NODE_EXTRA_CA_CERTS) `locks` and `unlock` work; without it the CLI fails with a
 * certificate error and leaves the key file as it was.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { execFileSync } from "node:child_process"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort, HOST, mosquittoMissing, startMosquitto, TestBroker } from "../../bench/lib/brokers"
import { lockOnBroker, NetLock } from "../support/net-lock"
import { latchkey } from "../scenario/cli-run"

const OPENSSL = "/usr/bin/openssl"
const missing = mosquittoMissing() ?? (existsSync(OPENSSL) ? null : `${OPENSSL} is not installed (Debian package openssl)`)
const onMosquitto = missing ? describe.skip : describe

/** A CA and a server certificate for 127.0.0.1 signed by it, in `dir`. */
function makeCertificates(dir: string) {
    const ssl = (...args: string[]) => execFileSync(OPENSSL, args, { cwd: dir, stdio: "pipe" })
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Latchkey test CA")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${HOST}`)
    writeFileSync(join(dir, "san.ext"), `subjectAltName=IP:${HOST}\n`)
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
}

onMosquitto(`the companion over mqtts:// (TLS) through mosquitto${missing ? ` [skipped: ${missing}]` : ""}`, () => {
    let broker: TestBroker
    let lock: NetLock
    let tlsUrl: string
    let ca: string

    beforeAll(async () => {
        const dir = mkdtempSync(join(tmpdir(), "latchkey-tls-"))
        makeCertificates(dir)
        ca = join(dir, "ca.crt")
        const tlsPort = await freePort()
        tlsUrl = `mqtts://${HOST}:${tlsPort}`
        broker = await startMosquitto({
            extraConfig: [`listener ${tlsPort} ${HOST}`, `cafile ${ca}`, `certfile ${join(dir, "server.crt")}`, `keyfile ${join(dir, "server.key")}`],
        })
        lock = await lockOnBroker(broker)
    }, 90000)
    afterAll(async () => {
        await lock?.board.dispose()
        await broker?.stop()
    })

    it("lists the lock and unlocks it over TLS with the CA given to Node", async () => {
        const env = { NODE_EXTRA_CA_CERTS: ca }
        const locks = await latchkey(["--mqtt", tlsUrl, "--keys", lock.store.path, "locks", "--json"], { env })
        expect(locks.code, locks.err).toBe(0)
        expect(JSON.parse(locks.out)).toEqual({ ok: true, locks: [{ id: lock.lockId, availability: "online" }] })
        const unlock = await latchkey(["--mqtt", tlsUrl, "--keys", lock.store.path, "unlock"], { env })
        expect(unlock.code, unlock.err).toBe(0)
        expect(unlock.out.trim()).toBe("unlocked")
        await lock.board.waitUntil(() => lock.board.isUnlocked(), "the unlock over mqtts")
    }, 60000)

    it("without the CA: a certificate error, a non-zero exit, the key file untouched", async () => {
        const before = readFileSync(lock.store.path, "utf8")
        const env = { NODE_EXTRA_CA_CERTS: undefined }
        for (const verb of ["locks", "unlock"]) {
            const r = await latchkey(["--mqtt", tlsUrl, "--keys", lock.store.path, verb], { env })
            expect(r.code, verb).toBe(1)
            expect(r.err, verb).toMatch(/cannot reach the broker at mqtts:.*certificate/i)
        }
        expect(readFileSync(lock.store.path, "utf8")).toBe(before)
    }, 60000)
})
