/**
 * Runs a bench harness bytecode (build/<name>.devs) in an in-process VM with no peripherals,
 * handing each console line to `onLine`; resolves when `done()` says so or after `seconds`.
 */
import { createVmBus, Flash, readBytecode, VmTransport } from "../../sim/vm"

export interface HarnessRun {
    lines: number
    panicked: string | null
    /** The emscripten module (for heap inspection). */
    module: any
}

export async function runHarness(
    name: string,
    seconds: number,
    onLine: (line: string) => void,
    opts: { deviceId?: string; done?: () => boolean; onStart?: (mod: any) => void } = {},
): Promise<HarnessRun> {
    const transport = new VmTransport()
    const bus = createVmBus(transport)
    bus.start()
    await transport.connect()
    let lines = 0
    let panicked: string | null = null
    const run = await transport.powerOn({
        bytecode: readBytecode(name),
        flash: new Flash(),
        deploy: true,
        deviceId: opts.deviceId,
        onLog: line => {
            if (line.startsWith("> ")) {
                lines++
                onLine(line.slice(2))
            } else if (/PANIC|Exception/.test(line) && !panicked) panicked = line.trim()
        },
    })
    const mod = (run as any).mod
    opts.onStart?.(mod)
    const end = Date.now() + seconds * 1000
    try {
        while (Date.now() < end && !panicked && !(opts.done?.() ?? false)) await new Promise(r => setTimeout(r, 50))
    } finally {
        run.stop()
        await bus.dispose()
    }
    return { lines, panicked, module: mod }
}
