/**
 * `npm run flash`: writes the DeviceScript runtime to the board devs.json names, with the pinned
 * CLI (`devs flash <family> --board <id>`). Checks first what the CLI would need, and says what
 * is missing in plain words: a USB serial port with the board on it, and for ESP32 boards
 * Espressif's esptool (`pip install esptool`). The CLI downloads the runtime image for the board.
 *
 * Usage: tsx scripts/flash.ts [--check] [-- extra arguments for devs flash, e.g. --port /dev/ttyUSB0]
 *   --check   only check the prerequisites (exit 0 ready, 2 something missing); never flashes
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { delimiter, join } from "node:path"
import { ProfileError } from "../src/config/profile"
import { findBoard } from "../src/config/boards"
import { loadBoardCatalog } from "../host/boards-io"
import { loadProfile } from "../host/profile-io"
import { devsBin } from "../host/devtools"

/** `devs flash` subcommand per DeviceScript architecture. */
const FAMILY: { [arch: string]: string } = {
    esp32: "esp32",
    esp32c3: "esp32",
    esp32s2: "esp32",
    esp32s3: "esp32",
    rp2040: "rp2040",
    rp2040w: "rp2040",
}

/** USB serial ports a board may be on (Linux and macOS device names). */
export function serialPorts(dev = "/dev"): string[] {
    if (process.platform === "win32" || !existsSync(dev)) return []
    return readdirSync(dev)
        .filter(n => /^(ttyUSB\d+|ttyACM\d+|cu\.usbserial.*|cu\.usbmodem.*|cu\.SLAB_USBtoUART.*|cu\.wchusbserial.*)$/.test(n))
        .map(n => join(dev, n))
}

/** How esptool can be run here, or undefined (the same places `devs flash` looks). */
export function findEsptool(): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir && existsSync(join(dir, "esptool.py"))) return join(dir, "esptool.py")
    for (const py of ["python3", "python", "py"]) {
        const r = spawnSync(py, ["-m", "esptool", "version"], { encoding: "utf8", timeout: 15000 })
        if (r.status === 0 && /esptool/i.test(r.stdout + r.stderr)) return `${py} -m esptool`
    }
    return undefined
}

function main(): number {
    const argv = process.argv.slice(2)
    const check = argv.includes("--check")
    const extra = argv.filter(a => a !== "--check" && a !== "--")
    const profile = loadProfile()
    const catalog = loadBoardCatalog()
    const board = findBoard(catalog, profile.board.id)
    const family = FAMILY[board.archId]
    if (!family) {
        console.error(`flash: don't know how to flash a ${board.archId} board (${board.id})`)
        return 2
    }
    const cmd = [devsBin(), "flash", family, "--board", board.id, ...extra]
    console.log(`flash: ${board.devName} (${board.id}, from devs.json) with: devs ${cmd.slice(1).join(" ")}`)
    const missing: string[] = []
    const portGiven = extra.includes("--port") || extra.includes("--remote")
    const ports = serialPorts()
    if (!portGiven && ports.length === 0)
        missing.push(
            "no USB serial port found (/dev/ttyUSB*, /dev/ttyACM*, /dev/cu.usb*): plug the board in with a data cable; " +
                "if it still does not show up, hold its BOOT (IO0) button while plugging it in, and check `dmesg` for the USB-serial driver",
        )
    if (family === "esp32" && !extra.includes("--esptool") && !findEsptool())
        missing.push("esptool not found: install it with `pip install esptool` (or pass `-- --esptool <path>`)")
    if (family === "rp2040")
        console.log("flash: RP2040: hold BOOTSEL while plugging the board in, so it shows up as a USB drive")
    if (missing.length) {
        console.error(`flash: cannot flash yet:\n  - ${missing.join("\n  - ")}`)
        return 2
    }
    if (check) {
        console.log(`flash: ready${ports.length ? ` (serial ports: ${ports.join(", ")})` : ""}`)
        return 0
    }
    try {
        execFileSync(cmd[0], cmd.slice(1), { stdio: "inherit" })
    } catch (e) {
        console.error(`flash: devs flash failed (exit ${(e as { status?: number }).status}); its message above says why`)
        return 1
    }
    console.log("flash: done. Next: npm run deploy")
    return 0
}

try {
    process.exit(main())
} catch (e) {
    console.error(e instanceof ProfileError ? `flash: ${e.message}` : (e as Error).message)
    process.exit(e instanceof ProfileError ? 2 : 1)
}
