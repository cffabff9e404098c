/**
 * Runs a compiled @devicescript/test program (build/<name>.devs) in the real VM and returns its
 * summary: the in-VM test files share this so each says only what it expects of the counts.
 */
import { createVmBus, Flash, readBytecode, VmTransport } from "../../sim/vm"

export interface DevsTestRun {
    total: number
    pass: number
    error: number
    /** Everything the VM printed, for failure messages. */
    log: string
}

export async function runDevsTests(name: string, timeoutMs = 45_000): Promise<DevsTestRun> {
    const transport = new VmTransport()
    const bus = createVmBus(transport)
    bus.start()
    await transport.connect()
    const lines: string[] = []
    let done: (line: string) => void
    let fail: (e: Error) => void
    const result = new Promise<string>((resolve, reject) => ((done = resolve), (fail = reject)))
    const run = await transport.powerOn({
        bytecode: readBytecode(name),
        flash: new Flash(),
        deploy: true,
        onLog: line => {
            lines.push(line)
            if (/tests: \d+, pass: \d+, error: \d+/.test(line)) done(line)
            // a panic (e.g. InfiniteLoop) ends the program: fail now with what the VM said
            if (/^\* stop program/.test(line)) setTimeout(() => fail(new Error(`the VM program stopped:\n${lines.join("\n")}`)), 200)
        },
    })
    try {
        const summary = await Promise.race([
            result,
            new Promise<string>((_, reject) => setTimeout(() => reject(new Error(`no test summary; VM said:\n${lines.join("\n")}`)), timeoutMs)),
        ])
        const [, total, pass, error] = /tests: (\d+), pass: (\d+), error: (\d+)/.exec(summary)!.map(Number)
        return { total, pass, error, log: lines.join("\n") }
    } finally {
        run.stop()
        await bus.dispose()
    }
}
